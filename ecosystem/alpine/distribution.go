package alpine

import (
	"bytes"
	"context"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// Release files other than os-release.
const (
	issuePath         = "etc/issue"
	alpineReleasePath = "etc/alpine-release"
)

// Names Clair gives Alpine.
const (
	distID   = "alpine"
	distName = "Alpine Linux"
	edge     = "edge"
)

// DistributionScanner recognises Alpine Linux as Clair's "alpine" scanner
// does: from os-release (etc/, then usr/lib/, which recent releases link
// etc/os-release to) with ID=alpine, or, in images without an os-release,
// from etc/issue ("Welcome to Alpine Linux 3.18", "… 3.19_alpha20230901
// (edge)") and then etc/alpine-release. An os-release naming another
// distribution is believed: the fallbacks are not read.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "alpine" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(issuePath, alpineReleasePath)
}

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, found := osrelease.Read(fsys); found {
		d = fromOSRelease(kv)
	} else {
		d = fromIssue(fsys)
		if d == nil {
			d = fromAlpineRelease(fsys)
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

// Distribution returns the Distribution Clair's scanner reports for an
// Alpine release, "3.18" or "edge": did alpine, name "Alpine Linux",
// version the release, pretty_name "Alpine Linux v3.18" or "Alpine Linux
// edge", and no version_id.
func Distribution(release string) *loupe.Distribution {
	return &loupe.Distribution{DID: distID, Name: distName, Version: release, PrettyName: prettyName(release)}
}

func prettyName(release string) string {
	if release == edge {
		return distName + " edge"
	}
	return distName + " v" + release
}

// fromOSRelease fills the Distribution as Clair does, from NAME, ID and
// PRETTY_NAME, with the version the major.minor of VERSION_ID, or "edge"
// for a development snapshot (PRETTY_NAME "Alpine Linux edge", or a
// VERSION_ID such as "3.19_alpha20230901").
func fromOSRelease(kv map[string]string) *loupe.Distribution {
	if kv["ID"] != distID {
		return nil
	}
	vid := kv["VERSION_ID"]
	var release string
	switch {
	case strings.HasSuffix(kv["PRETTY_NAME"], " edge") || strings.ContainsRune(vid, '_'):
		release = edge
	default:
		release = majorMinor(vid)
	}
	if release == "" {
		release = releaseOfPrettyName(kv["PRETTY_NAME"])
	}
	if release == "" {
		return nil
	}
	d := Distribution(release)
	if n := kv["NAME"]; n != "" {
		d.Name = n
	}
	if p := kv["PRETTY_NAME"]; p != "" {
		d.PrettyName = p
	}
	return d
}

var (
	issueRelease = regexp.MustCompile(`Alpine Linux ([0-9]+\.[0-9]+)`)
	issueEdge    = regexp.MustCompile(`Alpine Linux [0-9]+\.\w+ \(edge\)`)
)

func fromIssue(fsys fs.FS) *loupe.Distribution {
	b, err := fs.ReadFile(fsys, issuePath)
	if err != nil {
		return nil
	}
	if issueEdge.Match(b) {
		return Distribution(edge)
	}
	if m := issueRelease.FindSubmatch(b); m != nil {
		return Distribution(string(m[1]))
	}
	return nil
}

// fromAlpineRelease reads etc/alpine-release: "3.18.4", or
// "3.19_alpha20230901" on edge.
func fromAlpineRelease(fsys fs.FS) *loupe.Distribution {
	b, err := fs.ReadFile(fsys, alpineReleasePath)
	if err != nil {
		return nil
	}
	v := string(bytes.TrimSpace(b))
	if strings.ContainsRune(v, '_') && majorMinor(v[:strings.IndexByte(v, '_')]) != "" {
		return Distribution(edge)
	}
	if r := majorMinor(v); r != "" {
		return Distribution(r)
	}
	return nil
}

// majorMinor returns "3.18" for "3.18.4", "3.18" or "v3.18", and "" for
// anything else.
func majorMinor(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	major, rest, ok := strings.Cut(v, ".")
	if !ok {
		return ""
	}
	minor, _, _ := strings.Cut(rest, ".")
	if !isNumber(major) || !isNumber(minor) {
		return ""
	}
	return major + "." + minor
}

func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

// releaseOfPrettyName reads "Alpine Linux v3.18" or "Alpine Linux edge".
func releaseOfPrettyName(p string) string {
	rest, ok := strings.CutPrefix(p, distName+" ")
	if !ok {
		return ""
	}
	if rest == edge {
		return edge
	}
	if strings.HasPrefix(rest, "v") {
		return majorMinor(rest)
	}
	return ""
}

// isAlpine reports whether d is Alpine, as Clair's matcher decides it.
func isAlpine(d *loupe.Distribution) bool {
	return d != nil && (d.DID == distID || d.Name == distName)
}

// namespace is the key the matcher files Alpine data under: "alpine:v3.18"
// or "alpine:edge". Installed releases carry the release in Version (from
// the scanner), vulnerabilities in VersionID (from the updater, as in
// Clair); both carry it in PrettyName, which is what Clair joins on.
func namespace(d *loupe.Distribution) string {
	for _, v := range []string{d.Version, d.VersionID} {
		if v == edge {
			return "alpine:edge"
		}
		if r := majorMinor(v); r != "" {
			return "alpine:v" + r
		}
	}
	switch r := releaseOfPrettyName(d.PrettyName); r {
	case "":
		return ""
	case edge:
		return "alpine:edge"
	default:
		return "alpine:v" + r
	}
}
