package bench

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/ecosystem/osv"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/pgtest"
	"github.com/loupe-dev/loupe/server"
	"github.com/loupe-dev/loupe/store/postgres"
	"github.com/loupe-dev/loupe/store/sqlite"
	"github.com/loupe-dev/loupe/updater"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// osvSources are the real advisory databases in ../shared/data/osv, by
// OSV ecosystem.
var osvSources = map[string]string{
	"Go":        "../../../shared/data/osv/go-vulndb/data/osv",
	"PyPI":      "../../../shared/data/osv/pypa/vulns",
	"crates.io": "../../../shared/data/osv/rustsec/crates",
}

// osvEcosystems returns the ecosystems to load: those of osvSources, or
// of them the ones LOUPE_BENCH_OSV_ECOSYSTEMS lists.
func osvEcosystems() []string {
	only := os.Getenv("LOUPE_BENCH_OSV_ECOSYSTEMS")
	var out []string
	for eco := range osvSources {
		if only == "" || slices.Contains(strings.Split(only, ","), eco) {
			out = append(out, eco)
		}
	}
	slices.Sort(out)
	return out
}

// osvFeed packs the real advisories into the layout OSV.dev publishes
// (<Ecosystem>/all.zip) and returns its file:// base URL.
//
// LOUPE_BENCH_OSV_ECOSYSTEMS, a comma-separated list, packs only those
// ecosystems: "Go,crates.io" is what Clair's OSV updater can read of this
// data (it reads JSON only, and the PyPI advisories are YAML), for
// comparing with it (scripts/compare-clair).
func osvFeed(b *testing.B) string {
	dir := b.TempDir()
	for _, eco := range osvEcosystems() {
		src := osvSources[eco]
		if _, err := os.Stat(src); err != nil {
			b.Skipf("real OSV data not available: %v", err)
		}
		if err := os.MkdirAll(filepath.Join(dir, eco), 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, eco, "all.zip"))
		if err != nil {
			b.Fatal(err)
		}
		zw := zip.NewWriter(f)
		err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			w, err := zw.Create(filepath.Base(path))
			if err != nil {
				return err
			}
			r, err := os.Open(path)
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.Copy(w, r)
			return err
		})
		if err == nil {
			err = zw.Close()
		}
		if err == nil {
			err = f.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	return "file://" + dir + "/"
}

