package fedora

import (
	"context"
	"io/fs"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/indexer"
)

// ID is Fedora's os-release ID, its distributions' DID.
const ID = "fedora"

const (
	name            = "Fedora Linux"
	releaseFilePath = "etc/fedora-release"
)

// Distribution returns the distribution Fedora vulnerabilities are filed
// under: a release, {did "fedora", name "Fedora Linux", version and
// version_id "40", pretty_name "Fedora Linux 40", cpe
// "cpe:2.3:o:fedoraproject:fedora:40:…"}.
func Distribution(release string) *loupe.Distribution {
	return &loupe.Distribution{
		DID:        ID,
		Name:       name,
		Version:    release,
		VersionID:  release,
		PrettyName: name + " " + release,
		CPE:        cpe(release),
	}
}

func cpe(release string) string {
	return "cpe:2.3:o:fedoraproject:fedora:" + release + ":*:*:*:*:*:*:*"
}

// Namespace returns the matcher's namespace of a Fedora distribution,
// "fedora:<release>", or "" when its version_id is not a release number.
func Namespace(d *loupe.Distribution) string {
	if m := rpmfeeds.Major(d.VersionID); m != "" {
		return ID + ":" + m
	}
	return ""
}

// DistributionScanner recognises Fedora from os-release (etc/, then
// usr/lib/) with ID "fedora", reporting its fields as written there
// (rpmfeeds.FromOSRelease): for the Fedora 40 container image {did
// "fedora", name "Fedora Linux", version "40 (Container Image)",
// version_id "40", pretty_name "Fedora Linux 40 (Container Image)", cpe
// "cpe:2.3:o:fedoraproject:fedora:40:*:*:*:*:*:*:*"}. An image with no
// os-release is recognised by etc/fedora-release ("Fedora release 40
// (Forty)"), which gives {version "40 (Forty)", pretty_name "Fedora Linux
// 40 (Forty)"} and the same other fields.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "fedora" }

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
		if r, ok := rpmfeeds.ParseReleaseFile(b); ok && strings.HasPrefix(r.Name, "Fedora") {
			d = fromRelease(r)
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

func fromRelease(r rpmfeeds.Release) *loupe.Distribution {
	major := rpmfeeds.Major(r.VersionID)
	version := major
	if r.Codename != "" {
		version += " (" + r.Codename + ")"
	}
	return &loupe.Distribution{
		DID:        ID,
		Name:       name,
		Version:    version,
		VersionID:  major,
		PrettyName: name + " " + version,
		CPE:        cpe(major),
	}
}

// Matcher returns the "fedora-matcher" rules: Fedora's updates speak in
// source packages (Koji builds), keyed by release ("fedora:40"); see
// package rpmfeeds for the rest.
func Matcher() rpmfeeds.Matcher {
	return rpmfeeds.NewMatcher("fedora-matcher", ID, Namespace)
}
