// Package mariner is what Loupe knows about CBL-Mariner (1.0, 2.0) and its
// successor Azure Linux (3.0), which Clair does not support: release
// detection, Microsoft's OVAL feed, and the matching rules for it.
// Installed packages come from the rpm ecosystem's scanner (both write
// the SQLite database).
//
// # Distributions
//
// DistributionScanner reports them with their os-release values, as
// Grype reads them: did "mariner" or "azurelinux" (ID), version and
// version_id the release ("2.0", VERSION_ID), name and pretty_name as
// written ("Common Base Linux Mariner", "CBL-Mariner/Linux"; "Microsoft
// Azure Linux", "Microsoft Azure Linux 3.0"). Images without os-release
// are read from etc/mariner-release or etc/azurelinux-release, as Trivy
// does.
//
// # Vulnerabilities
//
// UpdaterSet ("mariner") holds one updater per release, named after its
// document: "cbl-mariner-1.0-updater", "cbl-mariner-2.0-updater" and
// "azurelinux-3.0-updater", reading cbl-mariner-1.0-oval.xml,
// cbl-mariner-2.0-oval.xml and azurelinux-3.0-oval.xml from
// https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/.
// updaters.config.mariner.url, naming a directory, points all of them at
// a mirror; updaters.config.<updater name>.url points one at another copy
// of its document. See Vulnerabilities for the records.
//
// # Matching
//
// Matcher ("mariner") files records under "mariner:1.0", "mariner:2.0"
// and "azurelinux:3.0" by source package name, looks installed packages
// up by source and own name, and applies oval.RPMRule. Unfixed
// vulnerabilities ("less than or equal" the latest build) affect every
// build up to that one.
package mariner
