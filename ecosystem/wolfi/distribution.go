package wolfi

import (
	"context"
	"io/fs"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// The distributions' IDs, which are also their names.
const (
	wolfiID      = "wolfi"
	chainguardID = "chainguard"
)

// WolfiDistribution returns Wolfi's Distribution: {did "wolfi", name
// "wolfi", pretty_name "Wolfi"}.
func WolfiDistribution() *loupe.Distribution {
	return &loupe.Distribution{DID: wolfiID, Name: wolfiID, PrettyName: "Wolfi"}
}

// ChainguardDistribution returns Chainguard's Distribution: {did
// "chainguard", name "chainguard", pretty_name "Chainguard"}.
func ChainguardDistribution() *loupe.Distribution {
	return &loupe.Distribution{DID: chainguardID, Name: chainguardID, PrettyName: "Chainguard"}
}

// DistributionScanner recognises Wolfi and Chainguard from os-release.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "chainguard" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns()
}

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	kv, _ := osrelease.Read(fsys)
	var d *loupe.Distribution
	switch kv["ID"] {
	case wolfiID:
		d = WolfiDistribution()
	case chainguardID:
		d = ChainguardDistribution()
	default:
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}
