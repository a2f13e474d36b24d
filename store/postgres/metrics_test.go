package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe/internal/metricstest"
	"github.com/loupe-dev/loupe/internal/pgtest"
)

// TestCollector drives a real pool: connections held, a request queued
// behind them, and the pool statistics as Prometheus sees them, for two
// services' stores registered side by side.
func TestCollector(t *testing.T) {
	ctx := context.Background()
	ix, err := OpenIndexer(ctx, withParam(pgtest.DB(t), "pool_max_conns", "2"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	mt, err := OpenMatcher(ctx, withParam(pgtest.DB(t), "pool_max_conns", "3"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer mt.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(ix.Collector(), mt.Collector())
	if err := reg.Register(ix.Collector()); err == nil {
		t.Error("a second collector for the indexer's pool registered")
	}
	if n := testutil.CollectAndCount(ix.Collector()); n != 13 {
		t.Errorf("%d series, want 13", n)
	}
	value := func(name, service string) float64 {
		t.Helper()
		v, ok := metricstest.Value(t, reg, "loupe_db_pool_"+name, "service", service)
		if !ok {
			t.Fatalf("no loupe_db_pool_%s for %s", name, service)
		}
		return v
	}

	// Both connections held: a request queues until one is released.
	var held []func()
	for range 2 {
		c, err := ix.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c.Release)
	}
	if a, tot := value("acquired_connections", "indexer"), value("total_connections", "indexer"); a != 2 || tot != 2 {
		t.Errorf("holding 2: %v acquired, %v total", a, tot)
	}
	// Opening connections counts as waiting too: count from here.
	empty0, wait0 := value("empty_acquires_total", "indexer"), value("empty_acquire_wait_seconds_total", "indexer")
	done := make(chan error)
	go func() {
		_, _, _, err := ix.Report(ctx, digestOf("m"))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	held[0]()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	held[1]()

	if v := value("empty_acquires_total", "indexer") - empty0; v != 1 {
		t.Errorf("empty acquires %v, want 1", v)
	}
	if v := value("empty_acquire_wait_seconds_total", "indexer") - wait0; v < 0.05 {
		t.Errorf("waited %vs in all, want about 0.1s", v)
	}
	if v := value("acquires_total", "indexer"); v < 3 {
		t.Errorf("acquires %v, want at least 3", v)
	}
	if a, idle := value("acquired_connections", "indexer"), value("idle_connections", "indexer"); a != 0 || idle != 2 {
		t.Errorf("all released: %v acquired, %v idle; want 0 and 2", a, idle)
	}
	if v, ok := metricstest.Value(t, reg, "loupe_db_pool_closed_connections_total", "service", "indexer", "reason", "max_lifetime"); !ok || v != 0 {
		t.Errorf("closed for max_lifetime: %v (present %v)", v, ok)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP loupe_db_pool_max_connections The most connections the pool opens; 0 means no limit.
# TYPE loupe_db_pool_max_connections gauge
loupe_db_pool_max_connections{service="indexer"} 2
loupe_db_pool_max_connections{service="matcher"} 3
`), "loupe_db_pool_max_connections"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
