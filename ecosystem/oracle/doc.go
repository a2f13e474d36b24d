// Package oracle is what Loupe knows about Oracle Linux: release
// detection, Oracle's ELSA OVAL feed, and the matching rules for it.
// Installed packages come from the rpm ecosystem's scanner.
//
// # Distribution
//
// DistributionScanner reports Oracle Linux 5 and later as Clair does: did
// "ol", name "Oracle Linux Server", version and version_id the major
// release, version_code_name "Oracle Linux 8", pretty_name "Oracle Linux
// Server 8". It reads os-release (ID "ol"), and in images that have none
// etc/oracle-release, then etc/issue.
//
// # Vulnerabilities
//
// UpdaterSet ("oracle") holds one updater per year since 2007, named as
// Clair names them ("oracle-2024-updater"), each reading
// https://linux.oracle.com/security/oval/com.oracle.elsa-<year>.xml.bz2.
// updaters.config.<updater name>.url points one at another copy of its
// document; updaters.config.oracle.url, naming a directory, points all of
// them at a mirror. A record is one package of one ELSA on one release
// (and architecture, when Oracle fixed the architectures at different
// builds): name the ELSA title, as in Clair; fixed_in_version the EVR
// with its epoch; severity the ELSA's, normalized LOW → Low, MODERATE →
// Medium, IMPORTANT → High, CRITICAL → Critical.
//
// Unlike Clair, which reads every package test of a definition
// regardless of where it stands, Loupe reads each alternative of the
// criteria tree (see package oval): the architecture a branch is for is
// kept with its records, module streams ("Module nodejs:18 is enabled")
// become the record's module, and ksplice userspace builds (a release
// pattern) are left out rather than matched against ordinary packages.
//
// # Matching
//
// Matcher (Clair's "oracle") files records by major release and binary
// package name and applies oval.RPMRule with platform architectures.
package oracle
