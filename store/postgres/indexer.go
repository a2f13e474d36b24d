package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

const indexerSchema = "loupe_indexer"

// IndexerStore is the indexer's PostgreSQL store.
type IndexerStore struct {
	*db
}

var _ indexer.Store = (*IndexerStore)(nil)

// OpenIndexer connects to the indexer's database; with migrate, it brings
// the loupe_indexer schema up to date first.
func OpenIndexer(ctx context.Context, connstring string, migrate bool) (*IndexerStore, error) {
	d, err := open(ctx, connstring, "indexer", migrate)
	if err != nil {
		return nil, err
	}
	return &IndexerStore{d}, nil
}

// Findings implements indexer.Store.
func (s *IndexerStore) Findings(ctx context.Context, layers []loupe.Digest, scanners []indexer.ScannerID) (map[loupe.Digest]map[indexer.ScannerID][]byte, error) {
	out := make(map[loupe.Digest]map[indexer.ScannerID][]byte)
	if len(layers) == 0 {
		return out, nil
	}
	want := make(map[indexer.ScannerID]bool, len(scanners))
	for _, id := range scanners {
		want[id] = true
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.String()
	}
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT layer, scanner, version, kind, findings FROM loupe_indexer.layer_findings WHERE layer = ANY($1)`, names)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				layer string
				id    indexer.ScannerID
				b     []byte
			)
			if err := rows.Scan(&layer, &id.Name, &id.Version, &id.Kind, &b); err != nil {
				return err
			}
			if !want[id] {
				continue
			}
			d, err := loupe.ParseDigest(layer)
			if err != nil {
				return err
			}
			if out[d] == nil {
				out[d] = make(map[indexer.ScannerID][]byte)
			}
			out[d][id] = b
		}
		return rows.Err()
	})
	return out, err
}

// PutFindings implements indexer.Store.
func (s *IndexerStore) PutFindings(ctx context.Context, layer loupe.Digest, findings map[indexer.ScannerID][]byte) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for id, f := range findings {
			b.Queue(`INSERT INTO loupe_indexer.layer_findings (layer, scanner, version, kind, findings) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (layer, scanner, version, kind) DO UPDATE SET findings = excluded.findings, created = now()`,
				layer.String(), id.Name, id.Version, id.Kind, f)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
}

// Report implements indexer.Store.
func (s *IndexerStore) Report(ctx context.Context, manifest loupe.Digest) ([]byte, string, bool, error) {
	var (
		b     []byte
		state string
	)
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT report, state FROM loupe_indexer.manifest WHERE hash = $1`, manifest.String()).Scan(&b, &state)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, "", false, nil
	case err != nil:
		return nil, "", false, err
	}
	return b, state, true, nil
}

// PutReport implements indexer.Store: the report and the manifest's
// layers land in one transaction, so a reader never sees half of it.
func (s *IndexerStore) PutReport(ctx context.Context, m *loupe.Manifest, state string, finished bool, report []byte) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`INSERT INTO loupe_indexer.manifest (hash, state, finished, report) VALUES ($1, $2, $3, $4)
			ON CONFLICT (hash) DO UPDATE SET state = excluded.state, finished = excluded.finished, report = excluded.report, updated = now()`,
			m.Hash.String(), state, finished, report)
		b.Queue(`DELETE FROM loupe_indexer.manifest_layer WHERE manifest = $1`, m.Hash.String())
		for i, l := range m.Layers {
			b.Queue(`INSERT INTO loupe_indexer.manifest_layer (manifest, i, layer) VALUES ($1, $2, $3)`, m.Hash.String(), i, l.Hash.String())
		}
		return tx.SendBatch(ctx, &b).Close()
	})
}

// DeleteManifests implements indexer.Store.
func (s *IndexerStore) DeleteManifests(ctx context.Context, manifests []loupe.Digest) ([]loupe.Digest, error) {
	names := make([]string, len(manifests))
	for i, m := range manifests {
		names[i] = m.String()
	}
	var deleted []loupe.Digest
	err := s.tx(ctx, func(tx pgx.Tx) error {
		deleted = deleted[:0]
		// Sub-statements see one snapshot: layers are read before the
		// delete cascades, and a layer's findings go unless a manifest
		// that stays still lists it.
		rows, err := tx.Query(ctx, `WITH layers AS (
				SELECT DISTINCT layer FROM loupe_indexer.manifest_layer WHERE manifest = ANY($1)
			), gone AS (
				DELETE FROM loupe_indexer.manifest WHERE hash = ANY($1) RETURNING hash
			), orphans AS (
				DELETE FROM loupe_indexer.layer_findings f
				WHERE f.layer IN (SELECT layer FROM layers)
				AND NOT EXISTS (SELECT 1 FROM loupe_indexer.manifest_layer ml
					WHERE ml.layer = f.layer AND ml.manifest <> ALL($1))
			)
			SELECT hash FROM gone`, names)
		if err != nil {
			return err
		}
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, h := range hashes {
			d, err := loupe.ParseDigest(h)
			if err != nil {
				return err
			}
			deleted = append(deleted, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// Acquire implements store.Leaser.
func (s *IndexerStore) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	return s.acquireLease(ctx, indexerSchema, key, owner, ttl)
}

// Release implements store.Leaser.
func (s *IndexerStore) Release(ctx context.Context, key, owner string) error {
	return s.releaseLease(ctx, indexerSchema, key, owner)
}
