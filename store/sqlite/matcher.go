package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/loupe-dev/loupe"
)

// MatcherStore is the matcher's embedded store: vulnerabilities and the
// update operations that landed them.
type MatcherStore struct {
	db *sql.DB
}

// OpenMatcher opens the matcher database at path.
func OpenMatcher(ctx context.Context, path string) (*MatcherStore, error) {
	db, err := open(ctx, path, "matcher")
	if err != nil {
		return nil, err
	}
	return &MatcherStore{db: db}, nil
}

// Close closes the database.
func (s *MatcherStore) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *MatcherStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// ErrUnknownOperation is returned for an update operation ref that does
// not exist.
var ErrUnknownOperation = errors.New("unknown update operation")

// encodeVuln returns the stored form of v (without its ID) and its hash.
func encodeVuln(v *loupe.Vulnerability) ([]byte, []byte, error) {
	c := *v
	c.ID = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(b)
	return b, sum[:], nil
}

func decodeVuln(id int64, b []byte) (*loupe.Vulnerability, error) {
	var v loupe.Vulnerability
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("stored vulnerability %d: %w", id, err)
	}
	v.ID = strconv.FormatInt(id, 10)
	return &v, nil
}

// UpdateVulnerabilities replaces the live data of updater with vulns. If
// that changes anything it lands an update operation and returns it;
// otherwise it returns nil. Either way it records fingerprint as the
// updater's latest.
func (s *MatcherStore) UpdateVulnerabilities(ctx context.Context, updater, fingerprint string, vulns []*loupe.Vulnerability) (*loupe.UpdateOperation, error) {
	incoming := make(map[[sha256.Size]byte][]byte, len(vulns))
	for _, v := range vulns {
		if v.Updater != updater {
			return nil, fmt.Errorf("vulnerability %s is from updater %q, not %q", v.Name, v.Updater, updater)
		}
		data, sum, err := encodeVuln(v)
		if err != nil {
			return nil, err
		}
		incoming[[sha256.Size]byte(sum)] = data
	}
	var op *loupe.UpdateOperation
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		op = nil
		live := make(map[[sha256.Size]byte]int64)
		rows, err := tx.QueryContext(ctx, `SELECT v.id, v.hash FROM vuln_span s JOIN vuln v ON v.id = s.vuln WHERE s.updater = ? AND s.removed IS NULL`, updater)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				id   int64
				hash []byte
			)
			if err := rows.Scan(&id, &hash); err != nil {
				rows.Close()
				return err
			}
			live[[sha256.Size]byte(hash)] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var added [][sha256.Size]byte
		for h := range incoming {
			if _, ok := live[h]; !ok {
				added = append(added, h)
			}
		}
		var removed []int64
		for h, id := range live {
			if _, ok := incoming[h]; !ok {
				removed = append(removed, id)
			}
		}
		if err := recordStatus(ctx, tx, updater, fingerprint, nil); err != nil {
			return err
		}
		if len(added) == 0 && len(removed) == 0 {
			return nil
		}
		o := loupe.UpdateOperation{
			Ref: uuid.NewString(), Updater: updater, Fingerprint: fingerprint,
			Date: time.Now().UTC().Truncate(time.Microsecond), Kind: loupe.VulnerabilityUpdate,
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO update_operation (ref, updater, fingerprint, date, kind) VALUES (?, ?, ?, ?, ?)`,
			o.Ref, o.Updater, o.Fingerprint, o.Date.Format(time.RFC3339Nano), o.Kind)
		if err != nil {
			return err
		}
		opID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		insVuln, err := tx.PrepareContext(ctx, `INSERT INTO vuln (hash, data) VALUES (?, ?) ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING id`)
		if err != nil {
			return err
		}
		defer insVuln.Close()
		insSpan, err := tx.PrepareContext(ctx, `INSERT INTO vuln_span (updater, vuln, added) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insSpan.Close()
		for _, h := range added {
			var id int64
			if err := insVuln.QueryRowContext(ctx, h[:], incoming[h]).Scan(&id); err != nil {
				return err
			}
			if _, err := insSpan.ExecContext(ctx, updater, id, opID); err != nil {
				return err
			}
		}
		endSpan, err := tx.PrepareContext(ctx, `UPDATE vuln_span SET removed = ? WHERE updater = ? AND vuln = ? AND removed IS NULL`)
		if err != nil {
			return err
		}
		defer endSpan.Close()
		for _, id := range removed {
			if _, err := endSpan.ExecContext(ctx, opID, updater, id); err != nil {
				return err
			}
		}
		op = &o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: updating %s: %w", updater, err)
	}
	return op, nil
}

