// Package osv is the "osv" updater set: it reads language-ecosystem
// advisories in the OSV format (https://ossf.github.io/osv-schema/), as
// OSV.dev publishes them, and turns them into vulnerabilities that
// Clair-style language matchers can use.
//
// # Updaters
//
// UpdaterSet returns one updater per supported ecosystem, named as in
// Clair: osv/go, osv/pypi, osv/crates.io, osv/rubygems, osv/npm,
// osv/maven, osv/nuget, osv/packagist, osv/hex and osv/pub. Each fetches
// <url><Ecosystem>/all.zip, with the ecosystem spelled as OSV.dev spells
// the directory ("Go", "PyPI", "crates.io", "RubyGems", "npm", "Maven",
// "NuGet", "Packagist", "Hex", "Pub"), through updater.FetchURL, so
// unchanged archives (same ETag, Last-Modified or SHA-256) are not parsed
// again. Clair's ecosystems.txt discovery is not used: the list is fixed.
//
// Configuration (type Config) comes from updaters.config.osv, or
// updaters.config.<updater name> for one updater: url, the base URL
// (http, https or file; DefaultURL when empty), and allowlist, the
// ecosystems to update, ignoring case. An updater left out by the
// allowlist reports Enabled() == false and its Fetch returns
// updater.ErrUnchanged without using the network; whatever it stored
// before stays until garbage collection.
//
// # Parsing
//
// An archive is a zip of advisories, one per file: .json, or .yaml/.yml
// (same schema), in any directory. Files are read one at a time in
// file-name order. Files of other types and directories are ignored. A
// file that does not decode, has no id, or is larger than 32 MiB is
// skipped with a warning. A body that is not a zip, or an entry that
// does not decompress, fails the parse. Withdrawn advisories (any
// "withdrawn" value) and advisories with no affected packages are
// skipped. Only affected packages of the updater's ecosystem are kept;
// the ecosystem may carry a ":suffix" ("Maven:https://maven.google.com/"),
// and is compared without it, ignoring case.
//
// # Vulnerabilities
//
// Parse returns vulnerabilities in file order, then affected-package
// order, then range order, then event order. For each kept affected
// package it emits one vulnerability per introduced event of each SEMVER
// or ECOSYSTEM range. The introduced event is paired with the fixed,
// last_affected or limit event that follows it. An introduced event
// followed by another introduced event, or by nothing, is open above. A
// closing event with no introduced event before it is ignored. GIT
// ranges, and ranges of unknown types, are ignored. An affected package
// whose ranges yield nothing but that lists versions gets one
// vulnerability with those versions. Otherwise it gets none.
//
// Every vulnerability has these fields:
//
//   - Updater: the updater name.
//   - Name: the advisory id.
//   - Description: the summary, or the details when there is no summary.
//   - Issued: published (RFC 3339), in UTC; zero when absent or
//     unparsable.
//   - Links: space-separated reference URLs, then
//     https://osv.dev/vulnerability/<id>, then the same page for each
//     alias (as Clair does, so that CVE aliases are visible to
//     enrichers). Duplicates, and URLs containing spaces, are dropped.
//   - Severity and NormalizedSeverity: the first CVSS vector, preferring
//     CVSS_V3, then CVSS_V4, then CVSS_V2, that go-cvss parses. Severity
//     is the vector verbatim. NormalizedSeverity is the base score's NVD
//     band for every version: 0 → Negligible, 0.1–3.9 → Low,
//     4.0–6.9 → Medium, 7.0–8.9 → High, 9.0–10.0 → Critical. An affected
//     package's own severity list, when it parses, overrides the
//     advisory's. Without a usable vector, database_specific.severity
//     verbatim is used, mapped by word (LOW → Low, MODERATE or MEDIUM →
//     Medium, HIGH → High, CRITICAL → Critical, NEGLIGIBLE → Negligible,
//     anything else → Unknown). Failing that, Severity is "" and
//     NormalizedSeverity is Unknown.
//   - Package: {Name: affected.package.name, Kind: "binary"}. This is the
//     module path for Go, group:artifact for Maven, and the registry
//     name otherwise, verbatim (PyPI names are not PEP 503-normalized).
//   - Repo: {Name, URI} from the table below. Vulnerabilities of one
//     parse share one Repository value. Vulnerabilities of one affected
//     package share their Package value. Vulnerabilities of one advisory
//     share their description and links strings.
//
// Each vulnerability's version fields depend on the range type:
//
//   - SEMVER ranges set Range, the half-open range of normalized
//     versions of kind "semver": slot 0 is the epoch, always 0; slots
//     1–3 are major, minor and patch; pre-release and build are dropped;
//     a leading "v" and a missing minor or patch are allowed. Lower is
//     the introduced version, and "0" is the zero semver Version, below
//     every version. Upper is the fixed version (exclusive), else the
//     patch after last_affected, else the limit (exclusive), else the
//     zero Version, which is open as loupe.Range.Contains reads it
//     (Clair uses a 65535 sentinel instead). A pair with an unparsable
//     version, or with Lower above Upper, is dropped. FixedInVersion is
//     the fixed version verbatim, or "" when there is none; for query
//     ecosystems it is the query described next.
//   - ECOSYSTEM ranges set no Range. FixedInVersion is the pair as a URL
//     query, url.Values encoded: keys sorted, values escaped, exactly as
//     Clair stores it. The keys are introduced (left out when "0"),
//     fixed and lastAffected, as in Clair, and limit (left out when "*";
//     Clair ignores limit events). For example:
//     "fixed=2.9.11&introduced=2.8.0", "fixed=1.0a12",
//     "introduced=2.0&lastAffected=2.1.3". An introduced-0 pair with no
//     upper bound is "", which Clair's matchers read as "all versions".
//   - Versions only: no Range. FixedInVersion is the list as a query with
//     one key, versions, in the listed order: "versions=0.1.0&versions=0.1.1".
//
// Per ecosystem:
//
//	ecosystem  updater        Repo.Name  Repo.URI                               SEMVER range          ECOSYSTEM range
//	Go         osv/go         go         https://pkg.go.dev/                    Range + fixed         as SEMVER
//	npm        osv/npm        npm        https://www.npmjs.com/                 Range + fixed         as SEMVER
//	PyPI       osv/pypi       pypi       https://pypi.org/                      Range + query         query
//	Maven      osv/maven      maven      https://repo1.maven.apache.org/maven2  Range + query         query
//	RubyGems   osv/rubygems   rubygems   https://rubygems.org/gems/             Range + query         query
//	crates.io  osv/crates.io  crates.io  https://crates.io/                     Range + fixed         query
//	NuGet      osv/nuget      nuget      https://www.nuget.org/packages/        Range + fixed         query
//	Packagist  osv/packagist  packagist  https://packagist.org/                 Range + fixed         query
//	Hex        osv/hex        hex        https://hex.pm/                        Range + fixed         query
//	Pub        osv/pub        pub        https://pub.dev/                       Range + fixed         query
//
// "Range + fixed" means Range with FixedInVersion = the fixed version.
// "Range + query" means Range with FixedInVersion = the query. "query"
// means FixedInVersion = the query and no Range. "as SEMVER" means that
// for Go and npm, whose versions are SemVer and whose matchers read only
// the range, an ECOSYSTEM range is read as a SEMVER one. Clair drops
// those ranges.
//
// So a range matcher (gobin, npm) compares the package's normalized
// semver against Range. A version-string matcher (java-maven, python,
// ruby-gem) parses FixedInVersion with url.ParseQuery. The repository
// URIs are the ones Clair's OSV updater uses; Clair has none for Hex and
// Pub. They differ from its scanners' defaults for PyPI
// (https://pypi.org/simple); the matchers key on Repo.Name.
package osv
