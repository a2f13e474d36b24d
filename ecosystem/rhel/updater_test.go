package rhel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/updater"
)

// vexServer serves a VEX tree from memory and counts requests.
type vexServer struct {
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	fail  map[string]int // path → status to answer
}

func (s *vexServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/vex/")
	s.hits[p]++
	if code := s.fail[p]; code != 0 {
		w.WriteHeader(code)
		return
	}
	b, ok := s.files[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag := `"` + sha(b)[:16] + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}

func (s *vexServer) set(p string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p] = b
}

func (s *vexServer) count(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

func fetchAndParse(t *testing.T, u *Updater, client *http.Client, prev string) ([]*loupe.Vulnerability, string, error) {
	t.Helper()
	body, fp, err := u.Fetch(context.Background(), client, prev)
	if err != nil {
		return nil, "", err
	}
	defer body.Close()
	vulns, err := u.Parse(context.Background(), body)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return vulns, fp, nil
}

func byName(vulns []*loupe.Vulnerability) map[string][]*loupe.Vulnerability {
	out := map[string][]*loupe.Vulnerability{}
	for _, v := range vulns {
		out[v.Name] = append(out[v.Name], v)
	}
	return out
}

func TestFetch(t *testing.T) {
	const archive = "csaf_vex_2024-06-01.tar.zst"
	doc1006, _ := os.ReadFile("testdata/vex/2024/cve-2024-1006.json")
	doc1003, _ := os.ReadFile("testdata/vex/2024/cve-2024-1003.json")
	newDoc := bytes.ReplaceAll(doc1003, []byte("CVE-2024-1003"), []byte("CVE-2024-1099"))
	srv := &vexServer{hits: map[string]int{}, fail: map[string]int{}, files: map[string][]byte{
		"archive_latest.txt": []byte(archive + "\n"),
		archive:              layertest.Zstd(fixtureTar(t)),
		"changes.csv": []byte(strings.Join([]string{
			`"2024/cve-2024-1006.json","2024-06-02T10:00:00+00:00"`, // changed since the archive
			`"2024/cve-2024-1003.json","2024-05-01T10:00:00+00:00"`, // in the archive already
			`"2024/cve-2024-1099.json","2024-06-03T10:00:00+00:00"`, // new
			`"2024/cve-2024-1098.json","2024-06-03T10:00:00+00:00"`, // gone since
			`"2013/cve-2013-0001.json","2024-06-03T10:00:00+00:00"`, // too old to keep
			`"../../etc/passwd","2024-06-03T10:00:00+00:00"`,        // not a document
			`not csv "`,
		}, "\n") + "\n"),
		"deletions.csv":           []byte(`"2024/cve-2024-1002.json","2024-06-02T00:00:00+00:00"` + "\n"),
		"2024/cve-2024-1006.json": bytes.ReplaceAll(doc1006, []byte("4.9-9.el9_4"), []byte("4.9-10.el9_4")),
		"2024/cve-2024-1099.json": newDoc,
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	u, err := NewUpdater(Config{URL: ts.URL + "/vex", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}

	vulns, fp, err := fetchAndParse(t, u, ts.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := byName(vulns)
	if _, ok := got["CVE-2024-1002"]; ok {
		t.Error("deleted document kept")
	}
	if v := got["CVE-2024-1006"]; len(v) != 1 || v[0].FixedInVersion != "2:4.9-10.el9_4" {
		t.Errorf("changed document not applied: %v", v)
	}
	if len(got["CVE-2024-1099"]) != 1 || len(got["CVE-2024-1003"]) != 1 || len(got["CVE-2024-1001"]) != 3 {
		t.Errorf("documents: %d of 1099, %d of 1003, %d of 1001", len(got["CVE-2024-1099"]), len(got["CVE-2024-1003"]), len(got["CVE-2024-1001"]))
	}
	for _, p := range []string{"2024/cve-2024-1003.json", "2013/cve-2013-0001.json", "../../etc/passwd", "etc/passwd"} {
		if n := srv.count(p); n != 0 {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
	var f fingerprint
	if err := json.Unmarshal([]byte(fp), &f); err != nil || f.Archive != archive || f.Version != parserVersion {
		t.Errorf("fingerprint %s: %v", fp, err)
	}

	// Nothing changed.
	if _, _, err := u.Fetch(context.Background(), ts.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("unchanged feed: %v", err)
	}
	// New changes: the cached archive serves.
	srv.set("changes.csv", append(srv.files["changes.csv"], []byte(`"2024/cve-2024-1005.json","2024-06-04T00:00:00+00:00"`+"\n")...))
	srv.set("2024/cve-2024-1005.json", []byte("{broken"))
	vulns, fp2, err := fetchAndParse(t, u, ts.Client(), fp)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.count(archive); n != 1 {
		t.Errorf("archive downloaded %d times", n)
	}
	if _, ok := byName(vulns)["CVE-2024-1005"]; ok {
		t.Error("the broken changed document did not replace the archive's copy")
	}
	// Other options parse differently: not unchanged.
	u2, _ := NewUpdater(Config{URL: ts.URL + "/vex", CacheDir: u.cfg.CacheDir, IgnoreKernelPackages: true})
	if body, _, err := u2.Fetch(context.Background(), ts.Client(), fp2); err != nil {
		t.Errorf("options changed: %v", err)
	} else {
		body.Close()
	}

	// A new archive replaces the old one in the cache.
	const archive2 = "csaf_vex_2024-06-08.tar.zst"
	srv.set("archive_latest.txt", []byte(archive2))
	srv.set(archive2, layertest.Gzip(fixtureTar(t)))
	if _, _, err := fetchAndParse(t, u, ts.Client(), fp2); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(u.cfg.CacheDir, "*"))
	if len(files) != 1 || filepath.Base(files[0]) != archive2 {
		t.Errorf("cache holds %q", files)
	}

	// Failures fail the run.
	srv.set("changes.csv", append(srv.files["changes.csv"], []byte(`"2024/cve-2024-1099.json","2024-06-09T00:00:00+00:00"`+"\n")...))
	for p, code := range map[string]int{"2024/cve-2024-1099.json": 500, "changes.csv": 503, archive2: 404} {
		srv.mu.Lock()
		srv.fail = map[string]int{p: code}
		srv.mu.Unlock()
		if p == archive2 {
			os.RemoveAll(u.cfg.CacheDir)
		}
		if body, _, err := u.Fetch(context.Background(), ts.Client(), ""); err == nil {
			body.Close()
			t.Errorf("%s answering %d: no error", p, code)
		}
	}
	srv.fail = map[string]int{}
	srv.set("archive_latest.txt", []byte("../../../../etc/shadow"))
	if _, _, err := u.Fetch(context.Background(), ts.Client(), ""); err == nil {
		t.Error("archive_latest.txt naming a path accepted")
	}
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	const archive = "csaf_vex_2024-06-01.tar.zst"
	for name, b := range map[string][]byte{
		"archive_latest.txt": []byte(archive),
		archive:              layertest.Zstd(fixtureTar(t)),
		"changes.csv":        nil,
		"deletions.csv":      nil,
	} {
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	u, err := NewUpdater(Config{URL: "file://" + dir, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	vulns, _, err := fetchAndParse(t, u, nil, "")
	if err != nil || len(vulns) != len(fixtureVulns(t)) {
		t.Errorf("file tree: %d vulnerabilities, %v", len(vulns), err)
	}
}

func TestConfigure(t *testing.T) {
	u := &Updater{}
	decode := func(s string) func(any) error {
		return func(v any) error { return json.Unmarshal([]byte(s), v) }
	}
	if err := u.Configure(decode(`{"url": "https://mirror.example/vex", "compressed_file_timeout": "5m", "ignore_kernel_packages": true, "fixed_in_version_cel": "x"}`)); err != nil {
		t.Fatal(err)
	}
	if u.cfg.URL != "https://mirror.example/vex/" || u.cfg.CompressedFileTimeout != duration(5*60e9) || !u.cfg.IgnoreKernelPackages || u.minYear() != DefaultMinYear {
		t.Errorf("config %+v", u.cfg)
	}
	if err := u.Configure(decode(`{"compressed_file_timeout": 1000}`)); err != nil || u.cfg.CompressedFileTimeout != 1000 || u.cfg.URL != DefaultVEXURL {
		t.Errorf("config %+v, %v", u.cfg, err)
	}
	for _, bad := range []string{`{"url": "ftp://x/"}`, `{"url": "://"}`, `{"compressed_file_timeout": "soon"}`} {
		if err := u.Configure(decode(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if s := UpdaterSet(); s.Name != "rhel-vex" || len(s.Updaters) != 1 || s.Updaters[0].Name() != "rhel-vex" {
		t.Errorf("set %+v", s)
	}
}

var _ io.Closer = (*bundleBody)(nil)
