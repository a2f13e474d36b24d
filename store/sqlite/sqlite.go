package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/loupe-dev/loupe/store/internal/poolstats"
)

//go:embed migrations
var migrations embed.FS

// open opens (creating if needed) the database file at path and applies
// the migrations of service ("indexer", "matcher", "notifier").
func open(ctx context.Context, path, service string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	q := url.Values{}
	// cache_size: 64 MiB of page cache per connection, used only as
	// needed; bulk loads touch random pages of the hash indexes.
	for _, p := range []string{"busy_timeout(30000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)", "cache_size(-65536)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	if err := migrate(ctx, db, service); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return db, nil
}

// migrate applies the numbered migrations in migrations/<service>/ that
// the database has not seen, each in its own transaction.
func migrate(ctx context.Context, db *sql.DB, service string) error {
	table := service + "_migrations"
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("creating %s: %w", table, err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+table).Scan(&have); err != nil {
		return fmt.Errorf("reading %s: %w", table, err)
	}
	dir := "migrations/" + service
	ents, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	latest := 0
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		latest = max(latest, n)
		if n <= have {
			continue
		}
		body, err := fs.ReadFile(migrations, dir+"/"+name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (version, applied) VALUES (?, ?)`, n, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	if have > latest {
		return fmt.Errorf("database schema version %d is newer than this binary's %d", have, latest)
	}
	return nil
}

// inTx runs f in a write transaction.
func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// placeholders returns "?, ?, …" for n parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryStrings returns the single text column of a query's rows.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// dbSize checkpoints the write-ahead log and returns the bytes in use.
func dbSize(ctx context.Context, db *sql.DB) (int64, error) {
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return 0, err
	}
	var pages, free, size int64
	for _, p := range []struct {
		pragma string
		dst    *int64
	}{{"page_count", &pages}, {"freelist_count", &free}, {"page_size", &size}} {
		if err := db.QueryRowContext(ctx, `PRAGMA `+p.pragma).Scan(p.dst); err != nil {
			return 0, err
		}
	}
	return (pages - free) * size, nil
}

// collector exports db's pool statistics as the loupe_db_pool_* metrics,
// labelled with service.
func collector(db *sql.DB, service string) prometheus.Collector {
	return poolstats.New(poolstats.Options{
		Service:       service,
		ClosedReasons: []string{"max_lifetime", "max_idle_time", "max_idle_conns"},
		Stat: func() poolstats.Stats {
			s := db.Stats()
			return poolstats.Stats{
				Acquired:         int64(s.InUse),
				Idle:             int64(s.Idle),
				Total:            int64(s.OpenConnections),
				Max:              int64(s.MaxOpenConnections),
				EmptyAcquires:    s.WaitCount,
				EmptyAcquireWait: s.WaitDuration,
				Closed: map[string]int64{
					"max_lifetime":   s.MaxLifetimeClosed,
					"max_idle_time":  s.MaxIdleTimeClosed,
					"max_idle_conns": s.MaxIdleClosed,
				},
			}
		},
	})
}
