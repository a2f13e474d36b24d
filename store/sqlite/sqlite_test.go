package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/store/sqlite"
	"github.com/loupe-dev/loupe/store/storetest"
)

func TestIndexerStore(t *testing.T) {
	storetest.IndexerStore(t, func(t *testing.T) storetest.IndexerStoreUnderTest {
		s, err := sqlite.OpenIndexer(t.Context(), filepath.Join(t.TempDir(), "indexer.db"))
		if err != nil {
			t.Fatalf("OpenIndexer: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

func TestMatcherStore(t *testing.T) {
	storetest.MatcherStore(t, func(t *testing.T) storetest.MatcherStoreUnderTest {
		s, err := sqlite.OpenMatcher(t.Context(), filepath.Join(t.TempDir(), "matcher.db"))
		if err != nil {
			t.Fatalf("OpenMatcher: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

// A database migrated by a newer Loupe must not be opened by an older
// one, which would misread it.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "indexer.db")
	s, err := sqlite.OpenIndexer(t.Context(), path)
	if err != nil {
		t.Fatalf("OpenIndexer: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// The driver is registered by the sqlite package.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO indexer_migrations (version, applied) VALUES (9999, '2099-01-01T00:00:00Z')`); err != nil {
		t.Fatalf("inserting a newer schema version: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = sqlite.OpenIndexer(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatalf("OpenIndexer of a database at schema version 9999: got no error, want one")
	}
	for _, want := range []string{"9999", "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("OpenIndexer of a database at schema version 9999: got error %q, want it to mention %q", err, want)
		}
	}
}

func TestNotifierStore(t *testing.T) {
	storetest.NotifierStore(t, func(t *testing.T) storetest.NotifierStoreUnderTest {
		s, err := sqlite.OpenNotifier(t.Context(), filepath.Join(t.TempDir(), "notifier.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
