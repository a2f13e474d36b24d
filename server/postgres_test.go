package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/pgtest"
	"github.com/loupe-dev/loupe/server"
)

func TestMain(m *testing.M) {
	if conf := os.Getenv(childEnv); conf != "" {
		os.Exit(serveChild(conf)) // a Loupe for a test to kill
	}
	pgtest.Main(m)
}

// TestEndToEndPostgres runs the end-to-end test in combo mode on
// PostgreSQL: every service in one database, and one database each.
func TestEndToEndPostgres(t *testing.T) {
	t.Run("one database", func(t *testing.T) {
		db := pgtest.DB(t)
		endToEnd(t, fmt.Sprintf(`
indexer: {connstring: %q, migrations: true}
matcher: {connstring: %q, migrations: true}
`, db, db))
	})
	t.Run("database per service", func(t *testing.T) {
		endToEnd(t, fmt.Sprintf(`
indexer: {connstring: %q, migrations: true}
matcher: {connstring: %q, migrations: true}
`, pgtest.DB(t), pgtest.DB(t)))
	})
}

// startServer runs server.Run with cfg on loopback and returns its base
// URL; the server stops when the test ends.
func startServer(t *testing.T, cfg *config.Config, mode config.Mode, reload time.Duration) string {
	t.Helper()
	api, _ := runServer(t, cfg, server.Options{Mode: mode, ReloadInterval: reload})
	return api
}

// TestTwoIndexers runs two indexers on one database and sends them 20
// concurrent requests for images that share layers: every layer is read
// exactly once between them, and every report is whole.
func TestTwoIndexers(t *testing.T) {
	db := pgtest.DB(t)
	var apis []string
	for range 2 {
		cfg := &config.Config{HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: t.TempDir(),
			Indexer: config.Indexer{ConnString: db, Migrations: true, IndexReportRequestConcurrency: -1}}
		apis = append(apis, startServer(t, cfg, config.IndexerMode, 0))
	}
	reg := newCountingRegistry(t)
	var bases, apps []loupe.Layer
	for i := range 4 {
		bases = append(bases, reg.layer(layertest.Gzip(layertest.Tar(
			layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
			layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
				layertest.Deb{Name: "base-files", Version: "12.4+deb12u5"},
				layertest.Deb{Name: fmt.Sprintf("base-%d", i), Version: "1.0-1"})),
		))))
	}
	for i := range 5 {
		apps = append(apps, reg.layer(layertest.Gzip(layertest.Tar(
			layertest.File(fmt.Sprintf("opt/app%d/README", i), strings.Repeat("app ", 5000)),
		))))
	}
	type result struct {
		packages int
		err      error
	}
	results := make([]result, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, a := bases[i%len(bases)], apps[(i/2)%len(apps)]
			m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(fmt.Sprintf("image %d %d", i%len(bases), (i/2)%len(apps))))),
				Layers: []*loupe.Layer{&b, &a}}
			res, body := do(t, http.MethodPost, apis[i%2]+"/indexer/api/v1/index_report", m)
			var ir loupe.IndexReport
			if res.StatusCode != http.StatusCreated {
				results[i].err = fmt.Errorf("%s: %s", res.Status, body)
				return
			}
			if err := json.Unmarshal(body, &ir); err != nil || ir.State != loupe.StateIndexFinished {
				results[i].err = fmt.Errorf("report %v: %s", err, body)
				return
			}
			results[i].packages = len(ir.Packages)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil || r.packages != 2 {
			t.Errorf("request %d: %d packages, %v", i, r.packages, r.err)
		}
	}
	for _, l := range slices.Concat(bases, apps) {
		if n := reg.fetches(l.Hash.String()); n != 1 {
			t.Errorf("layer %s read %d times, want exactly once", l.Hash, n)
		}
	}
}

// countingRegistry is a serve that counts fetches per blob.
type countingRegistry struct {
	*serve
	mu sync.Mutex
	n  map[string]int
}

func newCountingRegistry(t *testing.T) *countingRegistry {
	r := &countingRegistry{serve: newServe(t), n: map[string]int{}}
	inner := r.serve.Config.Handler
	r.serve.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.n[strings.TrimPrefix(req.URL.Path, "/blobs/")]++
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond) // let concurrent requests overlap
		inner.ServeHTTP(w, req)
	})
	return r
}

func (r *countingRegistry) fetches(digest string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[digest]
}