// osvManager runs the OSV updaters for the three ecosystems against store.
func osvManager(b *testing.B, store updater.Store, base string) *updater.Manager {
	mgr, err := updater.NewManager(updater.Options{
		Store: store,
		Sets:  []updater.Set{osv.UpdaterSet()},
		Config: map[string]json.RawMessage{
			"osv": json.RawMessage(fmt.Sprintf(`{"url": %q, "allowlist": %s}`, base, must(json.Marshal(osvEcosystems())))),
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	return mgr
}

// matcherStore is both stores' matcher side, with a way to measure it.
type matcherStore interface {
	updater.Store
	Vulnerabilities(context.Context) ([]*loupe.Vulnerability, error)
	Close() error
}

// storeKind opens a fresh matcher store and measures its size in bytes.
type storeKind struct {
	name string
	open func(b *testing.B) (matcherStore, func() int64)
}

var storeKinds = []storeKind{
	{"store=sqlite", func(b *testing.B) (matcherStore, func() int64) {
		path := filepath.Join(b.TempDir(), "matcher.db")
		s, err := sqlite.OpenMatcher(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		return s, func() int64 { return sqliteSize(b, path) }
	}},
	{"store=postgres", func(b *testing.B) (matcherStore, func() int64) {
		conn := pgtest.DB(b)
		s, err := postgres.OpenMatcher(context.Background(), conn, true)
		if err != nil {
			b.Fatal(err)
		}
		return s, func() int64 { return pgSize(b, conn) }
	}},
}

// sqliteSize is the size of a SQLite database, its write-ahead log folded
// in, and without pages that are free for reuse.
func sqliteSize(b *testing.B, path string) int64 {
	db, err := sqlite.OpenMatcher(context.Background(), path) // a second handle, to checkpoint
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	size, err := db.Size(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return size
}

// pgSize is the on-disk size of the matcher's tables and indexes, after
// the vacuum autovacuum would run.
func pgSize(b *testing.B, conn string) int64 {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "VACUUM"); err != nil {
		b.Fatal(err)
	}
	var size int64
	err = c.QueryRow(ctx, `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'loupe_matcher' AND c.relkind = 'r'`).Scan(&size)
	if err != nil {
		b.Fatal(err)
	}
	return size
}

// BenchmarkOSVLoad loads every Go, PyPI and crates.io advisory in
// ../shared/data/osv through the updater path (fetch the archives, parse,
// store) into an empty store, and reports what the stored data costs.
func BenchmarkOSVLoad(b *testing.B) {
	base := osvFeed(b)
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			var vulns int
			var perVuln float64
			for b.Loop() {
				b.StopTimer()
				s, size := kind.open(b)
				empty := size()
				mgr := osvManager(b, s, base)
				b.StartTimer()
				if err := mgr.RunOnce(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				vs, err := s.Vulnerabilities(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				vulns = len(vs)
				s.Close()
				perVuln = float64(size()-empty) / float64(vulns)
				b.StartTimer()
			}
			b.ReportMetric(float64(vulns), "vulns")
			b.ReportMetric(perVuln, "bytes/vuln")
		})
	}
}

// BenchmarkUpdateGrowth loads the OSV data, then lands 10 updates that
// change some of the records, collecting with the default retention of 10
// operations, and reports how much the database grew: with each update
// changing a different 1% of the records (10% changed in all), and with
// 1% of the records changed in all (0.1% per update).
func BenchmarkUpdateGrowth(b *testing.B) {
	base := osvFeed(b)
	for _, c := range []struct {
		name  string
		every int // change one record in every
	}{{"change=1%-per-run", 100}, {"change=1%-in-all", 1000}} {
		for _, kind := range storeKinds {
			b.Run(c.name+"/"+kind.name, func(b *testing.B) { updateGrowth(b, base, kind, c.every) })
		}
	}
}

// updateGrowth is one case of BenchmarkUpdateGrowth: each update changes
// one record in every.
func updateGrowth(b *testing.B, base string, kind storeKind, every int) {
	var growth, perRun float64
	for b.Loop() {
		b.StopTimer()
		ctx := context.Background()
		s, size := kind.open(b)
		if err := osvManager(b, s, base).RunOnce(ctx); err != nil {
			b.Fatal(err)
		}
		vs, err := s.Vulnerabilities(ctx)
		if err != nil {
			b.Fatal(err)
		}
		byUpdater := map[string][]*loupe.Vulnerability{}
		for _, v := range vs {
			c := *v
			c.ID = ""
			byUpdater[v.Updater] = append(byUpdater[v.Updater], &c)
		}
		s.Close()
		before := size()
		s, _ = reopen(b, kind, s)
		var spent time.Duration
		b.StartTimer() // timed: the ten updates and their collection
		for run := 1; run <= 10; run++ {
			for u, list := range byUpdater {
				changed := make([]*loupe.Vulnerability, len(list))
				for i, v := range list {
					changed[i] = v
					if (i+run*37)%every == 0 { // different records each run
						c := *v
						c.FixedInVersion = fmt.Sprintf("%s~run%d", v.FixedInVersion, run)
						changed[i] = &c
						list[i] = &c
					}
				}
				start := time.Now()
				if _, err := s.UpdateVulnerabilities(ctx, u, fmt.Sprintf("run %d", run), changed); err != nil {
					b.Fatal(err)
				}
				spent += time.Since(start)
			}
			if _, err := s.GC(ctx, config.DefaultUpdateRetention); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
		after := size()
		growth = 100 * float64(after-before) / float64(before)
		perRun = spent.Seconds() / 10
		b.StartTimer()
	}
	b.ReportMetric(growth, "growth-%")
	b.ReportMetric(perRun, "s/update")
}

// reopen opens the store of kind again; the SQLite file or the database
// stays the same.
func reopen(b *testing.B, kind storeKind, old matcherStore) (matcherStore, error) {
	switch s := old.(type) {
	case *sqlite.MatcherStore:
		return sqlite.OpenMatcher(context.Background(), s.Path())
	case *postgres.MatcherStore:
		return postgres.OpenMatcher(context.Background(), s.ConnString(), false)
	}
	b.Fatalf("unknown store %T", old)
	return nil, nil
}

// BenchmarkReportWithOSV is the latency of a vulnerability report for the
// Debian layer on PostgreSQL, with the OSV data loaded.
func BenchmarkReportWithOSV(b *testing.B) {
	blob := benchLayer(b)
	base := osvFeed(b)
	idb, mdb := pgtest.DB(b), pgtest.DB(b)
	ms, err := postgres.OpenMatcher(context.Background(), mdb, true)
	if err != nil {
		b.Fatal(err)
	}
	if err := osvManager(b, ms, base).RunOnce(context.Background()); err != nil {
		b.Fatal(err)
	}
	ms.Close()
	cfg := &config.Config{HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: b.TempDir(),
		Indexer: config.Indexer{ConnString: idb, Migrations: true},
		Matcher: config.Matcher{ConnString: mdb, Migrations: true, DisableUpdaters: true}}
	if _, err := config.Validate(cfg, config.ComboMode); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	start := time.Now()
	go func() {
		done <- server.Run(ctx, server.Options{Config: cfg, Mode: config.ComboMode, Listener: ln, Ready: func(net.Addr) { close(ready) }})
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case err := <-done:
		b.Fatal(err)
	}
	startup := time.Since(start)
	api := "http://" + ln.Addr().String()
	l := serveBlob(b, blob)
	m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("osv report"))), Layers: []*loupe.Layer{l}}
	postManifest(b, api, m)
	url := api + "/matcher/api/v1/vulnerability_report/" + m.Hash.String()
	for b.Loop() {
		res, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("report: %s", res.Status)
		}
	}
	b.ReportMetric(startup.Seconds(), "start-s")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
