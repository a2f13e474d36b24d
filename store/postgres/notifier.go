package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/notifier"
)

const notifierSchema = "loupe_notifier"

// NotifierStore is the notifier's PostgreSQL store.
type NotifierStore struct {
	*db
}

var _ notifier.Store = (*NotifierStore)(nil)

// OpenNotifier connects to the notifier's database; with migrate, it
// brings the loupe_notifier schema up to date first.
func OpenNotifier(ctx context.Context, connstring string, migrate bool) (*NotifierStore, error) {
	d, err := open(ctx, connstring, "notifier", migrate)
	if err != nil {
		return nil, err
	}
	return &NotifierStore{d}, nil
}

// Acquire implements store.Leaser.
func (s *NotifierStore) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	return s.acquireLease(ctx, notifierSchema, key, owner, ttl)
}

// Release implements store.Leaser.
func (s *NotifierStore) Release(ctx context.Context, key, owner string) error {
	return s.releaseLease(ctx, notifierSchema, key, owner)
}

// validUUIDs keeps the strings that are UUIDs: the columns are typed, and
// anything else cannot be there.
func validUUIDs(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if _, err := uuid.Parse(s); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// Processed implements notifier.Store.
func (s *NotifierStore) Processed(ctx context.Context, refs []string) (map[string]bool, error) {
	out := make(map[string]bool)
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT ref::text FROM loupe_notifier.processed_operation WHERE ref = ANY($1::uuid[])`, validUUIDs(refs))
		if err != nil {
			return err
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, r := range done {
			out[r] = true
		}
		return err
	})
	return out, err
}

// ProcessedUpdaters implements notifier.Store.
func (s *NotifierStore) ProcessedUpdaters(ctx context.Context) (map[string]bool, error) {
	out := make(map[string]bool)
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT DISTINCT updater FROM loupe_notifier.processed_operation`)
		if err != nil {
			return err
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, n := range names {
			out[n] = true
		}
		return err
	})
	return out, err
}

// PutNotifications implements notifier.Store; the notifications are
// loaded with COPY.
func (s *NotifierStore) PutNotifications(ctx context.Context, op loupe.UpdateOperation, setID string, notes []loupe.Notification) error {
	rows := make([][]any, len(notes))
	for i := range notes {
		b, err := json.Marshal(&notes[i])
		if err != nil {
			return err
		}
		rows[i] = []any{setID, notes[i].ID, string(b)}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		var set any
		if len(notes) > 0 {
			set = setID
		}
		tag, err := tx.Exec(ctx, `INSERT INTO loupe_notifier.processed_operation (ref, updater, set_id) VALUES ($1, $2, $3) ON CONFLICT (ref) DO NOTHING`,
			op.Ref, op.Updater, set)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: %s", notifier.ErrProcessed, op.Ref)
		}
		if len(notes) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO loupe_notifier.notification_set (id, uo_ref, updater, status, count) VALUES ($1, $2, $3, $4, $5)`,
			setID, op.Ref, op.Updater, notifier.StatusPending, len(notes)); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{notifierSchema, "notification"}, []string{"set_id", "id", "body"}, pgx.CopyFromRows(rows))
		return err
	})
}

const setColumns = `SELECT id::text, uo_ref::text, updater, created, status, attempts, next_attempt, COALESCE(last_error, ''), count FROM loupe_notifier.notification_set `

func scanSets(rows pgx.Rows) ([]notifier.Set, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (notifier.Set, error) {
		var st notifier.Set
		err := row.Scan(&st.ID, &st.UpdateRef, &st.Updater, &st.Created, &st.Status, &st.Attempts, &st.NextAttempt, &st.LastError, &st.Count)
		st.Created, st.NextAttempt = st.Created.UTC(), st.NextAttempt.UTC()
		return st, err
	})
}

// Due implements notifier.Store.
func (s *NotifierStore) Due(ctx context.Context, now time.Time, limit int) ([]notifier.Set, error) {
	var out []notifier.Set
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, setColumns+`WHERE status = $1 AND next_attempt <= $2 ORDER BY next_attempt, created LIMIT $3`,
			notifier.StatusPending, now, limit)
		if err != nil {
			return err
		}
		out, err = scanSets(rows)
		return err
	})
	return out, err
}

// NextDue implements notifier.Store.
func (s *NotifierStore) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next *time.Time
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT MIN(next_attempt) FROM loupe_notifier.notification_set WHERE status = $1`, notifier.StatusPending).Scan(&next)
	})
	if err != nil || next == nil {
		return time.Time{}, false, err
	}
	return next.UTC(), true, nil
}

