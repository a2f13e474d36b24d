// Package secdb reads the "secdb" security databases of the apk-based
// distributions (Alpine's secdb.alpinelinux.org, Wolfi's and Chainguard's
// security.json) and holds the matching rule they share.
//
// # Format
//
// A secdb document is one JSON object (the older alpine-secdb repository
// wrote the same fields in YAML; both are read, told apart by the first
// byte that is not white space):
//
//	{
//	  "distroversion": "v3.18", "reponame": "main", "archs": [...],
//	  "urlprefix": "...", "apkurl": "...",
//	  "packages": [
//	    {"pkg": {"name": "openssl", "secfixes": {
//	      "3.1.4-r1": ["CVE-2023-5678"],
//	      "0": ["CVE-2022-1234"]}}}
//	  ]
//	}
//
// A package's name is the origin (source) package; each secfixes key is
// the first apk version with the fixes listed under it, and the key "0"
// says that the package was never affected.
//
// # Vulnerabilities
//
// Parse streams the packages and returns one vulnerability per (package,
// advisory), in package order, then fixed version order (apk's), then the
// order advisories are listed in:
//
//   - Name: the advisory identifier. An entry naming several identifiers
//     ("CVE-2017-8904 XSA-214", "CVE-2018-16428 CVE-2018-16429") gives one
//     vulnerability per CVE named, or one for the first identifier when it
//     names no CVE; the other identifiers become extra links.
//   - Package: {Name: the package name, Kind: "source"}.
//   - FixedInVersion: the secfixes key. An advisory listed under several
//     fixed versions of one package is reported once, with the highest
//     (a later fix supersedes an incomplete one; matching is the same).
//   - Links: the caller's link prefix followed by each identifier.
//   - Severity "" and NormalizedSeverity Unknown: the feeds carry none.
//   - Dist: left nil, for the caller to fill.
//
// Advisories under "0" are left out, and so is every other entry of the
// same advisory for the same package: "not affected" wins over a
// contradicting fix. Entries with an empty version or identifier are
// skipped. A package entry of the wrong shape is skipped with a warning;
// a document that is not well-formed JSON (or YAML) fails the parse.
//
// # Matching
//
// Prepare is the matching rule of every apk matcher: no fixed version
// means every version is affected; "0" means none is; otherwise an
// installed version is affected when it sorts before the fixed version by
// apk's ordering (version.APK). Malformed versions, which the feeds hold
// ("10.2.26.r0" for "10.2.26-r0"), are compared as apk-tools compares
// them, up to the malformed part (version.LaxAPK); a version that does not
// start with a number never matches (an installed one is not affected, as
// in Clair; a fixed one is refused by Prepare).
package secdb
