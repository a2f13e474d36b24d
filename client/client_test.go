package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/client"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/servertest"
	"github.com/loupe-dev/loupe/store"
)

var psk = []byte("a shared key of thirty-two bytes")

const tracker = `{
  "zlib": {"CVE-2023-45853": {"description": "MiniZip integer overflow", "releases": {
      "bookworm": {"status": "open", "urgency": "unimportant"}}}},
  "curl": {"CVE-2024-2398": {"description": "HTTP/2 push headers memory leak", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u9", "urgency": "medium"}}}}
}`

// counting counts the requests a client sends, by status answered.
type counting struct {
	next   http.RoundTripper
	status [600]atomic.Int32
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err == nil {
		c.status[res.StatusCode].Add(1)
	}
	return res, err
}

// startLoupe runs a combo-mode Loupe with PSK authentication on loopback,
// serving the Debian feed and a layer, and returns its base URL and an
// image that has the layer.
func startLoupe(t *testing.T) (string, *loupe.Manifest) {
	t.Helper()
	dir := t.TempDir()
	blob := layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
			layertest.Deb{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"},
			layertest.Deb{Name: "curl", Version: "7.88.1-10+deb12u8"},
		)),
	))
	for name, body := range map[string][]byte{"layer": blob, "tracker.json": []byte(tracker)} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)

	running := servertest.Start(t, config.ComboMode, fmt.Sprintf(`
http_listen_addr: 127.0.0.1:0
data_dir: %s
auth:
  psk:
    key: %s
    iss: [quay]
updaters:
  sets: [debian]
  config:
    debian: {json_url: %q}
`, t.TempDir(), base64.StdEncoding.EncodeToString(psk), srv.URL+"/tracker.json"))
	d := layertest.Digest(blob)
	m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(t.Name()))),
		Layers: []*loupe.Layer{{Hash: loupe.MustParseDigest(d), URI: srv.URL + "/layer"}}}
	return running.API + "/some/path/replaced", m
}

