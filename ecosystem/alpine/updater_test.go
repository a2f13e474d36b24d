package alpine

import (
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

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/updater"
)

// setUpdater returns the updater of the set named name.
func setUpdater(t *testing.T, s updater.Set, name string) *Updater {
	t.Helper()
	for _, u := range s.Updaters {
		if u.Name() == name {
			return u.(*Updater)
		}
	}
	t.Fatalf("no updater %q", name)
	return nil
}

func TestUpdaterSet(t *testing.T) {
	s := UpdaterSet()
	if s.Name != "alpine" {
		t.Errorf("set name %q", s.Name)
	}
	var names []string
	for _, u := range s.Updaters {
		names = append(names, u.Name())
	}
	if n := 2 * (lastMinor - firstMinor + 2); len(names) != n {
		t.Errorf("%d updaters, want %d", len(names), n)
	}
	for _, want := range []string{"alpine-main-v3.3-updater", "alpine-community-v3.3-updater", "alpine-main-v3.18-updater",
		"alpine-community-v3.23-updater", "alpine-main-v3.30-updater", "alpine-main-edge-updater", "alpine-community-edge-updater"} {
		if !strings.Contains(strings.Join(names, " ")+" ", want+" ") {
			t.Errorf("no updater %s", want)
		}
	}
	for name, want := range map[string]struct {
		url   string
		probe bool
	}{
		"alpine-main-v3.18-updater":      {"https://secdb.alpinelinux.org/v3.18/main.json", false},
		"alpine-community-v3.23-updater": {"https://secdb.alpinelinux.org/v3.23/community.json", false},
		"alpine-main-v3.24-updater":      {"https://secdb.alpinelinux.org/v3.24/main.json", true},
		"alpine-community-edge-updater":  {"https://secdb.alpinelinux.org/edge/community.json", false},
	} {
		u := setUpdater(t, s, name)
		if u.URL() != want.url || u.probe != want.probe {
			t.Errorf("%s: url %q, probe %v; want %q, %v", name, u.URL(), u.probe, want.url, want.probe)
		}
	}
}

func TestConfigure(t *testing.T) {
	for _, tc := range []struct {
		name, config, updater, want string
	}{
		{"none", `{}`, "alpine-main-v3.18-updater", "https://secdb.alpinelinux.org/v3.18/main.json"},
		{"set url", `{"alpine": {"url": "https://mirror.example/secdb"}}`, "alpine-community-v3.18-updater", "https://mirror.example/secdb/v3.18/community.json"},
		{"set url with slash", `{"alpine": {"url": "http://mirror.example/secdb/"}}`, "alpine-main-edge-updater", "http://mirror.example/secdb/edge/main.json"},
		{"file url", `{"alpine": {"url": "file:///srv/secdb"}}`, "alpine-main-v3.3-updater", "file:///srv/secdb/v3.3/main.json"},
		// Clair's per-updater url names the document.
		{"updater url", `{"alpine": {"url": "https://mirror.example/"}, "alpine-main-v3.18-updater": {"url": "https://other.example/318-main.json"}}`,
			"alpine-main-v3.18-updater", "https://other.example/318-main.json"},
		{"updater url, other updater", `{"alpine": {"url": "https://mirror.example/"}, "alpine-main-v3.18-updater": {"url": "https://other.example/318-main.json"}}`,
			"alpine-main-v3.19-updater", "https://mirror.example/v3.19/main.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.config), &cfg); err != nil {
				t.Fatal(err)
			}
			u := setUpdater(t, UpdaterSet(), tc.updater)
			if err := u.Configure(updater.ConfigDecoder(cfg, SetName, u.Name())); err != nil {
				t.Fatal(err)
			}
			if u.URL() != tc.want {
				t.Errorf("url %q, want %q", u.URL(), tc.want)
			}
		})
	}
	for _, bad := range []string{`{"url": "ftp://mirror.example/"}`, `{"url": "::"}`, `{"url": 3}`} {
		u := setUpdater(t, UpdaterSet(), "alpine-main-v3.18-updater")
		if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(bad), v) }); err == nil {
			t.Errorf("Configure(%s) succeeded", bad)
		}
	}
}

// secdbServer serves testdata/secdb as secdb.alpinelinux.org lays it out,
// recording requests.
func secdbServer(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var reqs []string
	files := http.FileServer(http.Dir("testdata/secdb"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.Path)
		mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := reqs
		reqs = nil
		return out
	}
}

