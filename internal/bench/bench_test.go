package bench

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/ecosystem/all"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
	"github.com/loupe-dev/loupe/server"
	"github.com/loupe-dev/loupe/store/sqlite"
	"github.com/loupe-dev/loupe/updater"
)

func init() {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// benchLayer is a real Debian root filesystem layer: $LOUPE_BENCH_LAYER,
// or the one `make bench` builds.
func benchLayer(b *testing.B) []byte {
	name := cmpOr(os.Getenv("LOUPE_BENCH_LAYER"), "/var/tmp/loupe-bench/bookworm.tar.gz")
	blob, err := os.ReadFile(name)
	if err != nil {
		b.Skipf("no Debian layer (run make bench, or set LOUPE_BENCH_LAYER): %v", err)
	}
	return blob
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// serveBlob serves blob over loopback HTTP, as a registry would.
func serveBlob(b *testing.B, blob []byte) *loupe.Layer {
	d := layertest.Digest(blob)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.oci.image.layer.v1.tar+gzip")
		w.Write(blob)
	}))
	b.Cleanup(srv.Close)
	return &loupe.Layer{Hash: loupe.MustParseDigest(d), URI: srv.URL + "/blobs/" + d}
}

// BenchmarkLayerFloor is the physical floor of reading the layer:
// decompress and walk every tar entry, keeping nothing.
func BenchmarkLayerFloor(b *testing.B) {
	blob := benchLayer(b)
	b.SetBytes(int64(len(blob)))
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(blob))
		if err != nil {
			b.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			if _, err := tr.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		io.Copy(io.Discard, zr)
	}
}

// BenchmarkLayerRead is the layer package's single pass alone.
func BenchmarkLayerRead(b *testing.B) {
	blob := benchLayer(b)
	var pats []string
	for _, s := range all.Scanners() {
		pats = append(pats, s.Patterns()...)
	}
	sel := layer.NewPatterns(pats...)
	b.SetBytes(int64(len(blob)))
	for b.Loop() {
		if _, err := layer.Read(context.Background(), bytes.NewReader(blob), sel, layer.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexCold indexes the layer from scratch: fetch over loopback
// HTTP, hash, decompress, walk, scan, store, coalesce, store the report.
func BenchmarkIndexCold(b *testing.B) {
	blob := benchLayer(b)
	l := serveBlob(b, blob)
	ctx := context.Background()
	b.SetBytes(int64(len(blob)))
	pkgs := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		store, err := sqlite.OpenIndexer(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("ix%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		ix, err := indexer.New(indexer.Options{Scanners: all.Scanners(), Store: store})
		if err != nil {
			b.Fatal(err)
		}
		m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("cold"))), Layers: []*loupe.Layer{l}}
		b.StartTimer()
		r, err := ix.Index(ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		pkgs = len(r.Packages)
		store.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(pkgs), "packages")
}

// combo loads the feed at feedURL into a fresh embedded matcher database
// with the debian updater, then starts Loupe in combo mode on it (updaters
// off), which loads its vulnerability index from the database before it
// serves. It returns the API's base URL, the time the update took and the
// time the server took to start.
func combo(b *testing.B, feedURL string) (base string, update, start time.Duration) {
	dir := b.TempDir()
	ctx := context.Background()
	t0 := time.Now()
	store, err := sqlite.OpenMatcher(ctx, filepath.Join(dir, "matcher.db"))
	if err != nil {
		b.Fatal(err)
	}
	mgr, err := updater.NewManager(updater.Options{
		Store:  store,
		Sets:   []updater.Set{debian.UpdaterSet()},
		Config: map[string]json.RawMessage{"debian": json.RawMessage(fmt.Sprintf(`{"json_url": %q}`, feedURL))},
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := mgr.RunOnce(ctx); err != nil {
		b.Fatal(err)
	}
	store.Close()
	update = time.Since(t0)

	cfg := &config.Config{
		HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: dir,
		Matcher: config.Matcher{DisableUpdaters: true},
	}
	if _, err := config.Validate(cfg, config.ComboMode); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	t1 := time.Now()
	go func() {
		done <- server.Run(sctx, server.Options{Config: cfg, Mode: config.ComboMode, Listener: ln, Ready: func(net.Addr) { close(ready) }})
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case err := <-done:
		b.Fatal(err)
	}
	return "http://" + ln.Addr().String(), update, time.Since(t1)
}

func postManifest(b *testing.B, base string, m *loupe.Manifest) {
	body, _ := json.Marshal(m)
	res, err := http.Post(base+"/indexer/api/v1/index_report", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b.Fatalf("index: %s", res.Status)
	}
}

// BenchmarkReindex posts a manifest that is already indexed: the API
// round trip, with the stored report returned as is.
func BenchmarkReindex(b *testing.B) {
	blob := benchLayer(b)
	l := serveBlob(b, blob)
	base, _, _ := combo(b, "file://"+writeFeed(b, sampleFeed(b)))
	m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("warm"))), Layers: []*loupe.Layer{l}}
	postManifest(b, base, m)
	for b.Loop() {
		postManifest(b, base, m)
	}
}

// BenchmarkVulnerabilityReport is the latency of GET vulnerability_report
// for the indexed Debian image: with the real tracker sample, and with a
// synthetic feed the size of the whole tracker.
func BenchmarkVulnerabilityReport(b *testing.B) {
	blob := benchLayer(b)
	for _, feed := range []struct {
		name string
		json func(*testing.B) []byte
	}{
		{"feed=tracker-sample", sampleFeed},
		{"feed=synthetic-full", func(b *testing.B) []byte {
			doc, err := SynthesizeTracker(blob)
			if err != nil {
				b.Fatal(err)
			}
			return doc
		}},
	} {
		b.Run(feed.name, func(b *testing.B) {
			doc := feed.json(b)
			feedMB := float64(len(doc)) / 1e6
			base, update, start := combo(b, "file://"+writeFeed(b, doc))
			doc = nil
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			l := serveBlob(b, blob)
			m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("report"))), Layers: []*loupe.Layer{l}}
			postManifest(b, base, m)
			url := base + "/matcher/api/v1/vulnerability_report/" + m.Hash.String()
			var vr loupe.VulnerabilityReport
			for b.Loop() {
				res, err := http.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("report: %s", res.Status)
				}
				b.StopTimer()
				json.Unmarshal(body, &vr)
				b.StartTimer()
			}
			b.ReportMetric(float64(len(vr.Vulnerabilities)), "vulns")
			b.ReportMetric(feedMB, "feed-MB")
			b.ReportMetric(update.Seconds(), "update-s")
			b.ReportMetric(start.Seconds(), "start-s")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
		})
	}
}

func writeFeed(b *testing.B, doc []byte) string {
	path := filepath.Join(b.TempDir(), "tracker.json")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// sampleFeed is the real Debian tracker sample in ../shared/data.
func sampleFeed(b *testing.B) []byte {
	doc, err := os.ReadFile("../../../shared/data/vunnel-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json")
	if err != nil {
		b.Skipf("real tracker sample not available: %v", err)
	}
	return doc
}
