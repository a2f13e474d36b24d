package matcher_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/metricstest"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/store/sqlite"
)

func TestMatcherMetrics(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.OpenMatcher(ctx, filepath.Join(t.TempDir(), "matcher.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg := prometheus.NewRegistry()
	m, err := matcher.New(ctx, matcher.Options{Store: store, Rules: []matcher.Rules{prefixRules{"A"}}, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	builds := func() uint64 {
		n, _ := metricstest.Histogram(t, reg, "loupe_matcher_index_build_duration_seconds")
		return n
	}
	matches := func() uint64 {
		n, _ := metricstest.Histogram(t, reg, "loupe_matcher_match_duration_seconds")
		return n
	}
	gauge := func() float64 {
		v, _ := metricstest.Value(t, reg, "loupe_matcher_index_vulnerabilities")
		return v
	}
	if b, v := builds(), gauge(); b != 1 || v != 0 {
		t.Errorf("after New: %d builds, %v vulnerabilities; want 1 and 0", b, v)
	}

	// Data lands (a B vulnerability no rule claims): the reload counts
	// what the index holds.
	if _, err := store.UpdateVulnerabilities(ctx, "u", "fp1", []*loupe.Vulnerability{
		vuln("u", "A-1", "zlib", "affects:1.1", loupe.Low),
		vuln("u", "A-2", "zlib", "affects:1.1", loupe.High),
		vuln("u", "A-3", "zlib", "unparsable", loupe.High),
		vuln("u", "B-1", "zlib", "affects:1.1", loupe.High),
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.ReloadIfChanged(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.ReloadIfChanged(ctx); err != nil { // unchanged: no build
		t.Fatal(err)
	}
	if b, v := builds(), gauge(); b != 2 || v != 2 {
		t.Errorf("after reload: %d builds, %v vulnerabilities; want 2 and 2", b, v)
	}

	rep := report(&loupe.Package{ID: "1", Name: "zlib", Version: "1.1"})
	for range 3 {
		vr, err := m.Scan(ctx, rep)
		if err != nil || len(vr.Vulnerabilities) != 2 {
			t.Fatalf("Scan: %d vulnerabilities, %v", len(vr.Vulnerabilities), err)
		}
	}
	if n := matches(); n != 3 {
		t.Errorf("%d matches counted, want 3", n)
	}

	// A failed reload keeps the index, and counts.
	store.Close()
	if err := m.Reload(ctx); err == nil {
		t.Fatal("reload from a closed store succeeded")
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP loupe_matcher_index_build_failures_total In-memory index builds that failed: the index in use stays.
# TYPE loupe_matcher_index_build_failures_total counter
loupe_matcher_index_build_failures_total 1
# HELP loupe_matcher_index_vulnerabilities Vulnerabilities in the in-memory index in use (claimed by a matcher, with a constraint that parsed).
# TYPE loupe_matcher_index_vulnerabilities gauge
loupe_matcher_index_vulnerabilities 2
`), "loupe_matcher_index_build_failures_total", "loupe_matcher_index_vulnerabilities"); err != nil {
		t.Error(err)
	}
	if b := builds(); b != 2 {
		t.Errorf("%d builds after a failure, want 2", b)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
