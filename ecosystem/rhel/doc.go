// Package rhel is everything Loupe knows about Red Hat Enterprise Linux,
// UBI and CentOS images: their distributions, the content sets of Red
// Hat's content manifests, Red Hat's CSAF VEX feed, and the matching
// rules for it. Installed rpm packages come from the rpm ecosystem's
// scanner; versions compare with version.RPM.
//
// # Distributions
//
// DistributionScanner reports RHEL and UBI as Clair does: did "rhel",
// name "Red Hat Enterprise Linux Server", version and version_id the
// major release, pretty_name "Red Hat Enterprise Linux Server 9", CPE
// cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*, from os-release (ID
// "rhel") and, in images without os-release, etc/redhat-release.
//
// CentOSScanner reports CentOS Linux and CentOS Stream, which Clair does
// not detect (Clair even takes CentOS Stream for RHEL, since its
// os-release names "Red Hat Enterprise Linux 9" as the support product,
// and then matches nothing for it). The fields follow os-release: did
// "centos", name "CentOS Linux" or "CentOS Stream", version_id "7", "8",
// "9" or "10", version and pretty_name as written, CPE from CPE_NAME.
//
// # Repositories and CPEs
//
// Red Hat's advisories are scoped to products, named by CPE; an image
// says which products its packages come from through the content sets
// (repository IDs) of its content manifests. Clair maps content sets to
// CPEs in its indexer, with Red Hat's repository-to-cpe.json fetched at
// start-up, and stores the result with each layer for good.
//
// Loupe splits the two. RepositoryScanner records the content sets, a
// fact about the layer that never goes stale, as Clair-shaped
// repositories (key "rhel-cpe-repository", URI "repoid=<id>", name and
// CPE the product's CPE when known offline). The matcher maps them to
// CPEs when it matches: with Red Hat's mapping when it is given one
// (Matcher.Repo2CPE, refreshed by Repo2CPE.Run), else with DeriveCPEs,
// rules that know the products of RHEL 5 to 10, UBI and OpenShift
// repositories from their IDs. So matching works offline for standard
// content, a new mapping applies to images indexed before it without
// indexing them again, and the index report still shows the CPE
// repositories Clair shows.
//
// # CentOS and CentOS Stream
//
// Neither Clair nor Red Hat publishes data for CentOS. CentOS Linux 7 and
// 8 rebuilt RHEL's sources with the same version-release, and CentOS
// Stream is RHEL's upstream, so, as Grype does for all three and Trivy
// for CentOS Linux, Loupe matches CentOS images against Red Hat's data
// for the same major release, taking their packages to come from that
// release's main repositories (CentOS images have no content manifests).
// Caveats: a Stream package can carry a higher version-release than the
// RHEL package that first fixed a flaw without carrying the fix (Stream
// builds diverge from RHEL z-stream builds), and CentOS Linux rebuilds
// lag RHEL's; fixes Red Hat ships only for extended-support streams are
// not applied to CentOS.
//
// # The VEX feed
//
// The rhel-vex updater (Clair's name) reads
// https://security.access.redhat.com/data/csaf/v2/vex/: the archive named
// by archive_latest.txt (every document, as a tar.zst, kept in a cache
// directory between runs), the documents changes.csv lists as changed
// since the archive was made, and deletions.csv. It is configured by
// updaters.config.rhel-vex: url (the base, http, https or file),
// compressed_file_timeout, ignore_kernel_packages (as in Clair), and, for
// Loupe only, min_year (oldest CVE year kept, 2015 by default as in
// Clair) and cache_dir. Clair's fixed_in_version_cel is accepted and not
// supported.
//
// Each CVE document becomes vulnerability records, as Clair makes them:
//
//   - fixed: one record per (product, binary rpm, module stream, fixed
//     version), its architectures folded into an "x86_64|aarch64" pattern;
//     fixed_in_version is "epoch:version-release". A source rpm listed
//     without any binary of the same build (as in some advisories) makes
//     a source-package record, matched through installed packages'
//     source names. Unlike Clair, records of one build that differ only
//     in the product's edition (BaseOS, AppStream, CRB of one release)
//     are folded into one whose product leaves the edition open
//     (cpe:2.3:*:redhat:enterprise_linux:9:*:*:…), so that an image with
//     several of those repositories is not told of the same fix twice.
//   - known_affected: one unfixed record per (product, component, module
//     stream), empty fixed_in_version. Red Hat names components by source
//     or binary package; the record matches either name.
//   - known_not_affected: no record, and no fixed or affected record for
//     the same package and stream in a product the statement covers:
//     a package Red Hat says is not affected never matches.
//   - under_investigation: no record (as in Clair).
//
// Every record carries the CVE as its name, the description, the
// reference links (the CVE page first) and the document's own URL, plus
// the erratum for fixed records; the severity is the CVSS vector (v4,
// else v3, else v2) and the normalized severity Red Hat's impact (Low,
// Moderate → Medium, Important → High, Critical). The product is the
// record's repository, key "rhel-cpe-repository", name and CPE the
// product's CPE 2.3 formatted string.
//
// # Container images
//
// Red Hat also publishes VEX statements about its container images, as
// components with "oci" package URLs; Clair matches them (its "rhcc"
// ecosystem) against the image itself, seen as a package. So does
// Loupe:
//
//   - ContainerScanner (Clair's "rhel_containerscanner") reads the
//     Dockerfile the legacy build system leaves in root/buildinfo,
//     "Dockerfile-<name>-<version>-<release>": package name the "name"
//     label ("ubi9/nodejs-18"), source package the
//     "com.redhat.component" label, architecture the "architecture"
//     label, version the file name's version-release ("1-108").
//   - ContainerDetector (Clair's "rhel_package_container_detector") reads
//     root/buildinfo/labels.json (usr/share/buildinfo/labels.json in
//     RHCOS), written by newer build systems: name and architecture from
//     their labels, version the Unix time of
//     "org.opencontainers.image.created", and the "cpe" label as the
//     package's CPE.
//
// Both normalize the version as Clair does ("rhctag": major and minor of
// the tag). Only the newest Red Hat image of a layered build is reported:
// ubi9/nodejs-18, not the ubi9 it was built on.
//
// The VEX parser turns oci components into records whose product is a
// repository keyed "rhcc-container-repository" (name and CPE the
// product's CPE), package name the image's repository (from the purl's
// namespace, else the path of its repository_url), fixed version the
// purl's tag, range of normalized versions as Clair's (a fix applies
// within its minor series; the lowest fix also to older series); known
// affected images get an unfixed record, known not affected ones none.
// ContainerMatcher (Clair's "rhel-container-matcher") matches them:
// same name, product covering the image's CPE (any product when the
// image names none), version within the range and, compared as an rpm
// version, below the fix.
//
// Unlike Clair, Loupe does not report the "Red Hat Container Catalog" or
// CPE repositories of container images in the index report: the indexer
// gives every package of a layer that layer's repositories, and a
// container repository on the rpm packages of an image without content
// manifests would hide the main repositories the rhel matcher assumes
// for them. Clair's mapping of image names to other repositories
// (container-name-repos-map.json) is not used, and its "not vulnerable"
// (inverted) records and ancestry packages have no Loupe equivalent.
//
// The parser reads any CSAF 2.0 document, so Red Hat's security
// advisories (csaf/v2/advisories) parse too, one record set per CVE.
package rhel