func configured(t *testing.T, name, base string) *Updater {
	t.Helper()
	u := setUpdater(t, UpdaterSet(), name)
	if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(`{"url": "`+base+`"}`), v) }); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFetch(t *testing.T) {
	ctx := context.Background()
	srv, requests := secdbServer(t)
	c := srv.Client()

	u := configured(t, "alpine-main-v3.18-updater", srv.URL)
	body, fp, err := u.Fetch(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := u.Parse(ctx, body)
	body.Close()
	if err != nil || len(vulns) != 14 {
		t.Fatalf("parsed %d vulnerabilities, %v", len(vulns), err)
	}
	// Unchanged since the last fetch.
	if _, _, err := u.Fetch(ctx, c, fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
	if diff := cmp.Diff([]string{"GET /v3.18/main.json", "GET /v3.18/main.json"}, requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// A release that may not be out yet: a HEAD, then nothing.
	future := configured(t, "alpine-main-v3.29-updater", srv.URL)
	if _, _, err := future.Fetch(ctx, c, ""); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("unpublished release: %v, want ErrUnchanged", err)
	}
	if diff := cmp.Diff([]string{"HEAD /v3.29/main.json"}, requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	// Once it is out, it is fetched.
	future.url = srv.URL + "/v3.18/main.json"
	if body, _, err := future.Fetch(ctx, c, ""); err != nil {
		t.Errorf("published release: %v", err)
	} else {
		body.Close()
	}
	// A published release missing from the server (a partial mirror)
	// is left alone, with a warning.
	if _, _, err := configured(t, "alpine-main-v3.16-updater", srv.URL).Fetch(ctx, c, ""); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("missing release: %v, want ErrUnchanged", err)
	}
	if diff := cmp.Diff([]string{"HEAD /v3.18/main.json", "GET /v3.18/main.json", "GET /v3.16/main.json", "HEAD /v3.16/main.json"}, requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// The same from a file tree.
	abs, err := filepath.Abs("testdata/secdb")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := configured(t, "alpine-community-v3.29-updater", "file://"+abs).Fetch(ctx, c, ""); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("unpublished release from files: %v, want ErrUnchanged", err)
	}
	body, _, err = configured(t, "alpine-community-edge-updater", "file://"+abs).Fetch(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if !strings.Contains(string(b), `"reponame": "community"`) {
		t.Errorf("edge community: %s", b)
	}

	// A server error is an error, not a missing document.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	for _, name := range []string{"alpine-main-v3.29-updater", "alpine-main-v3.18-updater"} {
		if _, _, err := configured(t, name, broken.URL).Fetch(ctx, c, ""); err == nil || errors.Is(err, updater.ErrUnchanged) {
			t.Errorf("%s, broken server: %v, want an error", name, err)
		}
	}
	if _, _, err := configured(t, "alpine-main-v3.18-updater", "file:///nonexistent/secdb").Fetch(ctx, c, ""); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("missing file: %v, want ErrUnchanged", err)
	}
}

func TestParse(t *testing.T) {
	ctx := context.Background()
	open := func(name string) *os.File {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	u := setUpdater(t, UpdaterSet(), "alpine-community-v3.18-updater")
	vulns, err := u.Parse(ctx, open("testdata/secdb/v3.18/community.json"))
	if err != nil || len(vulns) != 3 {
		t.Fatalf("%d vulnerabilities, %v", len(vulns), err)
	}
	for _, v := range vulns {
		if v.Updater != "alpine-community-v3.18-updater" || !strings.HasPrefix(v.Links, "https://security.alpinelinux.org/vuln/") {
			t.Errorf("%+v", v)
		}
		// Clair's JSON for the distribution of an Alpine vulnerability.
		b, _ := json.Marshal(v.Dist)
		const want = `{"id":"","did":"alpine","name":"Alpine Linux","version":"","version_code_name":"","version_id":"3.18","arch":"","cpe":"","pretty_name":"Alpine Linux v3.18"}`
		if string(b) != want {
			t.Errorf("distribution\n got %s\nwant %s", b, want)
		}
	}

	// The edge updater gives edge's distribution.
	vulns, err = setUpdater(t, UpdaterSet(), "alpine-main-edge-updater").Parse(ctx, open("testdata/secdb/edge/main.json"))
	if err != nil || len(vulns) != 1 || !cmp.Equal(vulns[0].Dist, &loupe.Distribution{DID: "alpine", Name: "Alpine Linux", VersionID: "edge", PrettyName: "Alpine Linux edge"}) {
		t.Errorf("edge: %v, %v", vulns, err)
	}

	// Without a release of its own, the document's is used (the old
	// YAML repository, offline files).
	vulns, err = (&Updater{}).Parse(ctx, open("testdata/secdb/v3.10/main.yaml"))
	if err != nil || len(vulns) != 5 {
		t.Fatalf("%d vulnerabilities, %v", len(vulns), err)
	}
	if v := vulns[0]; v.Updater != "alpine-main-v3.10-updater" || v.Dist.VersionID != "3.10" || v.Dist.PrettyName != "Alpine Linux v3.10" {
		t.Errorf("%+v %+v", v, v.Dist)
	}
	if _, err := (&Updater{}).Parse(ctx, strings.NewReader(`{"packages": []}`)); err == nil {
		t.Error("a document without a release parsed without a release")
	}
	if _, err := u.Parse(ctx, strings.NewReader(`not json`)); err == nil {
		t.Error("garbage parsed")
	}
}
