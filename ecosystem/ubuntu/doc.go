// Package ubuntu is everything Loupe knows about Ubuntu beyond the dpkg
// database (which package debian reads): release detection, Ubuntu's
// vulnerability data, and the matching rules for it.
//
// # Releases
//
// DistributionScanner reads os-release (etc/, then usr/lib/; in Ubuntu
// images etc/os-release links to the other) and falls back to
// etc/lsb-release when a layer has no os-release, or one that does not
// name the release. It reports Clair's
// fields: did "ubuntu", name "Ubuntu", version_id "24.04",
// version_code_name "noble", version "24.04 (Noble)", pretty_name
// "Ubuntu 24.04", empty cpe and arch. Any release works, including ones
// newer than Loupe, as long as the file names both the version and the
// codename; a file naming only one is completed from the table in
// releases.go (4.10 warty to 26.04 resolute). Clair reads lsb-release
// first; Loupe reads os-release first, so an os-release naming another
// distribution settles it.
//
// # Vulnerability data: Ubuntu's OSV CVE records
//
// Canonical publishes the Ubuntu CVE tracker's per-release, per-source-
// package data in three formats: OVAL (one file per release, what Clair
// reads), OSV and OpenVEX. Loupe reads the OSV CVE records
// (UBUNTU-CVE-*), because they are the richest for matching:
//
//   - They speak in source packages, as the tracker does, with the list of
//     binaries each builds. OVAL tests the binary names listed when the
//     file was made, so a binary missing from that list (renamed in an
//     update, or built from the same source outside the archive) is
//     missed; a source name matches every binary a dpkg database
//     attributes to it.
//   - They carry Ubuntu's priority and the CVSS vectors, the publication
//     date and a withdrawn mark, as structured fields. OVAL states a
//     package's status only in the prose of criterion comments.
//   - One archive holds every release, including the fixes published in
//     Ubuntu Pro's ESM archives (ecosystems "Ubuntu:Pro:YY.MM:LTS") for
//     releases past standard support; Clair makes updaters only for the
//     releases Launchpad lists as active. Interim releases (25.04, 25.10)
//     and new ones need no code.
//   - OpenVEX has explicit not_affected statements but no priority, and
//     lists each binary, architecture and release as a product of its
//     own (thousands per CVE), much larger for the same facts.
//
// What OSV gives up, per Ubuntu's own documentation of the mapping, is
// the nuance among open statuses: needs-triage, needed, pending,
// deferred, in-progress and ignored are all "affected, no fixed version",
// and not-affected and DNE (not in the release) are simply not listed.
// For matching that loses nothing: every open status means the installed
// package is affected, and a package that is not listed is not. The
// tracker itself (git) has the nuance and per-package priorities, but
// Canonical asks consumers to use OSV, OVAL or VEX instead.
//
// # Upstream and configuration
//
// The updater set "ubuntu" holds one updater, "ubuntu/updater", for every
// release. It fetches DefaultOSVURL, OSV.dev's data dump of the Ubuntu
// ecosystem (https://osv-vulnerabilities.storage.googleapis.com/Ubuntu/all.zip),
// which OSV.dev imports from Canonical; updater.FetchURL skips an
// unchanged archive by ETag, Last-Modified or SHA-256.
//
// updaters.config.ubuntu (or updaters.config["ubuntu/updater"]) takes:
//
//   - osv_url: another http, https or file URL of the records. Parse
//     accepts a zip (OSV.dev's layout), a tar or gzip-compressed tar with
//     UBUNTU-CVE-*.json files in any directory (for example a tarball of
//     https://github.com/canonical/ubuntu-security-notices, whose osv/cve
//     directory holds them), or a JSON record or array of records. Other
//     files (USN-* and LSN-* notices, VEX documents) are skipped.
//     Canonical's own osv-all.tar.xz
//     (https://security-metadata.canonical.com/osv/) is xz-compressed, which
//     the standard library cannot read; recompress it or use the zip.
//   - releases: codenames or versions to keep ("noble", "22.04"); empty
//     keeps all.
//
// Clair's keys for its OVAL updaters (url, name and force for the
// Launchpad release list, use_bzip2 per release) are accepted and unused.
//
// # Vulnerabilities
//
// Parse returns one vulnerability per (CVE, release, source package):
//
//   - Updater "ubuntu/updater"; Name the CVE ("CVE-2024-1234", from the
//     record's upstream field); Description the details; Issued the
//     publication date; Links https://ubuntu.com/security/<CVE> then the
//     record's references.
//   - Severity the Ubuntu priority verbatim ("medium"), NormalizedSeverity
//     by NormalizePriority: negligible, low, medium, high and critical map
//     to themselves, anything else (untriaged, absent) to Unknown.
//   - Package {name: the source package, kind: source}; Dist the release
//     as DistributionScanner reports it.
//   - FixedInVersion the fixed source version, or "" when the issue is
//     open in that release.
//
// Releases are named by the version in the ecosystem ("Ubuntu:22.04:LTS")
// and the codename in the purl's distro qualifier ("jammy",
// "esm-infra/focal"), either filling the other from the table. Entries of
// Ubuntu Pro's ESM archives count as their release; when a record lists a
// package both in the standard and the ESM archive, the entry with a fix
// wins, and of two fixes the later. Pro's FIPS and real-time kernel
// streams are not read: they are package variants a release does not
// install. Withdrawn records, entries with no ECOSYSTEM range or with
// last_affected or limit events, and entries naming no known release are
// left out and counted in the parse's log line. A record that does not
// decode is skipped with a warning; a body that does not, or an archive
// that does not decompress, fails the parse.
//
// # Matching
//
// Matcher keys Ubuntu data by "ubuntu:<codename>" and package name, and
// finds it from each installed package by its binary name and by its
// source name. Found by source, the installed source version is compared
// (dpkg ordering, package version): Ubuntu's fixed versions are source
// versions, and a binary's own version can differ (gcc 4:11.2.0-1ubuntu1
// is built from gcc-defaults 1.193ubuntu1). No fixed version means
// affected; a fixed version of "0" means not affected.
//
// # Differences from Clair
//
//   - Data: OSV CVE records instead of OVAL, keyed by source package, with
//     ESM fixes; one updater "ubuntu/updater" instead of one
//     "ubuntu/updater/<codename>" per release; no Launchpad requests.
//   - Name is the CVE id, not the OVAL title ("CVE-2024-1234 on Ubuntu
//     22.04 LTS (jammy) - medium."); Severity is the priority, where
//     Clair's current updater leaves it empty. The normalized mapping is
//     the same as Clair's.
//   - Fixed version "0" is not affected (Clair's Ubuntu matcher says
//     affected; Ubuntu's data never writes it).
//   - Detection reads os-release before lsb-release.
package ubuntu