// TestMatcherReplicas: two matchers share one database; only one runs the
// updaters, and the other sees the data it lands on its next poll.
func TestMatcherReplicas(t *testing.T) {
	idb, mdb := pgtest.DB(t), pgtest.DB(t)
	feed := newServe(t)
	feed.bodies["/tracker.json"] = []byte(tracker)
	poll := 200 * time.Millisecond
	replica := func(updaters bool) string {
		cfg := &config.Config{HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: t.TempDir(),
			Indexer: config.Indexer{ConnString: idb, Migrations: true},
			Matcher: config.Matcher{ConnString: mdb, Migrations: true, DisableUpdaters: !updaters},
			Updaters: config.Updaters{Sets: []string{"debian"}, Config: map[string]json.RawMessage{
				"debian": json.RawMessage(fmt.Sprintf(`{"json_url": %q}`, feed.URL+"/tracker.json"))}},
		}
		return startServer(t, cfg, config.ComboMode, poll)
	}
	b := replica(false)
	reg := newServe(t)
	l := reg.layer(layertest.Gzip(layertest.Tar(
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(layertest.Deb{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"})),
	)))
	m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("replicas"))), Layers: []*loupe.Layer{&l}}
	if res, body := do(t, http.MethodPost, b+"/indexer/api/v1/index_report", m); res.StatusCode != http.StatusCreated {
		t.Fatalf("index: %s %s", res.Status, body)
	}
	url := "/matcher/api/v1/vulnerability_report/" + m.Hash.String()
	if res, _ := do(t, http.MethodGet, b+url, nil); res.StatusCode != http.StatusAccepted {
		t.Fatalf("before any data: %s, want 202", res.Status)
	}
	a := replica(true) // lands the feed as it starts
	for _, api := range []string{a, b} {
		deadline := time.Now().Add(20 * poll)
		for {
			res, body := do(t, http.MethodGet, api+url, nil)
			var vr loupe.VulnerabilityReport
			if res.StatusCode == http.StatusOK && json.Unmarshal(body, &vr) == nil && len(vr.Vulnerabilities) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s never saw the update: %s %s", api, res.Status, body)
			}
			time.Sleep(poll / 4)
		}
	}
}

// TestPostgresRestart restarts PostgreSQL under a running Loupe: requests
// that need the database get 503 while it is down and succeed once it is
// back, with nothing lost and no restart of Loupe.
func TestPostgresRestart(t *testing.T) {
	cluster, err := pgtest.StartCluster("")
	if err != nil {
		pgtest.Skip(t, err)
	}
	defer cluster.Close()
	admin := cluster.ConnString("postgres")
	db := pgtest.NewDatabase(t, admin)
	cfg := &config.Config{HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		Indexer: config.Indexer{ConnString: db, Migrations: true},
		Matcher: config.Matcher{ConnString: db, Migrations: true, DisableUpdaters: true},
	}
	api := startServer(t, cfg, config.ComboMode, time.Second)
	reg := newServe(t)
	manifest := func(name, pkg string) loupe.Manifest {
		l := reg.layer(layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status",
			layertest.DpkgStatus(layertest.Deb{Name: pkg, Version: "1.0-1"})))))
		return loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(name))), Layers: []*loupe.Layer{&l}}
	}
	before, during := manifest("before", "a"), manifest("during", "b")
	if res, body := do(t, http.MethodPost, api+"/indexer/api/v1/index_report", before); res.StatusCode != http.StatusCreated {
		t.Fatalf("index: %s %s", res.Status, body)
	}

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	res, body := do(t, http.MethodPost, api+"/indexer/api/v1/index_report", during)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("index while the database is down: %s %s, want 503", res.Status, body)
	}
	unknown := loupe.MustParseDigest(layertest.Digest([]byte("unknown")))
	if res, body := do(t, http.MethodGet, api+"/indexer/api/v1/index_report/"+unknown.String(), nil); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("report while the database is down: %s %s, want 503", res.Status, body)
	}

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitReady(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	// Connections broken by the restart are replaced as they are found;
	// allow a few attempts.
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, body = do(t, http.MethodPost, api+"/indexer/api/v1/index_report", during)
		if res.StatusCode == http.StatusCreated {
			break
		}
		if res.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("index after the restart: %s %s", res.Status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, m := range []loupe.Manifest{before, during} {
		res, body := do(t, http.MethodGet, api+"/indexer/api/v1/index_report/"+m.Hash.String(), nil)
		var ir loupe.IndexReport
		if res.StatusCode != http.StatusOK || json.Unmarshal(body, &ir) != nil || len(ir.Packages) != 1 {
			t.Errorf("report of %s after the restart: %s %s", m.Hash, res.Status, body)
		}
	}
}
