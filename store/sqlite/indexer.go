package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// IndexerStore is the indexer's embedded store.
type IndexerStore struct {
	db *sql.DB
}

var _ indexer.Store = (*IndexerStore)(nil)

// OpenIndexer opens the indexer database at path.
func OpenIndexer(ctx context.Context, path string) (*IndexerStore, error) {
	db, err := open(ctx, path, "indexer")
	if err != nil {
		return nil, err
	}
	return &IndexerStore{db: db}, nil
}

// Close closes the database.
func (s *IndexerStore) Close() error { return s.db.Close() }

// Collector returns a Prometheus collector of the database's connection
// pool statistics, the loupe_db_pool_* metrics labelled service="indexer".
// Register it once per store.
func (s *IndexerStore) Collector() prometheus.Collector { return collector(s.db, "indexer") }

// Ping checks that the database answers.
func (s *IndexerStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

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
	args := make([]any, len(layers))
	for i, l := range layers {
		args[i] = l.String()
	}
	const query = `SELECT layer, scanner, version, kind, findings FROM layer_findings WHERE layer IN (%s)`
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(query, placeholders(len(args))), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			layer string
			id    indexer.ScannerID
			b     []byte
		)
		if err := rows.Scan(&layer, &id.Name, &id.Version, &id.Kind, &b); err != nil {
			return nil, err
		}
		if !want[id] {
			continue
		}
		d, err := loupe.ParseDigest(layer)
		if err != nil {
			return nil, err
		}
		if out[d] == nil {
			out[d] = make(map[indexer.ScannerID][]byte)
		}
		out[d][id] = b
	}
	return out, rows.Err()
}

// PutFindings implements indexer.Store.
func (s *IndexerStore) PutFindings(ctx context.Context, layer loupe.Digest, findings map[indexer.ScannerID][]byte) error {
	const insert = `INSERT INTO layer_findings (layer, scanner, version, kind, findings, created) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (layer, scanner, version, kind) DO UPDATE SET findings = excluded.findings, created = excluded.created`
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insert)
		if err != nil {
			return err
		}
		defer stmt.Close()
		ts := now()
		for id, b := range findings {
			if _, err := stmt.ExecContext(ctx, layer.String(), id.Name, id.Version, id.Kind, b, ts); err != nil {
				return err
			}
		}
		return nil
	})
}

// Report implements indexer.Store.
func (s *IndexerStore) Report(ctx context.Context, manifest loupe.Digest) ([]byte, string, bool, error) {
	var (
		b     []byte
		state string
	)
	err := s.db.QueryRowContext(ctx, `SELECT report, state FROM manifest WHERE hash = ?`, manifest.String()).Scan(&b, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, "", false, nil
	case err != nil:
		return nil, "", false, err
	}
	return b, state, true, nil
}

// PutReport implements indexer.Store.
func (s *IndexerStore) PutReport(ctx context.Context, m *loupe.Manifest, state string, finished bool, report []byte, keys []uint64) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		const upsert = `INSERT INTO manifest (hash, state, finished, report, updated) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (hash) DO UPDATE SET state = excluded.state, finished = excluded.finished, report = excluded.report, updated = excluded.updated
			RETURNING id`
		var id int64
		if err := tx.QueryRowContext(ctx, upsert, m.Hash.String(), state, finished, report, now()).Scan(&id); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM manifest_layer WHERE manifest = ?`, `DELETE FROM manifest_key WHERE manifest = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		layers := make([][]any, len(m.Layers))
		for i, l := range m.Layers {
			layers[i] = []any{id, i, l.Hash.String()}
		}
		if err := insertRows(ctx, tx, "manifest_layer", []string{"manifest", "i", "layer"}, layers); err != nil {
			return err
		}
		rows := make([][]any, 0, len(keys))
		seen := make(map[uint64]bool, len(keys))
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				rows = append(rows, []any{int64(k), id})
			}
		}
		return insertRows(ctx, tx, "manifest_key", []string{"key", "manifest"}, rows)
	})
}

// Manifests implements indexer.Store.
func (s *IndexerStore) Manifests(ctx context.Context, keys []uint64) ([]loupe.Digest, error) {
	seen := make(map[loupe.Digest]bool)
	var out []loupe.Digest
	for len(keys) > 0 {
		n := min(len(keys), 500)
		args := make([]any, n)
		for i, k := range keys[:n] {
			args[i] = int64(k)
		}
		keys = keys[n:]
		hashes, err := queryStrings(ctx, s.db, `SELECT DISTINCT m.hash FROM manifest_key k JOIN manifest m ON m.id = k.manifest
			WHERE m.finished AND k.key IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, h := range hashes {
			d, err := loupe.ParseDigest(h)
			if err != nil {
				return nil, err
			}
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// DeleteManifests implements indexer.Store.
func (s *IndexerStore) DeleteManifests(ctx context.Context, manifests []loupe.Digest) ([]loupe.Digest, error) {
	var deleted []loupe.Digest
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		deleted = deleted[:0]
		for _, m := range manifests {
			layers, err := queryStrings(ctx, tx, `SELECT DISTINCT layer FROM manifest_layer WHERE manifest = (SELECT id FROM manifest WHERE hash = ?)`, m.String())
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM manifest WHERE hash = ?`, m.String())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				deleted = append(deleted, m)
			}
			for _, l := range layers {
				const gc = `DELETE FROM layer_findings WHERE layer = ? AND NOT EXISTS (SELECT 1 FROM manifest_layer WHERE layer = ?)`
				if _, err := tx.ExecContext(ctx, gc, l, l); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}
