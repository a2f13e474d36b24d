package updater_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/internal/metricstest"
	"github.com/loupe-dev/loupe/store/sqlite"
	"github.com/loupe-dev/loupe/updater"
)

func TestManagerMetrics(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.OpenMatcher(ctx, filepath.Join(t.TempDir(), "matcher.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f := newFeed(t, trackerJSON(map[string]string{"openssl": "3.0.13-1~deb12u1", "zlib": ""}))
	reg := prometheus.NewRegistry()
	opts := updater.Options{
		Store:      store,
		Sets:       []updater.Set{debian.UpdaterSet()},
		Config:     map[string]json.RawMessage{"debian": json.RawMessage(fmt.Sprintf(`{"json_url": %q, "mirror_url": "http://unused"}`, f.URL))},
		Registerer: reg,
	}
	mgr, err := updater.NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := updater.NewManager(opts); err == nil {
		t.Error("a second manager registered its metrics on the same registry")
	}
	name := debian.UpdaterName
	runs := func(outcome string) float64 {
		t.Helper()
		v, ok := metricstest.Value(t, reg, "loupe_updater_runs_total", "updater", name, "outcome", outcome)
		if !ok {
			t.Fatalf("no runs series for outcome %s", outcome)
		}
		return v
	}
	gauge := func(metric string) (float64, bool) {
		t.Helper()
		return metricstest.Value(t, reg, "loupe_updater_"+metric, "updater", name)
	}
	check := func(step string, changed, unchanged, failed float64, vulns float64) {
		t.Helper()
		if c, u, f := runs("changed"), runs("unchanged"), runs("failed"); c != changed || u != unchanged || f != failed {
			t.Errorf("%s: runs changed/unchanged/failed = %v/%v/%v, want %v/%v/%v", step, c, u, f, changed, unchanged, failed)
		}
		if n, _ := metricstest.Histogram(t, reg, "loupe_updater_run_duration_seconds", "updater", name); float64(n) != changed+unchanged+failed {
			t.Errorf("%s: %d run durations, want %v", step, n, changed+unchanged+failed)
		}
		if v, ok := gauge("vulnerabilities"); !ok || v != vulns {
			t.Errorf("%s: vulnerabilities gauge %v (present %v), want %v", step, v, ok, vulns)
		}
	}

	// Before any run: the outcomes are there at zero, nothing else.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP loupe_updater_runs_total Updater runs by updater and outcome: changed (an update operation landed), unchanged, failed. Runs left to another process holding the updater's lease are not counted.
# TYPE loupe_updater_runs_total counter
loupe_updater_runs_total{outcome="changed",updater="debian/updater"} 0
loupe_updater_runs_total{outcome="failed",updater="debian/updater"} 0
loupe_updater_runs_total{outcome="unchanged",updater="debian/updater"} 0
`), "loupe_updater_runs_total", "loupe_updater_vulnerabilities", "loupe_updater_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}

	before := time.Now()
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	check("first run", 1, 0, 0, 2)
	first, ok := gauge("last_success_timestamp_seconds")
	if !ok || first < float64(before.Unix()) || first > float64(time.Now().Unix()+1) {
		t.Errorf("last success %v, want about now (%v)", first, before.Unix())
	}

	// Unchanged: the server says 304.
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	check("unchanged feed", 1, 1, 0, 2)
	second, _ := gauge("last_success_timestamp_seconds")
	if second < first {
		t.Errorf("last success went back: %v then %v", first, second)
	}

	// Broken, then down: failures keep the last success and count.
	f.set("{this is not json", `"broken"`)
	if err := mgr.RunOnce(ctx); err == nil {
		t.Fatal("broken feed: no error")
	}
	f.fail(http.StatusBadGateway)
	if err := mgr.RunOnce(ctx); err == nil {
		t.Fatal("feed down: no error")
	}
	check("failures", 1, 1, 2, 2)
	if v, _ := gauge("last_success_timestamp_seconds"); v != second {
		t.Errorf("last success %v after failures, want %v", v, second)
	}

	// A change lands, with its count.
	f.fail(0)
	f.set(trackerJSON(map[string]string{"openssl": "3.0.13-1~deb12u1", "zlib": "1:1.2.13.dfsg-1+deb12u1", "curl": ""}), `"v3"`)
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	check("changed feed", 2, 1, 2, 3)

	// New bytes that parse to the same vulnerabilities: unchanged.
	f.set(trackerJSON(map[string]string{"curl": "", "zlib": "1:1.2.13.dfsg-1+deb12u1", "openssl": "3.0.13-1~deb12u1"})+" ", `"v4"`)
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	check("same data", 2, 2, 2, 3)

	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
