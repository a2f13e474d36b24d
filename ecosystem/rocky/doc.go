// Package rocky is what Loupe knows about Rocky Linux: its detection, its
// errata feed and its matching rules. Its packages are rpm's, read by
// package rpm. Clair does not support Rocky Linux.
//
// # Distribution
//
// DistributionScanner ("rocky") reports os-release's own fields for
// ID=rocky, as Trivy and Grype read them (they key on ID and VERSION_ID):
// Rocky Linux 9.4 is {did "rocky", name "Rocky Linux", version "9.4 (Blue
// Onyx)", version_id "9.4", pretty_name "Rocky Linux 9.4 (Blue Onyx)",
// cpe "cpe:2.3:o:rocky:rocky:9:*:baseos:*:*:*:*:*"}. Without os-release,
// etc/rocky-release gives the same, with the CPE's edition left open.
//
// # Vulnerabilities
//
// UpdaterSet ("rocky") holds one updater, "rocky-updater", which reads
// Rocky Linux's errata as its errata system (Apollo) publishes them in OSV
// form, https://apollo.build.resf.org/api/v3/osv/, page by page; Grype
// reads the same. The errata API proper (/api/v3/advisories/) also lists
// binary packages and module streams, but its shape is the server's
// internal model, not a published format, so Loupe reads the OSV form.
// updaters.config.rocky.url points the updater elsewhere: another
// server, or a file URL of a saved copy.
//
// The OSV records name source packages ("java-11-openjdk"), per major
// release ("Rocky Linux:8"), with the fixed epoch:version-release. Each
// becomes a vulnerability named by the advisory (RLSA-2023:3220), for the
// distribution Distribution(major), with a source Package and the fixed
// version with a zero epoch left out; severity is the advisory's impact
// word (Important, …) normalized as Red Hat's; links are the advisory's
// references and Red Hat's page of each CVE it fixes. The records carry
// no module stream, so a fixed version built for one (a release with
// ".module+el9…") takes the streams the advisory's synopsis names
// ("Moderate: ruby:3.3 security update"); one whose synopsis names none
// is left out rather than matched against every stream. See
// rpmfeeds.ParseOSV.
//
// # Matching
//
// Matcher ("rocky-matcher") files vulnerabilities under "rocky:<major>",
// claims records whose distribution is Rocky Linux's, and looks installed
// packages up by source package; see package rpmfeeds.
package rocky