func recordStatus(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, updater, fingerprint string, failure error) error {
	ts := now()
	if failure != nil {
		const upsert = `INSERT INTO updater_status (updater, last_attempt, last_error) VALUES (?, ?, ?)
			ON CONFLICT (updater) DO UPDATE SET last_attempt = excluded.last_attempt, last_error = excluded.last_error`
		_, err := q.ExecContext(ctx, upsert, updater, ts, failure.Error())
		return err
	}
	const upsert = `INSERT INTO updater_status (updater, last_attempt, last_success, last_error, fingerprint) VALUES (?, ?, ?, NULL, ?)
		ON CONFLICT (updater) DO UPDATE SET last_attempt = excluded.last_attempt, last_success = excluded.last_success,
			last_error = NULL, fingerprint = excluded.fingerprint`
	_, err := q.ExecContext(ctx, upsert, updater, ts, ts, fingerprint)
	return err
}

// RecordAttempt records an updater run that landed nothing: err is why
// it failed, or nil for a run that found the feed unchanged.
func (s *MatcherStore) RecordAttempt(ctx context.Context, updater string, failure error) error {
	if failure == nil {
		_, err := s.db.ExecContext(ctx, `UPDATE updater_status SET last_attempt = ?, last_success = ?, last_error = NULL WHERE updater = ?`, now(), now(), updater)
		return err
	}
	return recordStatus(ctx, s.db, updater, "", failure)
}

// Fingerprint returns the fingerprint of the updater's last successful
// run, or "".
func (s *MatcherStore) Fingerprint(ctx context.Context, updater string) (string, error) {
	var fp sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT fingerprint FROM updater_status WHERE updater = ?`, updater).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return fp.String, err
}

// Vulnerabilities returns every live vulnerability.
func (s *MatcherStore) Vulnerabilities(ctx context.Context) ([]*loupe.Vulnerability, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM vuln_span WHERE removed IS NULL`).Scan(&n); err != nil {
		return nil, err
	}
	out := make([]*loupe.Vulnerability, 0, n)
	err := queryVulns(ctx, s.db, func(v *loupe.Vulnerability) { out = append(out, v) },
		`SELECT v.id, v.data FROM vuln_span s JOIN vuln v ON v.id = s.vuln WHERE s.removed IS NULL ORDER BY v.id`)
	return out, err
}

// queryVulns decodes the (id, data) rows of a query of vuln.
func queryVulns(ctx context.Context, q querier, each func(*loupe.Vulnerability), query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id   int64
			data []byte
		)
		if err := rows.Scan(&id, &data); err != nil {
			return err
		}
		v, err := decodeVuln(id, data)
		if err != nil {
			return err
		}
		each(v)
	}
	return rows.Err()
}

// DataVersion identifies the live data: it changes whenever an update
// operation lands or is deleted.
func (s *MatcherStore) DataVersion(ctx context.Context) (string, error) {
	var (
		maxID sql.NullInt64
		n     int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT MAX(id), COUNT(*) FROM update_operation`).Scan(&maxID, &n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d", maxID.Int64, n), nil
}

// Initialized reports whether any update operation has ever landed.
func (s *MatcherStore) Initialized(ctx context.Context) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM update_operation)`).Scan(&ok)
	return ok, err
}

func scanOp(sc interface{ Scan(...any) error }) (id int64, op loupe.UpdateOperation, err error) {
	var date string
	if err = sc.Scan(&id, &op.Ref, &op.Updater, &op.Fingerprint, &date, &op.Kind); err != nil {
		return 0, op, err
	}
	op.Date, err = time.Parse(time.RFC3339Nano, date)
	return id, op, err
}

