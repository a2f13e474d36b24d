package alma

import (
	"context"
	"io/fs"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/indexer"
)

// ID is AlmaLinux's os-release ID, its distributions' DID.
const ID = "almalinux"

var distro = rpmfeeds.Distro{
	ID:          ID,
	Name:        "AlmaLinux",
	ReleaseFile: "etc/almalinux-release",
	ReleaseName: "AlmaLinux",
	CPEPrefix:   "cpe:2.3:o:almalinux:almalinux:",
}

// Distribution returns the distribution AlmaLinux vulnerabilities are filed
// under: a major, {did "almalinux", name "AlmaLinux", version and version_id
// the major, pretty_name "AlmaLinux <major>"}.
func Distribution(major string) *loupe.Distribution { return distro.Distribution(major) }

// Namespace returns the matcher's namespace of a AlmaLinux distribution,
// "almalinux:<major>", or "" when its version_id has no major release.
func Namespace(d *loupe.Distribution) string { return distro.Namespace(d) }

// DistributionScanner recognises AlmaLinux from os-release with ID
// "almalinux", reporting its fields as written there: for AlmaLinux 9.4 {did
// "almalinux", name "AlmaLinux", version "9.4 (Seafoam Ocelot)", version_id
// "9.4", pretty_name "AlmaLinux 9.4 (Seafoam Ocelot)", cpe
// "cpe:2.3:o:almalinux:almalinux:9:*:baseos:…"}. An image with no os-release
// is recognised by etc/almalinux-release ("AlmaLinux release 9.4 (Seafoam
// Ocelot)"); see rpmfeeds.Distro.Detect.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "alma" }

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

// Matcher returns the "alma-matcher" rules: AlmaLinux's errata speak in
// binary packages, per architecture and module stream, keyed by major
// release ("almalinux:9"); see package rpmfeeds for the rest.
func Matcher() rpmfeeds.Matcher {
	return rpmfeeds.NewMatcher("alma-matcher", ID, Namespace)
}
