package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/store"
	"github.com/loupe-dev/loupe/store/internal/poolstats"
)

//go:embed migrations
var migrations embed.FS

// DefaultAcquireTimeout bounds the wait for a pooled connection.
const DefaultAcquireTimeout = 30 * time.Second

// ErrSchemaOutdated is wrapped by the error Open returns when the schema
// is older than the binary and migrations are off.
var ErrSchemaOutdated = errors.New("database schema is out of date")

// db is a service's pool and schema.
type db struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
	connstring     string
	service        string
}

// open connects for service ("indexer", "matcher") and checks or applies
// its migrations.
func open(ctx context.Context, connstring, service string, migrate bool) (*db, error) {
	cfg, err := pgxpool.ParseConfig(connstring)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s connstring: %w", service, err)
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "loupe-" + service
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", service, err)
	}
	d := &db{pool: pool, acquireTimeout: DefaultAcquireTimeout, connstring: connstring, service: service}
	if err := d.migrate(ctx, service, migrate); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: %w", service, err)
	}
	return d, nil
}

// migrationLockKey is the key of the transaction-scoped advisory lock
// that keeps processes from migrating one schema at once.
const migrationLockKey = 0x6c6f757065 // "loupe"

// migrate applies or checks the numbered migrations of service, in one
// transaction.
func (d *db) migrate(ctx context.Context, service string, apply bool) error {
	schema := "loupe_" + service
	dir := "migrations/" + service
	ents, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	type migration struct {
		n    int
		name string
	}
	var ms []migration
	for _, e := range ents {
		n, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", e.Name())
		}
		ms = append(ms, migration{n, e.Name()})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.n - b.n })
	latest := ms[len(ms)-1].n

	return d.tx(ctx, func(tx pgx.Tx) error {
		if apply {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+schema+`.migrations (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
				return err
			}
		}
		have := 0
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, schema+".migrations").Scan(&exists); err != nil {
			return err
		}
		if exists {
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+schema+`.migrations`).Scan(&have); err != nil {
				return err
			}
		}
		switch {
		case have > latest:
			return fmt.Errorf("database schema %s is at version %d, newer than this binary's %d", schema, have, latest)
		case have < latest && !apply:
			return fmt.Errorf("%w: %s is at version %d and this binary needs %d; set %s.migrations: true to migrate", ErrSchemaOutdated, schema, have, latest, service)
		}
		for _, m := range ms {
			if m.n <= have {
				continue
			}
			body, err := fs.ReadFile(migrations, dir+"/"+m.name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+schema+`.migrations (version) VALUES ($1)`, m.n); err != nil {
				return err
			}
		}
		return nil
	})
}

// conn acquires a connection, waiting at most acquireTimeout.
func (d *db) conn(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, d.acquireTimeout)
	defer cancel()
	c, err := d.pool.Acquire(actx)
	switch {
	case err == nil:
		return c, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("%w: no database connection free within %v", store.ErrUnavailable, d.acquireTimeout)
	}
	return nil, classify(err)
}

// tx runs f in a transaction on a pooled connection.
func (d *db) tx(ctx context.Context, f func(pgx.Tx) error) error {
	c, err := d.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	tx, err := c.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	if err := f(tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return classify(err)
	}
	return classify(tx.Commit(ctx))
}

// query runs f with a pooled connection.
func (d *db) with(ctx context.Context, f func(*pgxpool.Conn) error) error {
	c, err := d.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return classify(f(c))
}

// classify wraps errors that mean the database is unreachable in
// store.ErrUnavailable.
func classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var (
		pgErr   *pgconn.PgError
		connErr *pgconn.ConnectError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &pgErr):
		// Class 08: connection exceptions; 57P0x: the server is shutting
		// down or starting; 53300: too many connections.
		if strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P0") || pgErr.Code == "53300" {
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	case errors.As(err, &connErr), errors.As(err, &netErr), pgconn.SafeToRetry(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	case strings.Contains(err.Error(), "conn closed"), strings.Contains(err.Error(), "connection reset"):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// ConnString returns the connection string the store was opened with.
func (d *db) ConnString() string { return d.connstring }

// Close closes the pool.
func (d *db) Close() error {
	d.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (d *db) Ping(ctx context.Context) error {
	return d.with(ctx, func(c *pgxpool.Conn) error { return c.Ping(ctx) })
}

// Pool exposes the pool's statistics.
func (d *db) Stat() *pgxpool.Stat { return d.pool.Stat() }

// Collector returns a Prometheus collector of the pool's statistics, the
// loupe_db_pool_* metrics, labelled with the store's service (indexer,
// matcher or notifier). Register it once per store.
func (d *db) Collector() prometheus.Collector {
	return poolstats.New(poolstats.Options{
		Service:       d.service,
		Acquisitions:  true,
		ClosedReasons: []string{"max_lifetime", "max_idle_time"},
		Stat: func() poolstats.Stats {
			s := d.pool.Stat()
			return poolstats.Stats{
				Acquired:         int64(s.AcquiredConns()),
				Idle:             int64(s.IdleConns()),
				Total:            int64(s.TotalConns()),
				Max:              int64(s.MaxConns()),
				EmptyAcquires:    s.EmptyAcquireCount(),
				EmptyAcquireWait: s.EmptyAcquireWaitTime(),
				Closed: map[string]int64{
					"max_lifetime":  s.MaxLifetimeDestroyCount(),
					"max_idle_time": s.MaxIdleDestroyCount(),
				},
				Acquires:         s.AcquireCount(),
				AcquireDuration:  s.AcquireDuration(),
				CanceledAcquires: s.CanceledAcquireCount(),
				Constructing:     int64(s.ConstructingConns()),
				NewConns:         s.NewConnsCount(),
			}
		},
	})
}

// acquireLease and releaseLease implement store.Leaser on schema's lease
// table, with the server's clock.
func (d *db) acquireLease(ctx context.Context, schema, key, owner string, ttl time.Duration) (bool, error) {
	var got string
	err := d.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `INSERT INTO `+schema+`.lease AS l (key, owner, expires) VALUES ($1, $2, now() + $3::interval)
			ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
			WHERE l.expires < now() OR l.owner = excluded.owner
			RETURNING owner`, key, owner, ttl.String()).Scan(&got)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return got == owner, nil
}

func (d *db) releaseLease(ctx context.Context, schema, key, owner string) error {
	return d.with(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `DELETE FROM `+schema+`.lease WHERE key = $1 AND owner = $2`, key, owner)
		return err
	})
}
