// Package amazon is what Loupe knows about Amazon Linux 1, 2 and 2023:
// their detection, their advisories (ALAS) and their matching rules, as
// Clair's "aws" packages have them. Their packages are rpm's, read by
// package rpm.
//
// # Distribution
//
// DistributionScanner ("aws") reports the distributions Clair reports
// (Release.Distribution): did "amzn"; version and version_id "2018.03"
// (every Amazon Linux 1 image), "2" or "2023"; names "Amazon Linux AMI"
// and "Amazon Linux"; pretty names "Amazon Linux AMI 2018.03", "Amazon
// Linux 2" and "Amazon Linux 2023"; and Clair's CPEs. Like Clair it
// tells the release by os-release's CPE_NAME; it also reads
// usr/lib/os-release, an os-release with no CPE_NAME by VERSION_ID, and
// etc/system-release or etc/amazon-linux-release in an image without
// os-release.
//
// # Vulnerabilities
//
// UpdaterSet ("aws") holds Clair's updaters, "aws-AL1-updater",
// "aws-AL2-updater" and "aws-AL2023-updater", each reading its release's
// updateinfo.xml from the package repositories, as Clair does: the
// mirror list (Release.MirrorList), then, from the first mirror that
// serves them, repodata/repomd.xml and the updateinfo it locates
// (gzip, bzip2 or zstd), checked against repomd.xml's SHA-256. The
// fingerprint is that checksum, so an unchanged updateinfo is not
// downloaded. Amazon's RSS and HTML bulletins, which Grype reads, carry the
// same fixes as web pages rather than as data. updaters.config.aws-<release>-updater
// .url points an updater at another mirror list (http, https or file),
// whose lines may be file URLs of a copied repository.
//
// Each <update> becomes one vulnerability per binary package name and
// fixed version: named by the advisory (ALAS2-2023-2000), for the
// release's distribution, the fixed version [epoch:]version-release (a
// zero epoch left out), severity the advisory's (low, medium, important,
// critical) normalized as Clair does, links the advisory's references,
// issued its issue date. Source rpms are left out, and so are updates
// that are neither security updates nor name a CVE.
//
// Unlike Clair, vulnerabilities carry no architecture: the updateinfo is
// the x86_64 repository's, whose packages are x86_64, i686 and noarch,
// and Amazon fixes a flaw in the same version on every architecture.
// Clair keeps each package's architecture with an "equals" operation, so
// the packages of an aarch64 image, but noarch ones, match nothing.
//
// # Matching
//
// Matcher ("aws-matcher", Clair's name) files vulnerabilities under
// "amzn:<version_id>", as Clair keys on the DID and version_id, claims
// records whose distribution's DID is "amzn", and looks installed
// packages up by binary name; see package rpmfeeds.
package amazon
