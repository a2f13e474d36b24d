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

// PutReport implements indexer.Store: the report, the manifest's layers
// and its keys land in one transaction, so a reader never sees half of
// it.
func (s *IndexerStore) PutReport(ctx context.Context, m *loupe.Manifest, state string, finished bool, report []byte, keys []uint64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO loupe_indexer.manifest (hash, state, finished, report) VALUES ($1, $2, $3, $4)
			ON CONFLICT (hash) DO UPDATE SET state = excluded.state, finished = excluded.finished, report = excluded.report, updated = now()
			RETURNING id`, m.Hash.String(), state, finished, report).Scan(&id)
		if err != nil {
			return err
		}
		layers := make([]string, len(m.Layers))
		for i, l := range m.Layers {
			layers[i] = l.Hash.String()
		}
		dedup := make([]int64, 0, len(keys))
		seen := make(map[uint64]bool, len(keys))
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				dedup = append(dedup, int64(k))
			}
		}
		var b pgx.Batch
		b.Queue(`DELETE FROM loupe_indexer.manifest_layer WHERE manifest = $1`, id)
		b.Queue(`DELETE FROM loupe_indexer.manifest_key WHERE manifest = $1`, id)
		b.Queue(`INSERT INTO loupe_indexer.manifest_layer (manifest, i, layer)
			SELECT $1, l.i - 1, l.layer FROM unnest($2::text[]) WITH ORDINALITY AS l (layer, i)`, id, layers)
		b.Queue(`INSERT INTO loupe_indexer.manifest_key (key, manifest) SELECT k, $1 FROM unnest($2::bigint[]) AS k`, id, dedup)
		return tx.SendBatch(ctx, &b).Close()
	})
}

// Manifests implements indexer.Store.
func (s *IndexerStore) Manifests(ctx context.Context, keys []uint64) ([]loupe.Digest, error) {
	ks := make([]int64, len(keys))
	for i, k := range keys {
		ks[i] = int64(k)
	}
	var out []loupe.Digest
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT m.hash FROM loupe_indexer.manifest m
			WHERE m.finished AND EXISTS (SELECT 1 FROM loupe_indexer.manifest_key k WHERE k.manifest = m.id AND k.key = ANY($1))`, ks)
		if err != nil {
			return err
		}
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		out = make([]loupe.Digest, 0, len(hashes))
		for _, h := range hashes {
			d, err := loupe.ParseDigest(h)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
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
				SELECT DISTINCT ml.layer FROM loupe_indexer.manifest_layer ml
			JOIN loupe_indexer.manifest m ON m.id = ml.manifest WHERE m.hash = ANY($1)
			), gone AS (
				DELETE FROM loupe_indexer.manifest WHERE hash = ANY($1) RETURNING hash
			), orphans AS (
				DELETE FROM loupe_indexer.layer_findings f
				WHERE f.layer IN (SELECT layer FROM layers)
				AND NOT EXISTS (SELECT 1 FROM loupe_indexer.manifest_layer ml JOIN loupe_indexer.manifest m ON m.id = ml.manifest
					WHERE ml.layer = f.layer AND m.hash <> ALL($1))
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
