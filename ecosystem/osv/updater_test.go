package osv

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
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/updater"
)

func TestUpdaterSet(t *testing.T) {
	s := UpdaterSet()
	if s.Name != "osv" {
		t.Errorf("got set name %q, want %q", s.Name, "osv")
	}
	var got []string
	for _, u := range s.Updaters {
		got = append(got, u.Name()+" "+u.(*Updater).URL())
	}
	const b = "https://osv-vulnerabilities.storage.googleapis.com/"
	want := []string{
		"osv/go " + b + "Go/all.zip",
		"osv/pypi " + b + "PyPI/all.zip",
		"osv/crates.io " + b + "crates.io/all.zip",
		"osv/rubygems " + b + "RubyGems/all.zip",
		"osv/npm " + b + "npm/all.zip",
		"osv/maven " + b + "Maven/all.zip",
		"osv/nuget " + b + "NuGet/all.zip",
		"osv/packagist " + b + "Packagist/all.zip",
		"osv/hex " + b + "Hex/all.zip",
		"osv/pub " + b + "Pub/all.zip",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("updaters (-want +got):\n%s", diff)
	}
}

// configure configures every updater of a new set with config, the
// value of updaters.config, as the manager does.
func configure(t *testing.T, config string) ([]*Updater, error) {
	t.Helper()
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		t.Fatal(err)
	}
	var us []*Updater
	for _, u := range UpdaterSet().Updaters {
		u := u.(*Updater)
		if err := u.Configure(updater.ConfigDecoder(cfg, SetName, u.Name())); err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, nil
}

func TestConfigure(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		// want lists "name url enabled" for the updaters checked.
		want []string
	}{
		{"none", `{}`, []string{
			"osv/go https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip true",
			"osv/pypi https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip true",
		}},
		{"url without slash", `{"osv": {"url": "https://mirror.example/osv"}}`, []string{
			"osv/go https://mirror.example/osv/Go/all.zip true",
			"osv/pypi https://mirror.example/osv/PyPI/all.zip true",
		}},
		{"allowlist ignores case", `{"osv": {"allowlist": ["PYPI", "crates.IO"]}}`, []string{
			"osv/go https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip false",
			"osv/pypi https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip true",
			"osv/crates.io https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip true",
		}},
		{"url with a query", `{"osv": {"url": "https://mirror.example/osv/?sig=a%2Fb"}}`, []string{
			"osv/go https://mirror.example/osv/Go/all.zip?sig=a%2Fb true",
		}},
		{"per updater", `{"osv": {"url": "file:///srv/osv/"}, "osv/go": {"url": "http://go.example/vulns.zip"}}`, []string{
			"osv/go http://go.example/vulns.zip true",
			"osv/pypi file:///srv/osv/PyPI/all.zip true",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, err := configure(t, tc.config)
			if err != nil {
				t.Fatal(err)
			}
			byName := make(map[string]*Updater)
			for _, u := range us {
				byName[u.Name()] = u
			}
			var got []string
			for _, w := range tc.want {
				name, _, _ := strings.Cut(w, " ")
				u := byName[name]
				got = append(got, strings.Join([]string{u.Name(), u.URL(), boolString(u.Enabled())}, " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("configured (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{
		`{"osv": {"url": "ftp://example/"}}`,
		`{"osv": {"url": "://nope"}}`,
		`{"osv": {"allowlist": "go"}}`,
	} {
		if _, err := configure(t, bad); err == nil {
			t.Errorf("Configure(%s) succeeded, want an error", bad)
		}
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestFetchHTTP(t *testing.T) {
	archive := zipDir(t, "testdata/advisories")
	const etag = `"v1"`
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/Go/all.zip" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(archive)
	}))
	defer srv.Close()
	ctx := context.Background()

	us, err := configure(t, `{"osv": {"url": "`+srv.URL+`", "allowlist": ["go", "npm"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	var goUp, npmUp, pypiUp *Updater
	for _, u := range us {
		switch u.Name() {
		case "osv/go":
			goUp = u
		case "osv/npm":
			npmUp = u
		case "osv/pypi":
			pypiUp = u
		}
	}

	body, fp, err := goUp.Fetch(ctx, srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := goUp.Parse(ctx, body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(vulns) != 6 {
		t.Errorf("got %d vulnerabilities, want 6", len(vulns))
	}
	if got := updater.ParseFingerprint(fp).ETag; got != etag {
		t.Errorf("got fingerprint ETag %q, want %q", got, etag)
	}
	// The same ETag: unchanged.
	if _, _, err := goUp.Fetch(ctx, srv.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second fetch: got error %v, want updater.ErrUnchanged", err)
	}
	// A missing archive is an error.
	if _, _, err := npmUp.Fetch(ctx, srv.Client(), ""); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("npm fetch: got error %v, want a 404", err)
	}
	// Not in the allowlist: unchanged, without a request.
	before := requests.Load()
	if _, _, err := pypiUp.Fetch(ctx, srv.Client(), ""); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("disabled fetch: got error %v, want updater.ErrUnchanged", err)
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("disabled fetch made %d requests, want 0", n)
	}
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "crates.io"), 0o755); err != nil {
		t.Fatal(err)
	}
	archive := zipDir(t, "testdata/advisories")
	if err := os.WriteFile(filepath.Join(dir, "crates.io", "all.zip"), archive, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"osv": map[string]any{"url": "file://" + filepath.ToSlash(dir)}})
	us, err := configure(t, string(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var u *Updater
	for _, x := range us {
		if x.Name() == "osv/crates.io" {
			u = x
		}
	}
	ctx := context.Background()
	body, fp, err := u.Fetch(ctx, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	// The body is the spool file, read in place.
	if _, ok := body.(statFile); !ok {
		t.Errorf("got body %T, want a file", body)
	}
	vulns, err := u.Parse(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(vulns) != 2 {
		t.Errorf("got %d vulnerabilities, want 2", len(vulns))
	}
	// The same content: unchanged.
	if _, _, err := u.Fetch(ctx, nil, fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second fetch: got error %v, want updater.ErrUnchanged", err)
	}
	// A body that is not an archive fails the parse.
	if _, err := u.Parse(ctx, io.NopCloser(bytes.NewReader([]byte("<html>")))); err == nil {
		t.Error("Parse of HTML succeeded, want an error")
	}
}