// UpdateOperations returns the update operations of kind by updater,
// newest first; with latest, only the newest of each.
func (s *MatcherStore) UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, ref, updater, fingerprint, date, kind FROM update_operation WHERE kind = ? ORDER BY updater, id DESC`, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]loupe.UpdateOperation)
	for rows.Next() {
		_, op, err := scanOp(rows)
		if err != nil {
			return nil, err
		}
		if latest && len(out[op.Updater]) > 0 {
			continue
		}
		out[op.Updater] = append(out[op.Updater], op)
	}
	return out, rows.Err()
}

// LatestRef returns the ref of the newest update operation of kind, or "".
func (s *MatcherStore) LatestRef(ctx context.Context, kind string) (string, error) {
	var ref string
	err := s.db.QueryRowContext(ctx, `SELECT ref FROM update_operation WHERE kind = ? ORDER BY id DESC LIMIT 1`, kind).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ref, err
}

func (s *MatcherStore) op(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ref string) (int64, loupe.UpdateOperation, error) {
	id, op, err := scanOp(q.QueryRowContext(ctx, `SELECT id, ref, updater, fingerprint, date, kind FROM update_operation WHERE ref = ?`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, op, fmt.Errorf("%w: %s", ErrUnknownOperation, ref)
	}
	return id, op, err
}

// DeleteUpdateOperations deletes update operations. An updater's live
// data is then that of its newest remaining operation (none if it has
// none left), and its fingerprint that operation's, so that its next run
// fetches again.
func (s *MatcherStore) DeleteUpdateOperations(ctx context.Context, refs ...string) (int, error) {
	n := 0
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		n = 0
		touched := map[string]bool{}
		for _, ref := range refs {
			id, op, err := s.op(ctx, tx, ref)
			if errors.Is(err, ErrUnknownOperation) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM update_operation WHERE id = ?`, id); err != nil {
				return err
			}
			touched[op.Updater] = true
			n++
		}
		for updater := range touched {
			var (
				newest sql.NullInt64
				fp     sql.NullString
			)
			err := tx.QueryRowContext(ctx, `SELECT id, fingerprint FROM update_operation WHERE updater = ? ORDER BY id DESC LIMIT 1`, updater).Scan(&newest, &fp)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			// Undo whatever operations newer than the newest remaining
			// one did.
			if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_span WHERE updater = ? AND added > ?`, updater, newest.Int64); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE vuln_span SET removed = NULL WHERE updater = ? AND removed > ?`, updater, newest.Int64); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE updater_status SET fingerprint = ? WHERE updater = ?`, fp, updater); err != nil {
				return err
			}
		}
		return deleteOrphans(ctx, tx)
	})
	return n, err
}

func deleteOrphans(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM vuln WHERE NOT EXISTS (SELECT 1 FROM vuln_span WHERE vuln = vuln.id)`)
	return err
}

// UpdateDiff returns the vulnerabilities added and removed between two
// operations of one updater. An empty prev means "nothing": everything in
// cur is added.
func (s *MatcherStore) UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var diff loupe.UpdateDiff
	curID, curOp, err := s.op(ctx, tx, cur)
	if err != nil {
		return nil, err
	}
	diff.Cur = curOp
	var prevID int64 // 0: before every operation
	if prev != "" && prev != uuid.Nil.String() {
		prevID, diff.Prev, err = s.op(ctx, tx, prev)
		if err != nil {
			return nil, err
		}
		if diff.Prev.Updater != curOp.Updater {
			return nil, fmt.Errorf("update operations %s and %s are from different updaters", prev, cur)
		}
	}
	if curOp.Kind != loupe.VulnerabilityUpdate || (prevID != 0 && diff.Prev.Kind != loupe.VulnerabilityUpdate) {
		return nil, errors.New("update diffs are only for vulnerability operations")
	}
	const aliveAt = `EXISTS (SELECT 1 FROM vuln_span s WHERE s.vuln = v.id AND s.updater = ?1 AND s.added <= %s AND (s.removed IS NULL OR s.removed > %s))`
	q := `SELECT v.id, v.data FROM vuln v WHERE ` + fmt.Sprintf(aliveAt, "?2", "?2") + ` AND NOT ` + fmt.Sprintf(aliveAt, "?3", "?3") + ` ORDER BY v.id`
	collect := func(in, notIn int64) ([]loupe.Vulnerability, error) {
		var out []loupe.Vulnerability
		err := queryVulns(ctx, tx, func(v *loupe.Vulnerability) { out = append(out, *v) }, q, curOp.Updater, in, notIn)
		return out, err
	}
	if diff.Added, err = collect(curID, prevID); err != nil {
		return nil, err
	}
	if diff.Removed, err = collect(prevID, curID); err != nil {
		return nil, err
	}
	return &diff, nil
}

// GC keeps the newest retention update operations of each updater and
// deletes the rest, with every span and vulnerability that only they
// needed. It does all the work in one call, however much there is.
func (s *MatcherStore) GC(ctx context.Context, retention int) (int, error) {
	if retention < 1 {
		return 0, nil
	}
	deleted := 0
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		deleted = 0
		updaters, err := queryStrings(ctx, tx, `SELECT DISTINCT updater FROM update_operation`)
		if err != nil {
			return err
		}
		for _, u := range updaters {
			var oldestKept sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT MIN(id) FROM (SELECT id FROM update_operation WHERE updater = ? ORDER BY id DESC LIMIT ?)`, u, retention).Scan(&oldestKept)
			if err != nil {
				return err
			}
			if !oldestKept.Valid {
				continue
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM update_operation WHERE updater = ? AND id < ?`, u, oldestKept.Int64)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			deleted += int(n)
			if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_span WHERE updater = ? AND removed IS NOT NULL AND removed <= ?`, u, oldestKept.Int64); err != nil {
				return err
			}
		}
		return deleteOrphans(ctx, tx)
	})
	return deleted, err
}
