package fedora

import (
	"context"
	"io/fs"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/indexer"
)

// ID is Fedora's os-release ID, its distributions' DID.
const ID = "fedora"

var distro = rpmfeeds.Distro{
	ID:          ID,
	Name:        "Fedora Linux",
	ReleaseFile: "etc/fedora-release",
	ReleaseName: "Fedora",
	CPEPrefix:   "cpe:2.3:o:fedoraproject:fedora:",
}

// Distribution returns the distribution Fedora vulnerabilities are filed
// under: a release, {did "fedora", name "Fedora Linux", version and
// version_id the release, pretty_name "Fedora Linux <release>"}.
func Distribution(release string) *loupe.Distribution { return distro.Distribution(release) }

// Namespace returns the matcher's namespace of a Fedora distribution,
// "fedora:<major>", or "" when its version_id has no major release.
func Namespace(d *loupe.Distribution) string { return distro.Namespace(d) }

// DistributionScanner recognises Fedora from os-release with ID "fedora",
// reporting its fields as written there: for the Fedora 40 container image
// {did "fedora", name "Fedora Linux", version "40 (Container Image)",
// version_id "40", pretty_name "Fedora Linux 40 (Container Image)", cpe
// "cpe:2.3:o:fedoraproject:fedora:40:*:*:*:*:*:*:*"}. An image with no
// os-release is recognised by etc/fedora-release ("Fedora release 40
// (Forty)"); see rpmfeeds.Distro.Detect.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "fedora" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string { return distro.Patterns() }

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	return distro.Detect(fsys), nil
}

// Matcher returns the "fedora-matcher" rules: Fedora's updates speak in
// source packages (Koji builds), keyed by release ("fedora:40"); see package
// rpmfeeds for the rest.
func Matcher() rpmfeeds.Matcher {
	return rpmfeeds.NewMatcher("fedora-matcher", ID, Namespace)
}