// Delivered implements notifier.Store.
func (s *NotifierStore) Delivered(ctx context.Context, id string, ack bool) error {
	status := notifier.StatusDelivered
	if ack {
		status = notifier.StatusAcked
	}
	return s.with(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `UPDATE loupe_notifier.notification_set SET status = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2 AND status = $3`,
			status, id, notifier.StatusPending)
		return err
	})
}

// Failed implements notifier.Store.
func (s *NotifierStore) Failed(ctx context.Context, id, reason string, next time.Time) error {
	return s.with(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `UPDATE loupe_notifier.notification_set SET attempts = attempts + 1, last_error = $1, next_attempt = $2 WHERE id = $3 AND status = $4`,
			reason, next, id, notifier.StatusPending)
		return err
	})
}

// Notifications implements notifier.Store.
func (s *NotifierStore) Notifications(ctx context.Context, id, after string, limit int) ([]json.RawMessage, []string, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, nil, fmt.Errorf("%w: %s", notifier.ErrUnknownSet, id)
	}
	if after == "" {
		after = uuid.Nil.String()
	}
	var (
		bodies []json.RawMessage
		ids    []string
	)
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		var status string
		err := c.QueryRow(ctx, `SELECT status FROM loupe_notifier.notification_set WHERE id = $1`, id).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) || status == notifier.StatusAcked {
			return fmt.Errorf("%w: %s", notifier.ErrUnknownSet, id)
		}
		if err != nil {
			return err
		}
		rows, err := c.Query(ctx, `SELECT id::text, body FROM loupe_notifier.notification WHERE set_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, after, limit)
		if err != nil {
			return err
		}
		var (
			nid  string
			body []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&nid, &body}, func() error {
			bodies, ids = append(bodies, json.RawMessage(append([]byte(nil), body...))), append(ids, nid)
			return nil
		})
		return err
	})
	return bodies, ids, err
}

// Ack implements notifier.Store.
func (s *NotifierStore) Ack(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("%w: %s", notifier.ErrUnknownSet, id)
	}
	return s.with(ctx, func(c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE loupe_notifier.notification_set SET status = $1 WHERE id = $2 AND status <> $1`, notifier.StatusAcked, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: %s", notifier.ErrUnknownSet, id)
		}
		return nil
	})
}

// GC implements notifier.Store.
func (s *NotifierStore) GC(ctx context.Context, expiry time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM loupe_notifier.notification_set WHERE status = $1 OR created < $2`, notifier.StatusAcked, expiry)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		// Keep each updater's newest record: it tells what is new next.
		_, err = tx.Exec(ctx, `DELETE FROM loupe_notifier.processed_operation p WHERE p.processed < $1
			AND p.processed < (SELECT max(q.processed) FROM loupe_notifier.processed_operation q WHERE q.updater = p.updater)`, expiry)
		return err
	})
	return int(n), err
}

// Counts implements notifier.Store.
func (s *NotifierStore) Counts(ctx context.Context) (map[string]int, error) {
	out := make(map[string]int)
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT status, count(*) FROM loupe_notifier.notification_set GROUP BY status`)
		if err != nil {
			return err
		}
		var (
			st string
			n  int
		)
		_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error { out[st] = n; return nil })
		return err
	})
	return out, err
}
