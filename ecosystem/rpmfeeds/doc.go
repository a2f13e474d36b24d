// Package rpmfeeds holds what the rpm distributions whose vulnerability
// feeds are errata (Rocky Linux, AlmaLinux, Fedora and Amazon Linux) have
// in common, so that each distribution's package (rocky, alma, fedora,
// amazon) keeps only what differs: their matching rules (Matcher),
// detection by os-release ID or release file (Distro),
// reading os-release and release files (FromOSRelease,
// ParseReleaseFile), Red Hat-style impact words (NormalizeImpact),
// module streams named in advisory titles (ModulesOf), OSV advisories of
// rpm distributions (ParseOSV), JSON feeds read a record at a time
// (EachRecord), and feeds that take several requests collected into one
// fetched body (Spool). Package rpmfeedstest has the tests' helpers.
//
// # Matching
//
// A Matcher files a distribution's vulnerabilities under the namespace
// its Namespace function gives the vulnerability's distribution
// ("rocky:9", "almalinux:9", "fedora:40", "amzn:2023"), by package name,
// as a source package name or a binary one according to the
// vulnerability's package kind. It claims only vulnerabilities and
// records whose distribution has its DID, and looks an installed package
// up both by its own name (binary) and by its source package's name
// (source); a package with no source rpm is its own source.
//
// A vulnerability affects an installed package when all of these hold:
//
//   - the module streams are equal: "nodejs:18" only with "nodejs:18",
//     no stream only with no stream, so a modular advisory never matches
//     a package from outside its stream, and a non-modular advisory
//     never matches a modular package;
//   - the architecture passes the vulnerability's ArchOperation (an empty
//     architecture passes anything; a pattern is compiled once);
//   - the installed version sorts before the fixed version as rpm
//     compares versions (epoch, then version, then release, with '~'
//     and '^'), or the vulnerability has no fixed version (unfixed:
//     every version is affected).
//
// The installed version is the package's own EVR, except when the
// vulnerability was found through the source package's name and the
// package records its source version: then it is the source's
// version-release with the binary package's epoch (a source rpm's file
// name carries no epoch). A subpackage whose own version differs from its
// source's (texlive's, perl's) is so compared on the version the feed
// speaks of.
package rpmfeeds
