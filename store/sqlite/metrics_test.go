package sqlite

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/metricstest"
)

// TestCollector drives a real database/sql pool: a connection held, a
// request queued behind it, and the statistics as Prometheus sees them,
// for the three services' stores registered side by side.
func TestCollector(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := OpenIndexer(ctx, filepath.Join(dir, "indexer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	mt, err := OpenMatcher(ctx, filepath.Join(dir, "matcher.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer mt.Close()
	nt, err := OpenNotifier(ctx, filepath.Join(dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer nt.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(ix.Collector(), mt.Collector(), nt.Collector())
	if n := testutil.CollectAndCount(ix.Collector()); n != 9 {
		t.Errorf("%d series, want 9", n)
	}
	value := func(name string) float64 {
		t.Helper()
		v, ok := metricstest.Value(t, reg, "loupe_db_pool_"+name, "service", "indexer")
		if !ok {
			t.Fatalf("no loupe_db_pool_%s", name)
		}
		return v
	}

	ix.db.SetMaxOpenConns(1)
	conn, err := ix.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, tot, max := value("acquired_connections"), value("total_connections"), value("max_connections"); a != 1 || tot != 1 || max != 1 {
		t.Errorf("holding 1: %v acquired, %v total, %v max", a, tot, max)
	}
	done := make(chan error)
	go func() {
		sum := sha256.Sum256([]byte("m"))
		d, _ := loupe.NewDigest(loupe.SHA256, sum[:])
		_, _, _, err := ix.Report(ctx, d)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	conn.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := value("empty_acquires_total"); v != 1 {
		t.Errorf("waits %v, want 1", v)
	}
	if v := value("empty_acquire_wait_seconds_total"); v < 0.05 {
		t.Errorf("waited %vs, want about 0.1s", v)
	}
	if a, idle := value("acquired_connections"), value("idle_connections"); a != 0 || idle != 1 {
		t.Errorf("released: %v acquired, %v idle; want 0 and 1", a, idle)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP loupe_db_pool_max_connections The most connections the pool opens; 0 means no limit.
# TYPE loupe_db_pool_max_connections gauge
loupe_db_pool_max_connections{service="indexer"} 1
loupe_db_pool_max_connections{service="matcher"} 0
loupe_db_pool_max_connections{service="notifier"} 0
`), "loupe_db_pool_max_connections"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
