// Package alma is what Loupe knows about AlmaLinux: its detection, its
// errata feed and its matching rules. Its packages are rpm's, read by
// package rpm. Clair does not support AlmaLinux.
//
// # Distribution
//
// DistributionScanner ("alma") reports os-release's own fields for
// ID=almalinux, as Trivy and Grype read them (they key on ID and
// VERSION_ID): AlmaLinux 9.4 is {did "almalinux", name "AlmaLinux",
// version "9.4 (Seafoam Ocelot)", version_id "9.4", pretty_name
// "AlmaLinux 9.4 (Seafoam Ocelot)", cpe
// "cpe:2.3:o:almalinux:almalinux:9:*:baseos:*:*:*:*:*"}. Without
// os-release, etc/almalinux-release gives the same, with the CPE's
// edition left open.
//
// # Vulnerabilities
//
// UpdaterSet ("alma") holds one updater per major release (Releases),
// "alma-8-updater", "alma-9-updater" and "alma-10-updater", each reading
// https://errata.almalinux.org/<N>/errata.full.json, the errata
// AlmaLinux publishes and recommends (Trivy reads the same errata). It is
// preferred to AlmaLinux's OSV database (which Grype reads) because it
// says more: the architecture of every binary package, and the module
// stream of every modular one, where the OSV records name packages
// without either. The configuration (Config) comes from
// updaters.config.alma, or updaters.config.alma-<N>-updater for one
// release: url, a base URL under which <N>/errata.full.json is read (or,
// ending in ".json", the document itself), and releases, the major
// releases to update.
//
// Security errata, and other errata that name a CVE, become
// vulnerabilities; bug fix and enhancement errata that name none are left
// out. Each erratum yields one vulnerability per binary package, fixed
// version and module stream, for the distribution Distribution(N):
// named by the erratum (ALSA-2024:0101); the package's binary name, its
// module stream ("name:stream" of the package's module
// name:stream:version:context:arch; for a modular package that does not
// say, the erratum's modules, else the streams its title names, else the
// package is left out), and its architectures (one with ArchOpEquals,
// several as a pattern such as "^(?:aarch64|x86_64)$"; source rpms are
// left out); the fixed epoch:version-release with a zero epoch left out;
// severity the erratum's (Important, …) normalized as Red Hat's; links
// the erratum's references and its page; issued its issue date.
//
// Parse also reads AlmaLinux's OSV records (a file URL of records one
// after another, or a list), keeping those of the updater's release; see
// rpmfeeds.ParseOSV. Those name binary packages without architecture,
// and their module streams come from the advisory's synopsis.
//
// # Matching
//
// Matcher ("alma-matcher") files vulnerabilities under "almalinux:<major>",
// claims records whose distribution is AlmaLinux's, and looks installed
// packages up by binary name; see package rpmfeeds.
package alma
