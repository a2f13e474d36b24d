package clustertest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/clustertest"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/pgtest"
)

func TestMain(m *testing.M) {
	defer clustertest.Cleanup()
	pgtest.Main(m)
}

const (
	feedBefore = `{"zlib": {"CVE-2023-45853": {"description": "MiniZip integer overflow", "releases": {
  "bookworm": {"status": "open", "urgency": "unimportant"}}}}}`
	feedAfter = `{"curl": {"CVE-2024-2398": {"description": "HTTP/2 push headers memory leak", "releases": {
  "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u9", "urgency": "medium"}}}}}`
)

// files serves a layer and a feed the test can change.
type files struct {
	*httptest.Server
	layer []byte
	feed  atomic.Pointer[string]
}

func newFiles(t *testing.T) *files {
	f := &files{layer: layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
			layertest.Deb{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"},
			layertest.Deb{Name: "curl", Version: "7.88.1-10+deb12u8"},
		)),
	))}
	doc := feedBefore
	f.feed.Store(&doc)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/layer":
			w.Write(f.layer)
		case "/tracker.json":
			io.WriteString(w, *f.feed.Load())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// hook is the notifier's webhook target.
func hook(t *testing.T) (*httptest.Server, <-chan loupe.Callback) {
	calls := make(chan loupe.Callback, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb loupe.Callback
		if err := json.NewDecoder(r.Body).Decode(&cb); err != nil || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		calls <- cb
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

// vulns returns the names of the vulnerabilities a report lists.
func vulns(t *testing.T, body []byte) []string {
	t.Helper()
	var vr loupe.VulnerabilityReport
	if err := json.Unmarshal(body, &vr); err != nil {
		t.Fatalf("vulnerability report: %v: %s", err, body)
	}
	var names []string
	for _, v := range vr.Vulnerabilities {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	return names
}

// TestBehindNginx runs the three services as three processes on three
// databases behind nginx, with PSK authentication, and uses them as a
// client would: through the balancer only.
func TestBehindNginx(t *testing.T) {
	f := newFiles(t)
	target, calls := hook(t)
	c := clustertest.Start(t, clustertest.Options{FeedURL: f.URL + "/tracker.json", Webhook: target.URL})
	ctx := t.Context()

	// No token, no service.
	for _, path := range []string{
		"/indexer/api/v1/index_state",
		"/matcher/api/v1/vulnerability_report/" + layertest.Digest([]byte("x")),
		"/notifier/api/v1/notification/01a200c8-5cbe-7df4-9275-43abe0046575",
	} {
		res, err := http.Get(c.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("unsigned GET %s: %s, want 401", path, res.Status)
		}
	}

	m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(t.Name()))),
		Layers: []*loupe.Layer{{Hash: loupe.MustParseDigest(layertest.Digest(f.layer)), URI: f.URL + "/layer"}}}
	body, _ := json.Marshal(m)
	if status, b, err := c.Do(ctx, http.MethodPost, "/indexer/api/v1/index_report", body); err != nil || status != http.StatusCreated {
		t.Fatalf("index through nginx: %d %s %v", status, b, err)
	}
	report := "/matcher/api/v1/vulnerability_report/" + m.Hash.String()
	waitReport := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, b, err := c.Do(ctx, http.MethodGet, report, nil)
			if err == nil && status == http.StatusOK && slices.Equal(vulns(t, b), want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("vulnerability report through nginx: %d %s %v; want %v", status, b, err, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitReport("CVE-2023-45853")

	// The matcher dies: the balancer says so (502 while nothing listens,
	// 503 while it starts), the indexer carries on, and once the matcher
	// is back its reports are as before: nothing was lost.
	c.Kill("matcher")
	status, b, err := c.Do(ctx, http.MethodGet, report, nil)
	if err != nil || (status != http.StatusBadGateway && status != http.StatusServiceUnavailable) {
		t.Errorf("vulnerability report with the matcher dead: %d %s %v; want 502 or 503", status, b, err)
	}
	if status, b, err := c.Do(ctx, http.MethodGet, "/indexer/api/v1/index_report/"+m.Hash.String(), nil); err != nil || status != http.StatusOK {
		t.Errorf("index report with the matcher dead: %d %s %v", status, b, err)
	}
	c.Restart("matcher")
	waitReport("CVE-2023-45853")

	// A feed update reaches the subscriber, who reads the notification
	// through the balancer and acknowledges it.
	after := feedAfter
	f.feed.Store(&after)
	var cb loupe.Callback
	select {
	case cb = <-calls:
	case <-time.After(60 * time.Second):
		t.Fatal("no webhook callback within 60s of the feed update")
	}
	if !strings.HasPrefix(cb.Callback, c.URL+"/notifier/api/v1/notification/") {
		t.Errorf("callback %q is not behind the balancer %s", cb.Callback, c.URL)
	}
	path := strings.TrimPrefix(cb.Callback, c.URL)
	status, b, err = c.Do(ctx, http.MethodGet, path, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("notification page: %d %s %v", status, b, err)
	}
	var page loupe.NotificationPage
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range page.Notifications {
		got = append(got, fmt.Sprintf("%s %s %s", n.Manifest, n.Reason, n.Vulnerability.Name))
	}
	// Summary mode: the manifest's most severe change, an addition.
	if want := []string{m.Hash.String() + " added CVE-2024-2398"}; !slices.Equal(got, want) {
		t.Errorf("notifications %q, want %q", got, want)
	}
	if status, b, err := c.Do(ctx, http.MethodDelete, path, nil); err != nil || status != http.StatusOK {
		t.Errorf("acknowledging: %d %s %v", status, b, err)
	}
	waitReport("CVE-2024-2398")

	// Each process reports its own work on its metrics.
	for mode, want := range map[string][]string{
		"indexer":  {`route="/indexer/api/v1/index_report"`, "loupe_indexer_layers_scanned_total 1", `loupe_db_pool_total_connections{service="indexer"}`},
		"matcher":  {`route="/matcher/api/v1/vulnerability_report/{digest}"`, "loupe_matcher_index_vulnerabilities 1", `loupe_updater_runs_total{outcome="changed",updater="debian/updater"}`},
		"notifier": {`route="/notifier/api/v1/notification/{id}"`, "loupe_notifier_sets_delivered_total 1", "loupe_notifier_notifications_delivered_total 1"},
	} {
		res, err := http.Get(c.Process(mode).Introspection + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s metrics lack %s", mode, w)
			}
		}
	}
}
