package photon

import (
	"context"
	"io/fs"
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// photonReleasePath is read when an image has no os-release.
const photonReleasePath = "etc/photon-release"

// The distribution's identity, as Clair reports it.
const (
	did        = "photon"
	name       = "VMware Photon OS"
	prettyName = "VMware Photon OS/Linux"
)

// Distribution returns the Distribution Clair reports for a Photon OS
// release ("5.0"): did "photon", name "VMware Photon OS", version and
// version_id "5.0", pretty_name "VMware Photon OS/Linux".
func Distribution(release string) *loupe.Distribution {
	return &loupe.Distribution{DID: did, Name: name, Version: release, VersionID: release, PrettyName: prettyName}
}

// DistributionScanner recognises Photon OS: from os-release (etc/, then
// usr/lib/) when its ID is "photon" or its NAME "VMware Photon" or
// "VMware Photon OS", and in images without os-release from
// etc/photon-release ("VMware Photon OS 5.0", "VMware Photon Linux 1.0").
// The release is the major version and ".0", which is how Photon numbers
// its releases and its feeds.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "photon" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(photonReleasePath)
}

var releaseLine = regexp.MustCompile(`^VMware Photon(?: OS| Linux)?(?:/Linux)? (\d+)(?:\.\d+)?\b`)

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, ok := osrelease.Read(fsys); ok {
		id := strings.ToLower(kv["ID"])
		if id == did || (id == "" && (kv["NAME"] == name || kv["NAME"] == "VMware Photon")) {
			if r := release(kv["VERSION_ID"]); r != "" {
				d = Distribution(r)
			} else if r := release(kv["VERSION"]); r != "" {
				d = Distribution(r)
			}
		}
	} else if b, err := fs.ReadFile(fsys, photonReleasePath); err == nil {
		if m := releaseLine.FindStringSubmatch(strings.TrimSpace(string(b))); m != nil {
			d = Distribution(release(m[1]))
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

// release returns the release of a version: its major number and ".0"
// ("5.0" of "5.0" or "5"), "" when it does not start with a number.
func release(v string) string {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	if i == 0 || i > 3 || (i < len(v) && v[i] != '.') {
		return ""
	}
	major := strings.TrimLeft(v[:i], "0")
	if major == "" {
		return ""
	}
	return major + ".0"
}
