package server_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/server"
)

// loupeServer runs combo mode with the config in cfgYAML on loopback
// and returns the API's base URL.
func loupeServer(t *testing.T, cfgYAML string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(dir, "data")
	}
	return startServer(t, cfg, config.ComboMode, 0)
}

// serve serves fixed bodies on loopback, counting requests per path.
type serve struct {
	*httptest.Server
	bodies map[string][]byte
	down   atomic.Bool
}

func newServe(t *testing.T) *serve {
	s := &serve{bodies: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.bodies[r.URL.Path]
		if s.down.Load() || !ok {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *serve) layer(blob []byte) loupe.Layer {
	d := layertest.Digest(blob)
	s.bodies["/blobs/"+d] = blob
	return loupe.Layer{Hash: loupe.MustParseDigest(d), URI: s.URL + "/blobs/" + d}
}

func do(t *testing.T, method, url string, body any) (*http.Response, []byte) {
	t.Helper()
	return doWith(t, nil, method, url, body)
}

// doWith is do with extra request headers.
func doWith(t *testing.T, header http.Header, method, url string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

const tracker = `{
  "util-linux": {"CVE-2024-28085": {"description": "wall escape sequences", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "2.38.1-5+deb12u1", "urgency": "low"},
      "bullseye": {"status": "resolved", "fixed_version": "2.36.1-8+deb11u2", "urgency": "low"}}}},
  "zlib": {"CVE-2023-45853": {"description": "MiniZip integer overflow", "releases": {
      "bookworm": {"status": "open", "urgency": "unimportant"}}}},
  "openssl": {
    "CVE-2023-5678": {"description": "DH checks are slow", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "3.0.13-1~deb12u1", "urgency": "low"}}},
    "CVE-2010-5298": {"description": "not in bookworm", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"}}}},
  "curl": {"CVE-2023-38545": {"description": "SOCKS5 heap overflow", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u4", "urgency": "high"}}}}
}`

// TestEndToEnd indexes a real layer over the API, loads a feed from a
// loopback server, and checks the exact vulnerability report, on the
// embedded database.
func TestEndToEnd(t *testing.T) { endToEnd(t, "") }

// endToEnd runs the end-to-end test with extra configuration.
func endToEnd(t *testing.T, extra string) {
	feed := newServe(t)
	feed.bodies["/tracker.json"] = []byte(tracker)
	api := loupeServer(t, fmt.Sprintf(`
http_listen_addr: 127.0.0.1:0
updaters:
  sets: [debian]
  config:
    debian:
      json_url: %s/tracker.json
`, feed.URL)+extra)

	reg := newServe(t)
	debs := []layertest.Deb{
		{Name: "base-files", Version: "12.4+deb12u5"},
		{Name: "bsdutils", Version: "1:2.38.1-5+b1", Source: "util-linux (2.38.1-5)"},
		{Name: "util-linux", Version: "2.38.1-5+b1", Source: "util-linux (2.38.1-5)"},
		{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"},
		{Name: "libssl3", Version: "3.0.15-1~deb12u1", Source: "openssl"},
		{Name: "curl", Version: "7.88.1-10+deb12u8"},
	}
	l := reg.layer(layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(debs...)),
		layertest.File("usr/share/doc/README", strings.Repeat("filler ", 1000)),
	)))
	m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("e2e"))), Layers: []*loupe.Layer{&l}}

	res, body := do(t, http.MethodPost, api+"/indexer/api/v1/index_report", m)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("index: %s %s", res.Status, body)
	}
	if res.Header.Get("ETag") == "" || res.Header.Get("Location") != "/indexer/api/v1/index_report/"+m.Hash.String() {
		t.Errorf("index headers: %v", res.Header)
	}
	var ir loupe.IndexReport
	if err := json.Unmarshal(body, &ir); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ir.Packages {
		got = append(got, p.Name+"="+p.Version+" src="+p.Source.Name+"="+p.Source.Version)
	}
	slices.Sort(got)
	want := []string{
		"base-files=12.4+deb12u5 src=base-files=12.4+deb12u5",
		"bsdutils=1:2.38.1-5+b1 src=util-linux=2.38.1-5",
		"curl=7.88.1-10+deb12u8 src=curl=7.88.1-10+deb12u8",
		"libssl3=3.0.15-1~deb12u1 src=openssl=3.0.15-1~deb12u1",
		"util-linux=2.38.1-5+b1 src=util-linux=2.38.1-5",
		"zlib1g=1:1.2.13.dfsg-1 src=zlib=1:1.2.13.dfsg-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indexed packages (-want +got):\n%s", diff)
	}
	wantDist := &loupe.Distribution{ID: "1", DID: "debian", Name: "Debian GNU/Linux", Version: "12 (bookworm)",
		VersionCodeName: "bookworm", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}
	if diff := cmp.Diff(map[string]*loupe.Distribution{"1": wantDist}, ir.Distributions); diff != "" {
		t.Errorf("distributions (-want +got):\n%s", diff)
	}

	// The updater runs at start; wait for the data to land (202 until it
	// does).
	var vr loupe.VulnerabilityReport
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, body = do(t, http.MethodGet, api+"/matcher/api/v1/vulnerability_report/"+m.Hash.String(), nil)
		if res.StatusCode == http.StatusOK {
			if err := json.Unmarshal(body, &vr); err != nil {
				t.Fatal(err)
			}
			break
		}
		if res.StatusCode != http.StatusAccepted || time.Now().After(deadline) {
			t.Fatalf("vulnerability report: %s %s", res.Status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.clair.index_report.v1+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var pairs []string
	for pid, vids := range vr.PackageVulnerabilities {
		for _, vid := range vids {
			v := vr.Vulnerabilities[vid]
			pairs = append(pairs, vr.Packages[pid].Name+" "+v.Name+" fixed="+v.FixedInVersion+" "+v.NormalizedSeverity.String())
		}
	}
	slices.Sort(pairs)
	wantPairs := []string{
		// Matched through the source package, on the source version
		// (the binary's epoch and binNMU suffix do not hide it).
		"bsdutils CVE-2024-28085 fixed=2.38.1-5+deb12u1 Low",
		"util-linux CVE-2024-28085 fixed=2.38.1-5+deb12u1 Low",
		// Open: no fix yet.
		"zlib1g CVE-2023-45853 fixed= Negligible",
		// Not listed: libssl3 and curl are past their fixes, openssl's
		// "0" entry never affected bookworm, bullseye's entry is for
		// another release.
	}
	if diff := cmp.Diff(wantPairs, pairs); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}

	// The internal update endpoints see the landed operation.
	res, body = do(t, http.MethodGet, api+"/matcher/api/v1/internal/update_operation?latest=true", nil)
	var ops map[string][]loupe.UpdateOperation
	if err := json.Unmarshal(body, &ops); err != nil || len(ops["debian/updater"]) != 1 {
		t.Fatalf("update_operation: %s %s", res.Status, body)
	}
	res, body = do(t, http.MethodGet, api+"/matcher/api/v1/internal/update_diff?cur="+ops["debian/updater"][0].Ref, nil)
	var diff loupe.UpdateDiff
	if err := json.Unmarshal(body, &diff); err != nil || len(diff.Added) != 5 {
		t.Errorf("update_diff: %s, %d added (want 5): %s", res.Status, len(diff.Added), body)
	}
}

