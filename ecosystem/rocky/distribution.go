package rocky

import (
	"context"
	"io/fs"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/indexer"
)

// ID is Rocky Linux's os-release ID, its distributions' DID.
const ID = "rocky"

const (
	name            = "Rocky Linux"
	releaseFilePath = "etc/rocky-release"
)

// Distribution returns the distribution Rocky Linux vulnerabilities are
// filed under: a major release, {did "rocky", name "Rocky Linux",
// version and version_id "9", pretty_name "Rocky Linux 9", cpe
// "cpe:2.3:o:rocky:rocky:9:…"}.
func Distribution(major string) *loupe.Distribution {
	return &loupe.Distribution{
		DID:        ID,
		Name:       name,
		Version:    major,
		VersionID:  major,
		PrettyName: name + " " + major,
		CPE:        cpe(major),
	}
}

func cpe(major string) string { return "cpe:2.3:o:rocky:rocky:" + major + ":*:*:*:*:*:*:*" }

// Namespace returns the matcher's namespace of a Rocky Linux
// distribution, "rocky:<major>", or "" when its version_id has no major
// release.
func Namespace(d *loupe.Distribution) string {
	if m := rpmfeeds.Major(d.VersionID); m != "" {
		return ID + ":" + m
	}
	return ""
}

// DistributionScanner recognises Rocky Linux from os-release (etc/, then
// usr/lib/) with ID "rocky", reporting its fields as written there
// (rpmfeeds.FromOSRelease): for Rocky Linux 9.4 {did "rocky", name "Rocky
// Linux", version "9.4 (Blue Onyx)", version_id "9.4", pretty_name "Rocky
// Linux 9.4 (Blue Onyx)", cpe "cpe:2.3:o:rocky:rocky:9:*:baseos:…"}. An
// image with no os-release is recognised by etc/rocky-release ("Rocky
// Linux release 9.4 (Blue Onyx)"), which gives the same fields but the
// CPE's edition.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "rocky" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return append(append([]string{}, rpmfeeds.ReleasePaths...), releaseFilePath)
}

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, ok := rpmfeeds.ReadOSRelease(fsys); ok {
		if strings.EqualFold(kv["ID"], ID) {
			d = rpmfeeds.FromOSRelease(kv, name)
		}
	} else if b, err := fs.ReadFile(fsys, releaseFilePath); err == nil {
		if r, ok := rpmfeeds.ParseReleaseFile(b); ok && strings.HasPrefix(r.Name, name) {
			d = fromRelease(r)
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

func fromRelease(r rpmfeeds.Release) *loupe.Distribution {
	version := r.VersionID
	if r.Codename != "" {
		version += " (" + r.Codename + ")"
	}
	return &loupe.Distribution{
		DID:        ID,
		Name:       name,
		Version:    version,
		VersionID:  r.VersionID,
		PrettyName: name + " " + version,
		CPE:        cpe(rpmfeeds.Major(r.VersionID)),
	}
}

// Matcher returns the "rocky-matcher" rules: Rocky Linux's errata speak
// in source packages, keyed by major release ("rocky:9"); see package
// rpmfeeds for the rest.
func Matcher() rpmfeeds.Matcher {
	return rpmfeeds.NewMatcher("rocky-matcher", ID, Namespace)
}
