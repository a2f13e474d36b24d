// Package fedora is what Loupe knows about Fedora Linux: its detection,
// its security updates and its matching rules. Its packages are rpm's,
// read by package rpm. Clair does not support Fedora.
//
// # Distribution
//
// DistributionScanner ("fedora") reports os-release's own fields for
// ID=fedora, as Trivy and Grype read them (they key on ID and
// VERSION_ID): the Fedora 40 container image is {did "fedora", name
// "Fedora Linux", version "40 (Container Image)", version_id "40",
// pretty_name "Fedora Linux 40 (Container Image)", cpe
// "cpe:2.3:o:fedoraproject:fedora:40:*:*:*:*:*:*:*"}. Without
// os-release, etc/fedora-release ("Fedora release 40 (Forty)") gives
// the same fields, the version and pretty name from its codename.
//
// # Vulnerabilities
//
// UpdaterSet ("fedora") holds one updater, "fedora-updater", which reads
// Fedora's security updates from its update system, Bodhi
// (https://bodhi.fedoraproject.org/), as Grype does: the stable security
// updates of rpm content of the releases Bodhi lists as current, pending
// or frozen (a new release is picked up by itself; end-of-life releases
// are dropped), 100 updates a page. Configuration (Config) comes from
// updaters.config.fedora: url, Bodhi's address or a file URL of saved
// updates, and releases, the releases to update instead ("40", "41").
// Fedora's own updateinfo.xml carries the same updates but per release
// and architecture repository; Bodhi has them all in one place.
//
// A stable security update of a Fedora release (not EPEL's, not a
// container's or flatpak's) becomes one vulnerability per rpm build:
// named by the update (FEDORA-2024-1a2b3c4d5e), for the distribution
// Distribution(release), with the build's source package name (a Koji
// build is a source rpm) and its epoch:version-release, a zero epoch left
// out, as the fixed version. Severity is Bodhi's (urgent, high, medium,
// low, unspecified) normalized; links are the update's page, NVD's page
// of each CVE (those named by the update's security bugs, else by its
// name) and the security bugs; issued is when the update reached stable.
// Fedora has had no module streams since Fedora 39, and its updates name
// none: vulnerabilities have no module, so never match a package of a
// stream.
//
// # Matching
//
// Matcher ("fedora-matcher") files vulnerabilities under
// "fedora:<release>", claims records whose distribution is Fedora's, and
// looks installed packages up by source package; see package rpmfeeds.
package fedora
