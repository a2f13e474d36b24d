// Package suse is what Loupe knows about SUSE Linux Enterprise Server and
// openSUSE Leap and Tumbleweed: release detection, SUSE's OVAL feed, and
// the matching rules for it. Installed packages come from the rpm
// ecosystem's scanner (SUSE writes the NDB database).
//
// # Distributions
//
// DistributionScanner reads os-release's CPE_NAME, as Clair does. SLES
// is reported as Clair does, folded into its major release (did "sles",
// name "SLES", version and version_id "15", pretty_name "SUSE Linux
// Enterprise Server 15"), since SUSE's documents cover every service pack
// of a release; Leap with its version (did "opensuse-leap", name
// "openSUSE Leap", version and version_id "15.5", pretty_name "openSUSE
// Leap 15.5"). Tumbleweed, which Clair does not detect, is reported with
// its os-release values as Grype reads them (did "opensuse-tumbleweed",
// name "openSUSE Tumbleweed", version_id the snapshot date, the CPE).
//
// # Vulnerabilities
//
// UpdaterSet ("suse") holds one updater per product line of Releases,
// named as Clair names them ("suse-updater-suse.linux.enterprise.server.15",
// "suse-updater-opensuse.leap.15.5", "suse-updater-opensuse.tumbleweed"),
// each reading its document from
// https://ftp.suse.com/pub/projects/security/oval/. Clair lists that
// directory on every run; Loupe's list is fixed (SLES 11, 12, 15, 16;
// Leap 15.5, 15.6, 16.0; Tumbleweed). updaters.config.suse.url, Clair's
// key, points every updater at a mirror of the directory;
// updaters.config.<updater name>.url points one at another document (an
// "-affected" one, say, which adds unfixed vulnerabilities).
//
// A record is one package test of one CVE definition (see
// Vulnerabilities): name the CVE, fixed_in_version the EVR, the
// architectures as SUSE's state gives them (a pattern), severity SUSE's,
// normalized Low → Low, Moderate → Medium, Important → High, Critical →
// Critical. Packages SUSE says are not affected have no record.
//
// # Matching
//
// Matcher (Clair's "suse") files records by release and binary package
// name and applies oval.RPMRule.
package suse
