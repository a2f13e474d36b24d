package alma

import (
	"context"
	"io/fs"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/indexer"
)

// ID is AlmaLinux's os-release ID, its distributions' DID.
const ID = "almalinux"

const (
	name            = "AlmaLinux"
	releaseFilePath = "etc/almalinux-release"
)

// Distribution returns the distribution AlmaLinux vulnerabilities are
// filed under: a major release, {did "almalinux", name "AlmaLinux",
// version and version_id "9", pretty_name "AlmaLinux 9", cpe
// "cpe:2.3:o:almalinux:almalinux:9:…"}.
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

func cpe(major string) string {
	return "cpe:2.3:o:almalinux:almalinux:" + major + ":*:*:*:*:*:*:*"
}

// Namespace returns the matcher's namespace of an AlmaLinux distribution,
// "almalinux:<major>", or "" when its version_id has no major release.
func Namespace(d *loupe.Distribution) string {
	if m := rpmfeeds.Major(d.VersionID); m != "" {
		return ID + ":" + m
	}
	return ""
}

// DistributionScanner recognises AlmaLinux from os-release (etc/, then
// usr/lib/) with ID "almalinux", reporting its fields as written there
// (rpmfeeds.FromOSRelease): for AlmaLinux 9.4 {did "almalinux", name
// "AlmaLinux", version "9.4 (Seafoam Ocelot)", version_id "9.4",
// pretty_name "AlmaLinux 9.4 (Seafoam Ocelot)", cpe
// "cpe:2.3:o:almalinux:almalinux:9:*:baseos:…"}. An image with no
// os-release is recognised by etc/almalinux-release ("AlmaLinux release
// 9.4 (Seafoam Ocelot)"), which gives the same fields but the CPE's
// edition.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "alma" }

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

// Matcher returns the "alma-matcher" rules: AlmaLinux's errata speak in
// binary packages, per architecture and module stream, keyed by major
// release ("almalinux:9"); see package rpmfeeds for the rest.
func Matcher() rpmfeeds.Matcher {
	return rpmfeeds.NewMatcher("alma-matcher", ID, Namespace)
}
