package indexer

import (
	"context"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/store"
)

// Store is what the indexer keeps. Findings and reports are opaque bytes
// to the store; the indexer encodes them. Its leases make indexers that
// share a store read each layer once between them.
type Store interface {
	store.Leaser
	// Findings returns the stored findings of the given scanners for
	// each layer that has any.
	Findings(ctx context.Context, layers []loupe.Digest, scanners []ScannerID) (map[loupe.Digest]map[ScannerID][]byte, error)
	// PutFindings stores findings of one layer, keyed by scanner.
	PutFindings(ctx context.Context, layer loupe.Digest, findings map[ScannerID][]byte) error
	// Report returns a manifest's stored report and the indexer state it
	// was built under; ok is false if there is none.
	Report(ctx context.Context, manifest loupe.Digest) (report []byte, state string, ok bool, err error)
	// PutReport stores a manifest's report, its layers and its record
	// keys (see Options.RecordKeys), replacing what was there.
	PutReport(ctx context.Context, m *loupe.Manifest, state string, finished bool, report []byte, keys []uint64) error
	// Manifests returns the manifests with a finished report that have
	// any of the record keys.
	Manifests(ctx context.Context, keys []uint64) ([]loupe.Digest, error)
	// DeleteManifests deletes manifests and the findings of layers no
	// other manifest has, and returns the manifests that existed.
	DeleteManifests(ctx context.Context, manifests []loupe.Digest) ([]loupe.Digest, error)
}
