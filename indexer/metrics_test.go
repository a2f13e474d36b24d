package indexer_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/all"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/metricstest"
	"github.com/loupe-dev/loupe/store/sqlite"
)

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenIndexer(ctx, filepath.Join(t.TempDir(), "indexer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	ix, err := indexer.New(indexer.Options{Scanners: all.Scanners(), Store: st, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	// A second indexer cannot register the same metrics.
	if _, err := indexer.New(indexer.Options{Scanners: all.Scanners(), Store: st, Registerer: reg}); err == nil {
		t.Error("second indexer registered its metrics on the same registry")
	}
	counter := func(name string, labels ...string) float64 {
		t.Helper()
		v, ok := metricstest.Value(t, reg, "loupe_indexer_"+name, labels...)
		if !ok {
			t.Fatalf("no series loupe_indexer_%s%v", name, labels)
		}
		return v
	}
	indexed := func(outcome string) uint64 {
		n, _ := metricstest.Histogram(t, reg, "loupe_indexer_index_duration_seconds", "outcome", outcome)
		return n
	}
	type want struct {
		fetched, bytes, scanned, reused float64
		finished, failed                uint64
		fetchErr, scanErr               float64
	}
	check := func(step string, w want) {
		t.Helper()
		got := want{
			counter("layers_fetched_total"), counter("layer_fetched_bytes_total"),
			counter("layers_scanned_total"), counter("layers_reused_total"),
			indexed("finished"), indexed("failed"),
			counter("layer_errors_total", "stage", "fetch"), counter("layer_errors_total", "stage", "scan"),
		}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", step, got, w)
		}
	}

	reg1 := newRegistry(t)
	baseBlob := layertest.Gzip(layertest.Tar(
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd)),
	))
	appBlob := layertest.Zstd(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd, ssl))))
	otherBlob := layertest.Tar(layertest.File("etc/motd", "hello"))
	baseL, appL, otherL := reg1.add(baseBlob), reg1.add(appBlob), reg1.add(otherBlob)

	check("start", want{})
	if _, err := ix.Index(ctx, manifest("app", baseL, appL)); err != nil {
		t.Fatal(err)
	}
	check("first image", want{fetched: 2, bytes: float64(len(baseBlob) + len(appBlob)), scanned: 2, finished: 1})

	// Same base: read only the new layer.
	if _, err := ix.Index(ctx, manifest("other", baseL, otherL)); err != nil {
		t.Fatal(err)
	}
	all := float64(len(baseBlob) + len(appBlob) + len(otherBlob))
	check("second image", want{fetched: 3, bytes: all, scanned: 3, reused: 1, finished: 2})

	// A finished report is answered without indexing.
	if _, err := ix.Index(ctx, manifest("app", baseL, appL)); err != nil {
		t.Fatal(err)
	}
	check("finished report", want{fetched: 3, bytes: all, scanned: 3, reused: 1, finished: 2})

	// The registry is down: a fetch error, nothing read.
	down := reg1.add(layertest.Tar(layertest.File("etc/motd", "down")))
	reg1.down.Store(true)
	if _, err := ix.Index(ctx, manifest("down", down)); err == nil {
		t.Fatal("registry down: no error")
	}
	reg1.down.Store(false)
	check("registry down", want{fetched: 3, bytes: all, scanned: 3, reused: 1, finished: 2, failed: 1, fetchErr: 1})

	// Bytes that are no archive: fetched and read, a scan error.
	bad := []byte(strings.Repeat("not a tar archive ", 64))
	badL := reg1.add(bad)
	if _, err := ix.Index(ctx, manifest("bad", badL)); !indexer.IsBadLayer(err) {
		t.Fatalf("bad layer: err = %v", err)
	}
	all += float64(len(bad))
	check("bad layer", want{fetched: 4, bytes: all, scanned: 3, reused: 1, finished: 2, failed: 2, fetchErr: 1, scanErr: 1})

	// Bytes that do not hash to the digest: a fetch error.
	wrong := &loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest([]byte("elsewhere"))), URI: otherL.URI}
	if _, err := ix.Index(ctx, manifest("mismatch", wrong)); err == nil {
		t.Fatal("digest mismatch: no error")
	}
	all += float64(len(otherBlob))
	check("digest mismatch", want{fetched: 5, bytes: all, scanned: 3, reused: 1, finished: 2, failed: 3, fetchErr: 2, scanErr: 1})

	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP loupe_indexer_layer_errors_total Layers that failed, by stage: fetch (the blob could not be had), scan (its content), store (the database).
# TYPE loupe_indexer_layer_errors_total counter
loupe_indexer_layer_errors_total{stage="fetch"} 2
loupe_indexer_layer_errors_total{stage="scan"} 1
loupe_indexer_layer_errors_total{stage="store"} 0
`), "loupe_indexer_layer_errors_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
