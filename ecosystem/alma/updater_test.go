package alma

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

func configure(t *testing.T, u *Updater, cfg string) {
	t.Helper()
	if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(cfg), v) }); err != nil {
		t.Fatal(err)
	}
}

func TestUpdaterSet(t *testing.T) {
	s := UpdaterSet()
	var names []string
	for _, u := range s.Updaters {
		names = append(names, u.Name())
	}
	if s.Name != "alma" || len(names) != 3 || names[0] != "alma-8-updater" || names[1] != "alma-9-updater" || names[2] != "alma-10-updater" {
		t.Fatalf("set %q: %q", s.Name, names)
	}
	u := s.Updaters[1].(*Updater)
	if err := u.Configure(updater.ConfigDecoder(nil, s.Name, u.Name())); err != nil {
		t.Fatal(err)
	}
	if u.URL() != "https://errata.almalinux.org/9/errata.full.json" || !u.Enabled() {
		t.Errorf("unconfigured: %q, enabled %v", u.URL(), u.Enabled())
	}
	configure(t, u, `{"url":"https://mirror.example/alma","releases":["8"]}`)
	if u.URL() != "https://mirror.example/alma/9/errata.full.json" || u.Enabled() {
		t.Errorf("configured: %q, enabled %v", u.URL(), u.Enabled())
	}
	if _, _, err := u.Fetch(context.Background(), http.DefaultClient, ""); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("disabled updater: Fetch error %v, want ErrUnchanged", err)
	}
	if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(`{"url":"gopher://x"}`), v) }); err == nil {
		t.Error("gopher url accepted")
	}
}

func TestFetch(t *testing.T) {
	doc := fixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/9/errata.full.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(doc)
	}))
	defer srv.Close()
	u := NewUpdater("9")
	configure(t, u, `{"url":"`+srv.URL+`/"}`)
	body, fp, err := u.Fetch(context.Background(), srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := u.Parse(context.Background(), body)
	body.Close()
	if err != nil || len(vulns) != 12 {
		t.Fatalf("%d vulnerabilities, error %v", len(vulns), err)
	}
	if _, _, err := u.Fetch(context.Background(), srv.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("unchanged: error %v", err)
	}
	// Another parser version's fingerprint fetches again.
	if body, _, err := u.Fetch(context.Background(), srv.Client(), "0:"+fp[2:]); err != nil {
		t.Errorf("old parser's fingerprint: error %v", err)
	} else {
		body.Close()
	}
	u8 := NewUpdater("8")
	configure(t, u8, `{"url":"`+srv.URL+`"}`)
	if _, _, err := u8.Fetch(context.Background(), srv.Client(), ""); err == nil {
		t.Error("missing document: no error")
	}
}

func TestFetchFile(t *testing.T) {
	p, err := filepath.Abs(filepath.Join(t.TempDir(), "alma9.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, fixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	u := NewUpdater("9")
	configure(t, u, `{"url":"file://`+p+`"}`)
	body, _, err := u.Fetch(context.Background(), http.DefaultClient, "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if vulns, err := u.Parse(context.Background(), body); err != nil || len(vulns) != 12 {
		t.Errorf("%d vulnerabilities, error %v", len(vulns), err)
	}
}
