package rocky

import (
	"context"
	"io/fs"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/indexer"
)

// ID is Rocky Linux's os-release ID, its distributions' DID.
const ID = "rocky"

var distro = rpmfeeds.Distro{
	ID:          ID,
	Name:        "Rocky Linux",
	ReleaseFile: "etc/rocky-release",
	ReleaseName: "Rocky Linux",
	CPEPrefix:   "cpe:2.3:o:rocky:rocky:",
}

// Distribution returns the distribution Rocky Linux vulnerabilities are
// filed under: a major, {did "rocky", name "Rocky Linux", version and
// version_id the major, pretty_name "Rocky Linux <major>"}.
func Distribution(major string) *loupe.Distribution { return distro.Distribution(major) }

// Namespace returns the matcher's namespace of a Rocky Linux distribution,
// "rocky:<major>", or "" when its version_id has no major release.
func Namespace(d *loupe.Distribution) string { return distro.Namespace(d) }

// DistributionScanner recognises Rocky Linux from os-release with ID
// "rocky", reporting its fields as written there: for Rocky Linux 9.4 {did
// "rocky", name "Rocky Linux", version "9.4 (Blue Onyx)", version_id "9.4",
// pretty_name "Rocky Linux 9.4 (Blue Onyx)", cpe
// "cpe:2.3:o:rocky:rocky:9:*:baseos:…"}. An image with no os-release is
// recognised by etc/rocky-release ("Rocky Linux release 9.4 (Blue Onyx)");
// see rpmfeeds.Distro.Detect.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "rocky" }

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

// Matcher returns the "rocky-matcher" rules: Rocky Linux's errata speak in
// source packages, keyed by major release ("rocky:9"); see package rpmfeeds
// for the rest.
func Matcher() rpmfeeds.Matcher {
	return rpmfeeds.NewMatcher("rocky-matcher", ID, Namespace)
}
