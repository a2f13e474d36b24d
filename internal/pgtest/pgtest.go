package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Main runs the tests, drops the databases they created (in parallel:
// dropping is slower than creating) and stops a throwaway cluster if one
// was started.
func Main(m *testing.M) {
	mainRunning.Store(true)
	code := m.Run()
	dropAll()
	if shared.cluster != nil {
		shared.cluster.Close()
	}
	os.Exit(code)
}

var (
	mainRunning atomic.Bool
	dropMu      sync.Mutex
	toDrop      []dropTarget
)

type dropTarget struct{ admin, name string }

func dropAll() {
	dropMu.Lock()
	targets := toDrop
	toDrop = nil
	dropMu.Unlock()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, d := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := drop(d.admin, d.name); err != nil {
				fmt.Fprintf(os.Stderr, "pgtest: dropping %s: %v\n", d.name, err)
			}
		}()
	}
	wg.Wait()
}

func drop(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

var shared struct {
	once    sync.Once
	admin   string // connection string of a database on the server, for CREATE DATABASE
	err     error
	cluster *Cluster
}

const localTrust = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// server finds or starts the server, once per test binary.
func server() (string, error) {
	shared.once.Do(func() {
		if conn := os.Getenv("LOUPE_TEST_PGCONN"); conn != "" {
			shared.admin, shared.err = conn, ping(conn)
			if shared.err != nil {
				shared.err = fmt.Errorf("LOUPE_TEST_PGCONN: %w", shared.err)
			}
			return
		}
		if ping(localTrust) == nil {
			shared.admin = localTrust
			return
		}
		c, err := StartCluster("")
		if err != nil {
			shared.err = fmt.Errorf("no PostgreSQL at 127.0.0.1:5432 and no throwaway cluster: %w", err)
			return
		}
		shared.cluster, shared.admin = c, c.ConnString("postgres")
	})
	return shared.admin, shared.err
}

func ping(conn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return c.Ping(ctx)
}

var warnOnce sync.Once

// Skip skips the test because PostgreSQL is unavailable, or fails it when
// CI=true.
func Skip(t testing.TB, err error) {
	t.Helper()
	if ci := os.Getenv("CI"); ci == "true" || ci == "1" {
		t.Fatalf("PostgreSQL is required under CI=%s: %v", ci, err)
	}
	warnOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "\n*** pgtest: PostgreSQL tests SKIPPED: %v\n*** set LOUPE_TEST_PGCONN, run a server on 127.0.0.1:5432, or install initdb/pg_ctl\n\n", err)
	})
	t.Skipf("PostgreSQL unavailable: %v", err)
}

// DB creates an empty database for the test and returns its connection
// string; the database is dropped when the test ends.
func DB(t testing.TB) string {
	t.Helper()
	admin, err := server()
	if err != nil {
		Skip(t, err)
	}
	return NewDatabase(t, admin)
}

// NewDatabase returns an empty database on the server that admin
// connects to, for the test alone. Creating and dropping databases is
// slow, so databases are reused: when the test ends its database is
// emptied (every schema dropped) and handed to a later test; Main drops
// them all at the end.
func NewDatabase(t testing.TB, admin string) string {
	t.Helper()
	if name, ok := reuse(admin); ok {
		t.Cleanup(func() { release(t, admin, name) })
		return withDatabase(admin, name)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "loupe_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating database: %v", err)
	}
	if mainRunning.Load() {
		dropMu.Lock()
		toDrop = append(toDrop, dropTarget{admin, name})
		dropMu.Unlock()
		t.Cleanup(func() { release(t, admin, name) })
	} else {
		t.Cleanup(func() {
			if err := drop(admin, name); err != nil {
				t.Logf("pgtest: dropping %s: %v", name, err)
			}
		})
	}
	return withDatabase(admin, name)
}

var free = map[string][]string{} // admin conn → emptied databases; under dropMu

func reuse(admin string) (string, bool) {
	dropMu.Lock()
	defer dropMu.Unlock()
	names := free[admin]
	if len(names) == 0 {
		return "", false
	}
	free[admin] = names[:len(names)-1]
	return names[len(names)-1], true
}

// release empties a database and makes it available to later tests; a
// database that cannot be emptied is left for Main to drop.
func release(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, withDatabase(admin, name))
	if err != nil {
		t.Logf("pgtest: emptying %s: %v", name, err)
		return
	}
	defer c.Close(ctx)
	const empty = `DO $$ DECLARE s text; BEGIN
		PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();
		FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' LOOP
			EXECUTE format('DROP SCHEMA %I CASCADE', s);
		END LOOP;
		CREATE SCHEMA public;
	END $$`
	if _, err := c.Exec(ctx, empty); err != nil {
		t.Logf("pgtest: emptying %s: %v", name, err)
		return
	}
	dropMu.Lock()
	free[admin] = append(free[admin], name)
	dropMu.Unlock()
}

// withDatabase returns conn with its database replaced by name.
func withDatabase(conn, name string) string {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	// key=value form
	var out []string
	for _, f := range strings.Fields(conn) {
		if !strings.HasPrefix(f, "dbname=") {
			out = append(out, f)
		}
	}
	return strings.Join(append(out, "dbname="+name), " ")
}

// ErrNoCluster is returned by StartCluster when initdb or pg_ctl are not
// installed.
var ErrNoCluster = errors.New("initdb and pg_ctl not found")