func TestBadInputOverHTTP(t *testing.T) {
	api := loupeServer(t, "http_listen_addr: 127.0.0.1:0\nmatcher:\n  disable_updaters: true\n")
	reg := newServe(t)
	status := layertest.DpkgStatus(layertest.Deb{Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all"})

	res, body := do(t, http.MethodPost, api+"/indexer/api/v1/index_report", []byte(`{"hash": "sha256:`))
	var e struct{ Code, Message string }
	if res.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Code != "bad-request" {
		t.Errorf("malformed manifest: %s %s", res.Status, body)
	}

	good := layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status", status)))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0x55
	cl := reg.layer(corrupt)
	res, body = do(t, http.MethodPost, api+"/indexer/api/v1/index_report",
		loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("corrupt"))), Layers: []*loupe.Layer{&cl}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("corrupt gzip: %s %s", res.Status, body)
	}

	l := reg.layer(good)
	m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte("flaky"))), Layers: []*loupe.Layer{&l}}
	reg.down.Store(true)
	res, body = do(t, http.MethodPost, api+"/indexer/api/v1/index_report", m)
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("unreachable layer: %s %s", res.Status, body)
	}
	res, body = do(t, http.MethodGet, api+"/indexer/api/v1/index_report/"+m.Hash.String(), nil)
	var ir loupe.IndexReport
	if json.Unmarshal(body, &ir) != nil || ir.State != loupe.StateIndexError || ir.Success || ir.Err == "" {
		t.Errorf("stored report after failure: %s %s", res.Status, body)
	}
	res, _ = do(t, http.MethodGet, api+"/matcher/api/v1/vulnerability_report/"+m.Hash.String(), nil)
	if res.StatusCode != http.StatusAccepted {
		t.Errorf("vulnerability report with no data: %s, want 202", res.Status)
	}
	reg.down.Store(false)
	res, body = do(t, http.MethodPost, api+"/indexer/api/v1/index_report", m)
	if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &ir) != nil || len(ir.Packages) != 1 {
		t.Errorf("retry: %s %s", res.Status, body)
	}
}

// TestMinimalConfig: a config of nothing but http_listen_addr runs a
// working combo server on the embedded database under the XDG data
// directory.
func TestMinimalConfig(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("http_listen_addr: 127.0.0.1:0\n"), 0o644)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := config.Validate(cfg, config.ComboMode); err != nil {
		t.Fatal(err)
	}
	cfg.Updaters.Sets = []string{} // no network here
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	iln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{Config: cfg, Mode: config.ComboMode, Listener: ln, IntrospectionListener: iln, Ready: func(net.Addr) { close(ready) }})
	}()
	<-ready
	res, body := do(t, http.MethodGet, "http://"+ln.Addr().String()+"/indexer/api/v1/index_state", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"state"`) {
		t.Errorf("index_state: %s %s", res.Status, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"indexer.db", "matcher.db"} {
		if _, err := os.Stat(filepath.Join(xdg, "loupe", f)); err != nil {
			t.Errorf("embedded database: %v", err)
		}
	}
}

// TestIndexerMode serves only the indexer routes.
func TestIndexerMode(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: dir}
	if _, err := config.Validate(cfg, config.IndexerMode); err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{Config: cfg, Mode: config.IndexerMode, Listener: ln, Ready: func(net.Addr) { close(ready) }})
	}()
	<-ready
	base := "http://" + ln.Addr().String()
	if res, _ := do(t, http.MethodGet, base+"/indexer/api/v1/index_state", nil); res.StatusCode != http.StatusOK {
		t.Errorf("index_state: %s", res.Status)
	}
	if res, _ := do(t, http.MethodGet, base+"/matcher/api/v1/internal/update_operation", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("matcher route in indexer mode: %s, want 404", res.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "matcher.db")); err == nil {
		t.Error("indexer mode created a matcher database")
	}
}
