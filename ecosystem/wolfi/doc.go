// Package wolfi is what Loupe knows about Wolfi and Chainguard, the two
// apk-based, unversioned ("rolling") distributions from Chainguard: their
// detection, their security feeds and their matching rules. Their package
// database is apk's, read by alpine.PackageScanner.
//
// Clair does not support them. Names and fields follow claircore's
// chainguard package (written for StackRox Scanner V4, which runs
// claircore, and not merged into Clair): distribution scanner
// "chainguard"; distributions {did "wolfi", name "wolfi", pretty_name
// "Wolfi"} and {did "chainguard", name "chainguard", pretty_name
// "Chainguard"}, with no version, since the distributions are not
// versioned; updaters "wolfi-updater" and "chainguard-updater"; matchers
// "wolfi-matcher" and "chainguard-matcher". Grype and Trivy call the
// distributions "wolfi" and "chainguard" too.
//
// # Distribution
//
// DistributionScanner reads os-release (etc/, then usr/lib/): ID=wolfi is
// Wolfi, ID=chainguard is Chainguard. Nothing else identifies them.
//
// # Vulnerabilities
//
// WolfiSet ("wolfi") and ChainguardSet ("chainguard") each hold one
// updater reading a secdb document (see package secdb):
// https://packages.wolfi.dev/os/security.json and
// https://packages.cgr.dev/chainguard/security.json. The configuration
// keys updaters.config.wolfi.url and updaters.config.chainguard.url (or
// the updater names) point them elsewhere. Links are
// https://images.chainguard.dev/security/<id>. A secfixes version of "0"
// marks a false positive: the package was never affected.
//
// # Matching
//
// Each matcher claims only records of its own distribution (by did, or
// by name as claircore does), files data under the namespace "wolfi" or
// "chainguard", looks installed packages up by origin, and applies the
// apk rule of package secdb. A Chainguard image is matched against the
// Chainguard feed only, which carries the Wolfi packages it builds on.
package wolfi
