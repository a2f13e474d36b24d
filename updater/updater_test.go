package updater_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/store/sqlite"
	"github.com/loupe-dev/loupe/updater"
)

// feed serves a document with an ETag and Last-Modified, honouring
// conditional requests, and counts full responses.
type feed struct {
	*httptest.Server
	mu     sync.Mutex
	body   string
	etag   string
	status int
	full   atomic.Int32
}

func newFeed(t *testing.T, body string) *feed {
	f := &feed{body: body, etag: `"v1"`}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.status != 0 {
			http.Error(w, "feed broken", f.status)
			return
		}
		w.Header().Set("ETag", f.etag)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		if r.Header.Get("If-None-Match") == f.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		f.full.Add(1)
		io.WriteString(w, f.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feed) set(body, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.etag = body, etag
}

func (f *feed) fail(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = status
}

func TestFetchURL(t *testing.T) {
	ctx := context.Background()
	f := newFeed(t, "hello")
	body, fp, err := updater.FetchURL(ctx, http.DefaultClient, f.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "hello" {
		t.Errorf("body = %q", b)
	}
	got := updater.ParseFingerprint(fp)
	if got.ETag != `"v1"` || got.LastModified == "" || got.SHA256 == "" {
		t.Errorf("fingerprint = %+v", got)
	}
	// Conditional: the server says 304.
	if _, _, err := updater.FetchURL(ctx, http.DefaultClient, f.URL, fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second fetch: err = %v, want ErrUnchanged", err)
	}
	// New validators, same bytes: unchanged by content hash.
	f.set("hello", `"v2"`)
	if _, _, err := updater.FetchURL(ctx, http.DefaultClient, f.URL, fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("same content: err = %v, want ErrUnchanged", err)
	}
	f.set("hello again", `"v3"`)
	body, fp2, err := updater.FetchURL(ctx, http.DefaultClient, f.URL, fp)
	if err != nil || fp2 == fp {
		t.Fatalf("changed content: fp %q, err %v", fp2, err)
	}
	body.Close()
	f.fail(http.StatusInternalServerError)
	if _, _, err := updater.FetchURL(ctx, http.DefaultClient, f.URL, fp2); err == nil || errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("server error: err = %v", err)
	}
	// file:// URLs, and refusals.
	path := filepath.Join(t.TempDir(), "feed.json")
	os.WriteFile(path, []byte("{}"), 0o644)
	body, fp, err = updater.FetchURL(ctx, http.DefaultClient, "file://"+path, "")
	if err != nil {
		t.Fatal(err)
	}
	body.Close()
	if _, _, err := updater.FetchURL(ctx, http.DefaultClient, "file://"+path, fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("file unchanged: err = %v", err)
	}
	for _, u := range []string{"ftp://example.com/x", "file:///nonexistent/feed", "://bad"} {
		if _, _, err := updater.FetchURL(ctx, http.DefaultClient, u, ""); err == nil {
			t.Errorf("FetchURL(%q) succeeded", u)
		}
	}
}

func trackerJSON(entries map[string]string) string {
	var parts []string
	for src, fixed := range entries {
		status := "resolved"
		if fixed == "" {
			status = "open"
		}
		parts = append(parts, fmt.Sprintf(`%q: {"CVE-2024-%04d": {"description": "flaw in %s", "releases": {"bookworm": {"status": %q, "fixed_version": %q, "urgency": "medium"}}}}`,
			src, len(src), src, status, fixed))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestManager(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.OpenMatcher(ctx, filepath.Join(t.TempDir(), "matcher.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f := newFeed(t, trackerJSON(map[string]string{"openssl": "3.0.13-1~deb12u1", "zlib": ""}))
	var landed [][]*loupe.UpdateOperation
	mgr, err := updater.NewManager(updater.Options{
		Store:     store,
		Sets:      []updater.Set{debian.UpdaterSet()},
		Config:    map[string]json.RawMessage{"debian": json.RawMessage(fmt.Sprintf(`{"json_url": %q, "mirror_url": "http://unused"}`, f.URL))},
		Retention: 2,
		Landed:    func(_ context.Context, ops []*loupe.UpdateOperation) { landed = append(landed, ops) },
	})
	if err != nil {
		t.Fatal(err)
	}
	live := func() int {
		vs, err := store.Vulnerabilities(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}

	// First run lands the feed.
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(landed) != 1 || len(landed[0]) != 1 || landed[0][0].Updater != debian.UpdaterName {
		t.Fatalf("landed = %v", landed)
	}
	if n := live(); n != 2 {
		t.Errorf("%d live vulnerabilities, want 2", n)
	}
	// Unchanged feed: no fetch of the body, no operation.
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(landed) != 1 || f.full.Load() != 1 {
		t.Errorf("unchanged feed: %d landings, %d full fetches", len(landed), f.full.Load())
	}
	// A broken feed keeps the last good data.
	f.set("{this is not json", `"broken"`)
	if err := mgr.RunOnce(ctx); err == nil {
		t.Error("broken feed: RunOnce succeeded")
	}
	f.fail(http.StatusBadGateway)
	if err := mgr.RunOnce(ctx); err == nil {
		t.Error("feed down: RunOnce succeeded")
	}
	if n := live(); n != 2 || len(landed) != 1 {
		t.Errorf("after failures: %d live, %d landings; want the previous 2 and 1", n, len(landed))
	}
	// A changed feed lands a second operation with the change.
	f.fail(0)
	f.set(trackerJSON(map[string]string{"openssl": "3.0.13-1~deb12u1", "zlib": "1:1.2.13.dfsg-1+deb12u1", "curl": ""}), `"v3"`)
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(landed) != 2 || live() != 3 {
		t.Fatalf("changed feed: %d landings, %d live", len(landed), live())
	}
	diff, err := store.UpdateDiff(ctx, landed[0][0].Ref, landed[1][0].Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(diff.Added) != 2 || len(diff.Removed) != 1 {
		t.Errorf("diff: %d added, %d removed; want 2 and 1", len(diff.Added), len(diff.Removed))
	}
	// Retention 2: a third change collects the first operation.
	f.set(trackerJSON(map[string]string{"curl": ""}), `"v4"`)
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	ops, err := store.UpdateOperations(ctx, loupe.VulnerabilityUpdate, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ops[debian.UpdaterName]); n != 2 {
		t.Errorf("%d operations kept, want 2", n)
	}
}

// gauge is an updater whose Fetch and Parse record how many of its kind
// are in them at once.
type gauge struct {
	name              string
	fetching, parsing *inFlight
}

type inFlight struct {
	mu       sync.Mutex
	now, max int
}

func (f *inFlight) enter() {
	f.mu.Lock()
	f.now++
	f.max = max(f.max, f.now)
	f.mu.Unlock()
}

func (f *inFlight) leave() {
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
}

func (g *gauge) Name() string { return g.name }

func (g *gauge) Fetch(context.Context, *http.Client, string) (io.ReadCloser, string, error) {
	g.fetching.enter()
	defer g.fetching.leave()
	time.Sleep(20 * time.Millisecond)
	return io.NopCloser(strings.NewReader("")), "fp", nil
}

func (g *gauge) Parse(context.Context, io.Reader) ([]*loupe.Vulnerability, error) {
	g.parsing.enter()
	defer g.parsing.leave()
	time.Sleep(20 * time.Millisecond)
	return []*loupe.Vulnerability{{Updater: g.name, Name: "CVE-2024-0001", Package: &loupe.Package{Name: "p"}}}, nil
}

// TestParseConcurrency: feeds are fetched several at a time, but parsed
// and stored at most ParseConcurrency at a time, which bounds a run's
// memory.
func TestParseConcurrency(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.OpenMatcher(ctx, filepath.Join(t.TempDir(), "matcher.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fetching, parsing := &inFlight{}, &inFlight{}
	set := updater.Set{Name: "gauges"}
	for i := range 8 {
		set.Updaters = append(set.Updaters, &gauge{name: fmt.Sprintf("gauge-%d", i), fetching: fetching, parsing: parsing})
	}
	mgr, err := updater.NewManager(updater.Options{Store: store, Sets: []updater.Set{set}, ParseConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := mgr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if fetching.max < 3 {
		t.Errorf("at most %d fetches at once, want several", fetching.max)
	}
	if parsing.max != 2 {
		t.Errorf("at most %d parses at once, want 2", parsing.max)
	}
	vs, err := store.Vulnerabilities(ctx)
	if err != nil || len(vs) != 8 {
		t.Errorf("%d vulnerabilities stored (%v), want 8", len(vs), err)
	}
}
