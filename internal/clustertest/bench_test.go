package clustertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/clustertest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// Load test parameters: LOUPE_LOAD_SECONDS and LOUPE_LOAD_CONCURRENCY
// override the defaults.
const (
	loadImages    = 1000 // distinct manifests, queried at random
	loadPackages  = 100  // packages per image, about a Debian base image
	loadVulnPkgs  = 20   // how many of them the feed has vulnerabilities for
	loadSeconds   = 10
	loadClients   = 32
	loadWarmupReq = 2000
)

// BenchmarkReportsBehindNginx is the load test of a distributed Loupe:
// indexer, matcher and notifier processes on PostgreSQL behind nginx, PSK
// authentication on, as clustertest runs them. 1000 images of 100 Debian
// packages are indexed, the feed lists vulnerabilities for 20 of the
// packages, and 32 clients then ask for vulnerability reports of images
// chosen at random for 10 seconds, as fast as the answers come: each
// request goes client → nginx → matcher → nginx → indexer (the index
// report) and back. path=direct sends the same load to the matcher
// process itself, without nginx in front (the matcher still fetches index
// reports through nginx, as its config says).
//
// Metrics: req/s, and the latency percentiles p50-ms, p99-ms, p999-ms
// over every request; errors counts answers other than 200 (there must be
// none). ns/op is the mean latency.
func BenchmarkReportsBehindNginx(b *testing.B) {
	f := loadFiles(b)
	c := clustertest.Start(b, clustertest.Options{FeedURL: f.URL + "/tracker.json", Webhook: f.URL + "/hook"})
	manifests := indexImages(b, c, f)
	for _, path := range []string{"nginx", "direct"} {
		b.Run("path="+path, func(b *testing.B) {
			base := c.URL
			if path == "direct" {
				base = c.Process("matcher").API
			}
			for range b.N {
				runLoad(b, c, base, manifests)
			}
		})
	}
}

// loadFiles serves the image layer and the feed.
func loadFiles(b *testing.B) *files {
	var debs []layertest.Deb
	feed := map[string]map[string]any{}
	for i := range loadPackages {
		name := fmt.Sprintf("pkg%03d", i)
		debs = append(debs, layertest.Deb{Name: name, Version: fmt.Sprintf("1.%d-1", i)})
		if i < loadVulnPkgs {
			feed[name] = map[string]any{fmt.Sprintf("CVE-2099-%04d", i): map[string]any{
				"description": "load test",
				"releases": map[string]any{"bookworm": map[string]any{
					"status": "resolved", "fixed_version": fmt.Sprintf("1.%d-2", i), "urgency": "medium"}},
			}}
		}
	}
	doc, err := json.Marshal(feed)
	if err != nil {
		b.Fatal(err)
	}
	f := &files{layer: layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(debs...)),
	))}
	s := string(doc)
	f.feed.Store(&s)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/layer":
			w.Write(f.layer)
		case "/tracker.json":
			io.WriteString(w, *f.feed.Load())
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	b.Cleanup(f.Close)
	return f
}

// indexImages indexes loadImages manifests of the layer through nginx
// and waits until their reports list the feed's vulnerabilities.
func indexImages(b *testing.B, c *clustertest.Cluster, f *files) []string {
	ctx := context.Background()
	layer := &loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest(f.layer)), URI: f.URL + "/layer"}
	out := make([]string, loadImages)
	var g errgroup.Group
	g.SetLimit(8)
	for i := range out {
		m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest(fmt.Appendf(nil, "load image %d", i))), Layers: []*loupe.Layer{layer}}
		out[i] = m.Hash.String()
		g.Go(func() error {
			body, _ := json.Marshal(m)
			status, res, err := c.Do(ctx, http.MethodPost, "/indexer/api/v1/index_report", body)
			if err == nil && status != http.StatusCreated {
				err = fmt.Errorf("index: %d %s", status, res)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		status, res, err := c.Do(ctx, http.MethodGet, "/matcher/api/v1/vulnerability_report/"+out[0], nil)
		if err == nil && status == http.StatusOK && bytes.Count(res, []byte(`"name":"CVE-2099-`)) == loadVulnPkgs {
			return out
		}
		if time.Now().After(deadline) {
			b.Fatalf("vulnerability data never arrived: %d %s %v", status, res, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runLoad sends vulnerability report requests for random manifests from
// loadClients clients for loadSeconds, after a warm-up, and reports the
// throughput and latency percentiles.
func runLoad(b *testing.B, c *clustertest.Cluster, base string, manifests []string) {
	seconds, clients := envInt("LOUPE_LOAD_SECONDS", loadSeconds), envInt("LOUPE_LOAD_CONCURRENCY", loadClients)
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: false}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var token atomic.Pointer[string]
	sign := func() {
		t := c.Token()
		token.Store(&t)
	}
	sign()
	get := func(ctx context.Context, rng *rand.Rand) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/matcher/api/v1/vulnerability_report/"+manifests[rng.IntN(len(manifests))], nil)
		req.Header.Set("Authorization", "Bearer "+*token.Load())
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		d := time.Since(start)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %s", res.Status)
		}
		return d, err
	}

	// Warm up: connections, caches, the JIT-free but cold Go heap.
	rng := rand.New(rand.NewPCG(1, 2))
	for range loadWarmupReq / clients {
		if _, err := get(context.Background(), rng); err != nil {
			b.Fatalf("warm-up: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer cancel()
	stopSigning := make(chan struct{})
	go func() { // tokens last a minute
		t := time.NewTicker(20 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				sign()
			case <-stopSigning:
				return
			}
		}
	}()
	defer close(stopSigning)

	var (
		mu     sync.Mutex
		lat    []time.Duration
		errors atomic.Int64
		first  atomic.Value
		wg     sync.WaitGroup
	)
	b.ResetTimer()
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []time.Duration
			for ctx.Err() == nil {
				d, err := get(ctx, rng)
				switch {
				case ctx.Err() != nil:
				case err != nil:
					errors.Add(1)
					first.CompareAndSwap(nil, err.Error())
				default:
					mine = append(mine, d)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatalf("no request succeeded; first error: %v", first.Load())
	}
	if n := errors.Load(); n > 0 {
		b.Errorf("%d requests failed; first: %v", n, first.Load())
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6 }
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(lat)), "ns/op")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(0.999), "p999-ms")
	b.ReportMetric(float64(errors.Load()), "errors")
	b.ReportMetric(float64(clients), "clients")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
