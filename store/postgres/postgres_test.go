package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/pgtest"
	"github.com/loupe-dev/loupe/store"
	"github.com/loupe-dev/loupe/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestIndexerStore(t *testing.T) {
	storetest.IndexerStore(t, func(t *testing.T) storetest.IndexerStoreUnderTest {
		s, err := OpenIndexer(t.Context(), pgtest.DB(t), true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMatcherStore(t *testing.T) {
	storetest.MatcherStore(t, func(t *testing.T) storetest.MatcherStoreUnderTest {
		s, err := OpenMatcher(t.Context(), pgtest.DB(t), true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestMigrations: with migrations off, an empty or outdated schema is
// refused with an error that says what to do; with them on, it is brought
// up to date, once, also when several processes start at once; a schema
// newer than the binary is refused either way.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	conn := pgtest.DB(t)
	if _, err := OpenIndexer(ctx, conn, false); !errors.Is(err, ErrSchemaOutdated) || !strings.Contains(err.Error(), "migrations: true") {
		t.Fatalf("empty database, migrations off: err = %v", err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := OpenMatcher(ctx, conn, true)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent migrations: %v", err)
		}
	}
	s, err := OpenMatcher(ctx, conn, false)
	if err != nil {
		t.Fatalf("migrated database, migrations off: %v", err)
	}
	s.Close()
	// Both services can share the database: their schemas are separate.
	ix, err := OpenIndexer(ctx, conn, true)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()

	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `INSERT INTO loupe_matcher.migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	for _, migrate := range []bool{false, true} {
		if _, err := OpenMatcher(ctx, conn, migrate); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Errorf("newer schema, migrate=%v: err = %v", migrate, err)
		}
	}
}

func TestBadConnString(t *testing.T) {
	if _, err := OpenIndexer(context.Background(), "host=127.0.0.1 port=notaport", true); err == nil {
		t.Error("a bad connstring opened")
	}
}

// withParam adds a key=value parameter to a connection string of either
// form.
func withParam(conn, key, value string) string {
	if strings.Contains(conn, "://") {
		sep := "?"
		if strings.Contains(conn, "?") {
			sep = "&"
		}
		return conn + sep + key + "=" + value
	}
	return conn + " " + key + "=" + value
}

// TestPoolExhaustion: with every connection busy, requests queue for a
// free one and succeed; past the acquire timeout they fail as unavailable
// (503), not at once and not forever.
func TestPoolExhaustion(t *testing.T) {
	ctx := context.Background()
	s, err := OpenIndexer(ctx, withParam(pgtest.DB(t), "pool_max_conns", "1"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.acquireTimeout = 500 * time.Millisecond

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _, err := s.Report(ctx, digestOf("m"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("queued request: %v", err)
		}
	}

	held, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, _, err = s.Report(ctx, digestOf("m"))
	waited := time.Since(start)
	held.Release()
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("exhausted pool: err = %v, want ErrUnavailable", err)
	}
	if waited < 400*time.Millisecond {
		t.Errorf("failed after %v, before the acquire timeout", waited)
	}
	if _, _, _, err := s.Report(ctx, digestOf("m")); err != nil {
		t.Errorf("after the connection is free again: %v", err)
	}
}

func digestOf(s string) loupe.Digest {
	sum := sha256.Sum256([]byte(s))
	d, _ := loupe.NewDigest(loupe.SHA256, sum[:])
	return d
}

func TestNotifierStore(t *testing.T) {
	storetest.NotifierStore(t, func(t *testing.T) storetest.NotifierStoreUnderTest {
		s, err := OpenNotifier(t.Context(), pgtest.DB(t), true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