// TestAgainstLoupe drives every client call against a real Loupe, signed.
func TestAgainstLoupe(t *testing.T) {
	addr, m := startLoupe(t)
	tr := &counting{next: http.DefaultTransport}
	opts := client.Options{HTTP: &http.Client{Transport: tr}, PSK: psk, UserAgent: "client-test"}
	ix, err := client.NewIndexer(addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := client.NewMatcher(addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	ir, err := ix.Index(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if ir.Hash != m.Hash || !ir.Success || len(ir.Packages) != 2 {
		t.Fatalf("index report: %+v", ir)
	}
	got, err := ix.Report(ctx, m.Hash)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(ir)
	b, _ := json.Marshal(got)
	if diff := cmp.Diff(string(a), string(b)); diff != "" {
		t.Errorf("Report differs from Index (-index +report):\n%s", diff)
	}
	state, err := ix.State(ctx)
	if err != nil || state == "" {
		t.Errorf("State: %q, %v", state, err)
	}

	// The updater runs at start; wait for the data.
	var vr *loupe.VulnerabilityReport
	for deadline := time.Now().Add(20 * time.Second); ; {
		vr, err = mt.VulnerabilityReport(ctx, m.Hash)
		var e *client.Error
		if err == nil {
			break
		}
		if !errors.As(err, &e) || e.Status != http.StatusAccepted || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var names []string
	for _, v := range vr.Vulnerabilities {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"CVE-2023-45853", "CVE-2024-2398"}, names); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}

	ops, err := mt.UpdateOperations(ctx, loupe.VulnerabilityUpdate, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops["debian/updater"]) != 1 {
		t.Fatalf("update operations: %+v", ops)
	}
	// Polled again, unchanged: a 304, and the same answer.
	again, err := mt.UpdateOperations(ctx, loupe.VulnerabilityUpdate, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ops, again, cmp.Comparer(func(a, b loupe.Digest) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("revalidated operations differ:\n%s", diff)
	}
	if n := tr.status[http.StatusNotModified].Load(); n != 1 {
		t.Errorf("%d answers 304, want 1", n)
	}
	ref := ops["debian/updater"][0].Ref
	diff, err := mt.UpdateDiff(ctx, "", ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(diff.Added) != 2 || len(diff.Removed) != 0 {
		t.Errorf("diff: %d added, %d removed; want 2, 0", len(diff.Added), len(diff.Removed))
	}

	am, err := ix.AffectedManifests(ctx, diff.Added)
	if err != nil {
		t.Fatal(err)
	}
	if ids := am.VulnerableManifests[m.Hash.String()]; len(ids) != 2 || len(am.VulnerableManifests) != 1 {
		t.Errorf("affected manifests: %+v", am.VulnerableManifests)
	}

	deleted, err := ix.Delete(ctx, m.Hash)
	if err != nil || len(deleted) != 1 || deleted[0] != m.Hash {
		t.Errorf("Delete: %v, %v", deleted, err)
	}
	if _, err := ix.Report(ctx, m.Hash); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Report after Delete: %v, want ErrNotFound", err)
	}

	// Unsigned, or signed with another key: 401.
	for name, key := range map[string][]byte{"unsigned": nil, "wrong key": []byte("another key")} {
		bad, err := client.NewIndexer(addr, client.Options{PSK: key})
		if err != nil {
			t.Fatal(err)
		}
		var e *client.Error
		if _, err := bad.State(ctx); !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
			t.Errorf("%s: %v, want a 401 *Error", name, err)
		}
	}
}

// TestReportCache checks that a cached report is revalidated, reused on
// a 304, and dropped once the manifest is deleted.
func TestReportCache(t *testing.T) {
	addr, m := startLoupe(t)
	tr := &counting{next: http.DefaultTransport}
	ix, err := client.NewIndexer(addr, client.Options{HTTP: &http.Client{Transport: tr}, PSK: psk, ReportCache: 8})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := ix.Index(ctx, m); err != nil {
		t.Fatal(err)
	}
	first, err := ix.Report(ctx, m.Hash)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ix.Report(ctx, m.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if again != first || tr.status[http.StatusNotModified].Load() != 1 {
		t.Errorf("second Report: same report %v, %d answers 304; want the cached one, after one 304", again == first, tr.status[http.StatusNotModified].Load())
	}
	if _, err := ix.Delete(ctx, m.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Report(ctx, m.Hash); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Report of a deleted manifest with a cached report: %v, want ErrNotFound", err)
	}
}

// TestErrors checks how answers become errors.
func TestErrors(t *testing.T) {
	var status atomic.Int32
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, body.Load().(string))
	}))
	defer srv.Close()
	ix, err := client.NewIndexer(srv.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := loupe.MustParseDigest("sha256:" + strings.Repeat("a", 64))
	for _, c := range []struct {
		status                int
		body                  string
		notFound, unavailable bool
		msg                   string
	}{
		{404, `{"code":"not-found","message":"index report not found"}`, true, false, "404 Not Found: not-found: index report not found"},
		{503, `{"code":"service-unavailable","message":"database unavailable"}`, false, true, "503 Service Unavailable"},
		{502, `<html>Bad Gateway</html>`, false, true, "502 Bad Gateway: <html>Bad Gateway</html>"},
		{504, ``, false, true, "504 Gateway Timeout"},
		{500, `{"code":"internal-error","message":"boom"}`, false, false, "internal-error: boom"},
		{200, `{"manifest_hash": 42`, false, false, "decoding the answer"},
	} {
		status.Store(int32(c.status))
		body.Store(c.body)
		_, err := ix.Report(t.Context(), d)
		if err == nil {
			t.Errorf("%d %s: no error", c.status, c.body)
			continue
		}
		if errors.Is(err, client.ErrNotFound) != c.notFound || errors.Is(err, store.ErrUnavailable) != c.unavailable {
			t.Errorf("%d: %v: not found %v, unavailable %v", c.status, err, errors.Is(err, client.ErrNotFound), errors.Is(err, store.ErrUnavailable))
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%d: error %q does not contain %q", c.status, err, c.msg)
		}
	}

	// Nothing listening: unavailable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	down, err := client.NewMatcher(closed, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.UpdateDiff(t.Context(), "", "x"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("unreachable matcher: %v, want store.ErrUnavailable", err)
	}
	// A cancelled request is not "unavailable".
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := ix.Report(ctx, d); !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("cancelled: %v", err)
	}

	for _, bad := range []string{"", "indexer:6060", "ftp://indexer/", "http://", "http://[::1"} {
		if _, err := client.NewIndexer(bad, client.Options{}); err == nil {
			t.Errorf("NewIndexer(%q): no error", bad)
		}
	}
}
