// Package alpine is everything Loupe knows about Alpine Linux, and the
// part of it Wolfi and Chainguard share: the apk package database
// (lib/apk/db/installed), Alpine release detection, the Alpine security
// database (secdb) updaters, and the matching rules for them.
//
// # Packages
//
// PackageScanner ("apk") reads lib/apk/db/installed, the database of every
// apk-based distribution, in one pass: one binary package per entry, with
// name (P:), version (V:) and architecture (A:); the origin (o:) becomes
// the source package, with the binary's version; the build commit (c:)
// is the repository hint. The database is a single file rewritten on
// every change, so the indexer's "newest copy wins" rule applies to it,
// and a layer that deletes it leaves no apk packages.
//
// # Distribution
//
// DistributionScanner ("alpine") reports what Clair reports: did
// "alpine", name "Alpine Linux" (NAME), version the major.minor release
// ("3.18") or "edge", pretty_name "Alpine Linux v3.18" (PRETTY_NAME), from
// os-release with ID=alpine, else etc/issue, else etc/alpine-release.
//
// # Vulnerabilities
//
// UpdaterSet is the "alpine" set: one updater per release and repository
// (main, community), named as in Clair ("alpine-main-v3.18-updater"), each
// reading https://secdb.alpinelinux.org/<release>/<repo>.json. Clair
// discovers releases by probing the server; Loupe's sets are fixed, so the
// set lists v3.3 to v3.30 and edge: releases after v3.23 are checked with
// a HEAD request and fetched once they are published. A document missing
// from the server (a mirror carrying some releases only) leaves that
// updater's data as it was, with a warning. The configuration key
// updaters.config.alpine.url moves them to a mirror (see Config).
// Documents are parsed by package secdb; vulnerabilities carry Clair's
// distribution (version_id "3.18", pretty_name "Alpine Linux v3.18") and a
// link to security.alpinelinux.org.
//
// Repositories are not reported: Clair reports none for Alpine, and
// matching does not depend on them, since a release's main and community
// data go to the same namespace.
//
// # Matching
//
// Matcher ("alpine-matcher") files data under "alpine:v3.18" or
// "alpine:edge", computed from a vulnerability's version_id and an
// installed release's version (or, failing those, the pretty name Clair
// joins on), looks installed packages up by origin, and applies the apk
// rule of package secdb.
package alpine
