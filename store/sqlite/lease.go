package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// acquireLease implements store.Leaser for either database file.
func acquireLease(ctx context.Context, db *sql.DB, key, owner string, ttl time.Duration) (bool, error) {
	now := time.Now()
	const upsert = `INSERT INTO lease (key, owner, expires) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
		WHERE lease.expires < ? OR lease.owner = excluded.owner
		RETURNING owner`
	var got string
	err := db.QueryRowContext(ctx, upsert, key, owner, now.Add(ttl).UnixNano(), now.UnixNano()).Scan(&got)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return got == owner, nil
}

func releaseLease(ctx context.Context, db *sql.DB, key, owner string) error {
	_, err := db.ExecContext(ctx, `DELETE FROM lease WHERE key = ? AND owner = ?`, key, owner)
	return err
}

// Acquire implements store.Leaser.
func (s *IndexerStore) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	return acquireLease(ctx, s.db, key, owner, ttl)
}

// Release implements store.Leaser.
func (s *IndexerStore) Release(ctx context.Context, key, owner string) error {
	return releaseLease(ctx, s.db, key, owner)
}

// Acquire implements store.Leaser.
func (s *MatcherStore) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	return acquireLease(ctx, s.db, key, owner, ttl)
}

// Release implements store.Leaser.
func (s *MatcherStore) Release(ctx context.Context, key, owner string) error {
	return releaseLease(ctx, s.db, key, owner)
}
