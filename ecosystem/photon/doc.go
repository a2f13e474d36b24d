// Package photon is what Loupe knows about VMware Photon OS: release
// detection, Photon's CVE metadata feed, and the matching rules for it.
// Installed packages come from the rpm ecosystem's scanner.
//
// # Distribution
//
// DistributionScanner reports Photon OS 1.0 and later as Clair does: did
// "photon", name "VMware Photon OS", version and version_id "5.0",
// pretty_name "VMware Photon OS/Linux", from os-release or
// etc/photon-release.
//
// # Vulnerabilities
//
// UpdaterSet ("photon") holds one updater per release 1.0 to 5.0, named
// as Clair names them ("photon-updater-5.0"), each reading
// https://packages.vmware.com/photon/photon_cve_metadata/cve_data_photon<release>.json.
// updaters.config.photon.url, naming a directory, points all of them at a
// mirror; updaters.config.<updater name>.url points one at another copy.
//
// Clair reads Photon's OVAL documents (photon_oval_definitions), which
// hold only the advisories that fixed something. The CVE metadata is
// richer: every CVE Photon tracks for a package, fixed or not, and the
// ones it rules out ("Not Affected"). See Parse for the records.
//
// # Matching
//
// Matcher (Clair's "photon") files records by release and package name,
// looks installed packages up by their own and their source package's
// names, and applies oval.RPMRule.
package photon
