package indexer

import (
	"context"
	"io/fs"

	"github.com/loupe-dev/loupe"
)

// Scanner kinds, as Clair names them.
const (
	PackageKind      = "package"
	DistributionKind = "distribution"
	RepositoryKind   = "repository"
)

// A Scanner finds things in the files of one layer.
//
// Every layer is read once; a scanner names the files it needs with
// Patterns (in the syntax of layer.Patterns) and Scan sees only those, as
// an fs.FS. Scan must not depend on other layers: its findings are stored
// by layer digest and reused by every manifest that has the layer. Name,
// Version and Kind identify the findings; bumping Version makes every
// layer scan again with this scanner, and only with this scanner.
//
// The fs.FS holds the layer's kept files in memory, so its errors describe
// the layer (a file absent, a directory where a file should be, a link
// loop): scanners treat them as the file being absent, and log and skip
// malformed content, since a layer's content will not improve on a retry.
// Scan returns an error only when it could not do its work for a reason
// outside the layer (a temporary file it needed could not be written).
type Scanner interface {
	Name() string
	Version() string
	Kind() string
	Patterns() []string
	Scan(ctx context.Context, fsys fs.FS) (*Findings, error)
}

// Findings is what a scanner found in one layer.
type Findings struct {
	Packages      []*loupe.Package
	Distributions []*loupe.Distribution
	Repositories  []*loupe.Repository
	// Databases are the package databases the scanner read, including
	// empty ones: a layer that rewrites a database replaces it, even when
	// the new one lists no packages.
	Databases []string
}

// ScannerID identifies a scanner's findings.
type ScannerID struct {
	Name, Version, Kind string
}

// IDOf returns s's ScannerID.
func IDOf(s Scanner) ScannerID {
	return ScannerID{Name: s.Name(), Version: s.Version(), Kind: s.Kind()}
}
