package ubuntu

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/loupe-dev/loupe/updater"
)

func TestUpdaterSet(t *testing.T) {
	s := UpdaterSet()
	if s.Name != "ubuntu" || len(s.Updaters) != 1 || s.Updaters[0].Name() != "ubuntu/updater" {
		t.Fatalf("UpdaterSet = %+v", s)
	}
	if u := s.Updaters[0].(*Updater); u.URL() != DefaultOSVURL {
		t.Errorf("default URL = %q", u.URL())
	}
}

func TestConfigure(t *testing.T) {
	configure := func(raw string) (*Updater, error) {
		u := &Updater{}
		cfg := map[string]json.RawMessage{}
		if raw != "" {
			cfg["ubuntu"] = json.RawMessage(raw)
		}
		return u, u.Configure(updater.ConfigDecoder(cfg, SetName, UpdaterName))
	}
	u, err := configure("")
	if err != nil || u.URL() != DefaultOSVURL || u.releaseFilter() != nil {
		t.Errorf("no config: %q, %v, %v", u.URL(), u.releaseFilter(), err)
	}
	// Clair's keys for its OVAL updaters are accepted and change nothing.
	u, err = configure(`{"url": "https://api.launchpad.net/1.0/", "name": "ubuntu", "force": [{"name": "noble", "version": "24.04"}]}`)
	if err != nil || u.URL() != DefaultOSVURL {
		t.Errorf("Clair's keys: %q, %v", u.URL(), err)
	}
	u, err = configure(`{"osv_url": "file:///srv/mirror/ubuntu-osv.zip", "releases": ["Noble", " 22.04 ", ""]}`)
	if err != nil || u.URL() != "file:///srv/mirror/ubuntu-osv.zip" {
		t.Errorf("osv_url: %q, %v", u.URL(), err)
	}
	if f := u.releaseFilter(); !f["noble"] || !f["22.04"] || !f["jammy"] || len(f) != 3 {
		t.Errorf("release filter = %v", f)
	}
	for _, bad := range []string{`{"osv_url": "ftp://example.com/x.zip"}`, `{"osv_url": "::"}`, `{"releases": "jammy"}`, `[]`} {
		if _, err := configure(bad); err == nil {
			t.Errorf("config %s accepted", bad)
		}
	}
}

// TestFetchParse fetches the fixtures from a real HTTP server, as an
// updater run does, then again with the fingerprint.
func TestFetchParse(t *testing.T) {
	body := zipOf(t, fixtureFiles(t))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Ubuntu/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	u := &Updater{}
	if err := u.Configure(func(v any) error {
		return json.Unmarshal([]byte(`{"osv_url": "`+srv.URL+`/Ubuntu/all.zip"}`), v)
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rc, fp, err := u.Fetch(ctx, srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := u.Parse(ctx, rc)
	rc.Close()
	if err != nil || len(vulns) != len(fixtureWant) {
		t.Fatalf("Parse = %d vulnerabilities, %v", len(vulns), err)
	}
	if _, _, err := u.Fetch(ctx, srv.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second Fetch: %v, want ErrUnchanged", err)
	}

	// A file URL, as for an air-gapped mirror.
	p := filepath.Join(t.TempDir(), "ubuntu.tar.gz")
	if err := os.WriteFile(p, gzipOf(tarOf(t, fixtureFiles(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	u.url = "file://" + p
	rc, _, err = u.Fetch(ctx, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if vulns, err := u.Parse(ctx, rc); err != nil || len(vulns) != len(fixtureWant) {
		t.Errorf("file URL: %d vulnerabilities, %v", len(vulns), err)
	}
}
