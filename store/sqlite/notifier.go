package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/notifier"
)

// NotifierStore is the notifier's embedded store.
type NotifierStore struct {
	db *sql.DB
}

var _ notifier.Store = (*NotifierStore)(nil)

// OpenNotifier opens the notifier database at path.
func OpenNotifier(ctx context.Context, path string) (*NotifierStore, error) {
	db, err := open(ctx, path, "notifier")
	if err != nil {
		return nil, err
	}
	return &NotifierStore{db: db}, nil
}

// Close closes the database.
func (s *NotifierStore) Close() error { return s.db.Close() }

// Collector returns a Prometheus collector of the database's connection
// pool statistics, the loupe_db_pool_* metrics labelled service="notifier".
// Register it once per store.
func (s *NotifierStore) Collector() prometheus.Collector { return collector(s.db, "notifier") }

// Acquire implements store.Leaser.
func (s *NotifierStore) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	return acquireLease(ctx, s.db, key, owner, ttl)
}

// Release implements store.Leaser.
func (s *NotifierStore) Release(ctx context.Context, key, owner string) error {
	return releaseLease(ctx, s.db, key, owner)
}

// Processed implements notifier.Store.
func (s *NotifierStore) Processed(ctx context.Context, refs []string) (map[string]bool, error) {
	out := make(map[string]bool)
	for len(refs) > 0 {
		n := min(len(refs), 500)
		args := make([]any, n)
		for i, r := range refs[:n] {
			args[i] = r
		}
		refs = refs[n:]
		done, err := queryStrings(ctx, s.db, `SELECT ref FROM processed_operation WHERE ref IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, r := range done {
			out[r] = true
		}
	}
	return out, nil
}

// ProcessedUpdaters implements notifier.Store.
func (s *NotifierStore) ProcessedUpdaters(ctx context.Context) (map[string]bool, error) {
	names, err := queryStrings(ctx, s.db, `SELECT DISTINCT updater FROM processed_operation`)
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, err
}

// PutNotifications implements notifier.Store.
func (s *NotifierStore) PutNotifications(ctx context.Context, op loupe.UpdateOperation, setID string, notes []loupe.Notification) error {
	rows := make([][]any, len(notes))
	for i := range notes {
		b, err := json.Marshal(&notes[i])
		if err != nil {
			return err
		}
		rows[i] = []any{setID, notes[i].ID, string(b)}
	}
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		now := time.Now().UnixNano()
		var set any
		if len(notes) > 0 {
			set = setID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO processed_operation (ref, updater, processed, set_id) VALUES (?, ?, ?, ?) ON CONFLICT (ref) DO NOTHING`,
			op.Ref, op.Updater, now, set)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: %s", notifier.ErrProcessed, op.Ref)
		}
		if len(notes) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notification_set (id, uo_ref, updater, created, status, next_attempt, count) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			setID, op.Ref, op.Updater, now, notifier.StatusPending, now, len(notes)); err != nil {
			return err
		}
		return insertRows(ctx, tx, "notification", []string{"set_id", "id", "body"}, rows)
	})
}

const setColumns = `SELECT id, uo_ref, updater, created, status, attempts, next_attempt, COALESCE(last_error, ''), count FROM notification_set `

func scanSets(rows *sql.Rows) ([]notifier.Set, error) {
	defer rows.Close()
	var out []notifier.Set
	for rows.Next() {
		var (
			st            notifier.Set
			created, next int64
		)
		if err := rows.Scan(&st.ID, &st.UpdateRef, &st.Updater, &created, &st.Status, &st.Attempts, &next, &st.LastError, &st.Count); err != nil {
			return nil, err
		}
		st.Created, st.NextAttempt = time.Unix(0, created).UTC(), time.Unix(0, next).UTC()
		out = append(out, st)
	}
	return out, rows.Err()
}

// Due implements notifier.Store.
func (s *NotifierStore) Due(ctx context.Context, now time.Time, limit int) ([]notifier.Set, error) {
	rows, err := s.db.QueryContext(ctx, setColumns+`WHERE status = ? AND next_attempt <= ? ORDER BY next_attempt, created LIMIT ?`,
		notifier.StatusPending, now.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	return scanSets(rows)
}

// NextDue implements notifier.Store.
func (s *NotifierStore) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(next_attempt) FROM notification_set WHERE status = ?`, notifier.StatusPending).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, false, err
	}
	return time.Unix(0, next.Int64).UTC(), true, nil
}

// Delivered implements notifier.Store.
func (s *NotifierStore) Delivered(ctx context.Context, id string, ack bool) error {
	status := notifier.StatusDelivered
	if ack {
		status = notifier.StatusAcked
	}
	_, err := s.db.ExecContext(ctx, `UPDATE notification_set SET status = ?, attempts = attempts + 1, last_error = NULL WHERE id = ? AND status = ?`,
		status, id, notifier.StatusPending)
	return err
}

// Failed implements notifier.Store.
func (s *NotifierStore) Failed(ctx context.Context, id, reason string, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE notification_set SET attempts = attempts + 1, last_error = ?, next_attempt = ? WHERE id = ? AND status = ?`,
		reason, next.UnixNano(), id, notifier.StatusPending)
	return err
}

// Notifications implements notifier.Store.
func (s *NotifierStore) Notifications(ctx context.Context, id, after string, limit int) ([]json.RawMessage, []string, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	var status string
	err = tx.QueryRowContext(ctx, `SELECT status FROM notification_set WHERE id = ?`, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || status == notifier.StatusAcked {
		return nil, nil, fmt.Errorf("%w: %s", notifier.ErrUnknownSet, id)
	}
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, body FROM notification WHERE set_id = ? AND id > ? ORDER BY id LIMIT ?`, id, after, limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var (
		bodies []json.RawMessage
		ids    []string
	)
	for rows.Next() {
		var nid, body string
		if err := rows.Scan(&nid, &body); err != nil {
			return nil, nil, err
		}
		bodies, ids = append(bodies, json.RawMessage(body)), append(ids, nid)
	}
	return bodies, ids, rows.Err()
}

// Ack implements notifier.Store.
func (s *NotifierStore) Ack(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE notification_set SET status = ? WHERE id = ? AND status <> ?`, notifier.StatusAcked, id, notifier.StatusAcked)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", notifier.ErrUnknownSet, id)
	}
	return nil
}

// GC implements notifier.Store.
func (s *NotifierStore) GC(ctx context.Context, expiry time.Time) (int, error) {
	var n int64
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM notification_set WHERE status = ? OR created < ?`, notifier.StatusAcked, expiry.UnixNano())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		// Keep each updater's newest record: it tells what is new next.
		_, err = tx.ExecContext(ctx, `DELETE FROM processed_operation WHERE processed < ?
			AND processed < (SELECT MAX(p.processed) FROM processed_operation p WHERE p.updater = processed_operation.updater)`, expiry.UnixNano())
		return err
	})
	return int(n), err
}

// Counts implements notifier.Store.
func (s *NotifierStore) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM notification_set GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]int)
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
