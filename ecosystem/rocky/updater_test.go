package rocky

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
	"strconv"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/updater"
)

// apollo serves pages of advisories as Rocky Linux's API does: page and
// size parameters, and advisories that name no CVE left out of a page
// after it is sliced, so a page may be empty before the end.
func apollo(t *testing.T, pages map[int][]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v3/osv/" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("size") != "100" {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		advs := pages[page]
		if advs == nil {
			advs = []string{}
		}
		fmt.Fprintf(w, `{"advisories":[%s],"total":%d,"page":%d,"size":100,"links":{"next":null},"last_updated_at":"2024-03-02T12:00:00Z"}`,
			strings.Join(advs, ","), len(advs), page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func advisory(id, name, fixed string) string {
	return fmt.Sprintf(`{"id":%q,"upstream":["CVE-2024-1"],"summary":"Low: %s","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`,
		id, name, name, fixed)
}

func configured(t *testing.T, url string) *Updater {
	t.Helper()
	u := &Updater{}
	if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(`{"url":"`+url+`"}`), v) }); err != nil {
		t.Fatal(err)
	}
	return u
}

func fetchAndParse(t *testing.T, u *Updater, prev string) ([]string, string, error) {
	t.Helper()
	body, fp, err := u.Fetch(context.Background(), http.DefaultClient, prev)
	if err != nil {
		return nil, "", err
	}
	defer body.Close()
	vulns, err := u.Parse(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vulns {
		names = append(names, v.Name+" "+v.Package.Name)
	}
	return names, fp, nil
}

func TestFetchPages(t *testing.T) {
	pages := map[int][]string{
		1: {advisory("RLSA-1", "a", "1-1"), advisory("RLSA-2", "b", "1-1")},
		// Pages 2 to 4 held only advisories with no CVE.
		5: {advisory("RLSA-3", "c", "1-1"), advisory("RLSA-2", "b", "1-1")},
	}
	srv := apollo(t, pages)
	u := configured(t, srv.URL+"/api/v3/osv/")
	names, fp, err := fetchAndParse(t, u, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"RLSA-1 a", "RLSA-2 b", "RLSA-3 c"} // RLSA-2 moved across a page boundary: once
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("vulnerabilities %q, want %q", names, want)
	}
	if !strings.HasPrefix(fp, parserVersion+":") {
		t.Errorf("fingerprint %q", fp)
	}

	if _, _, err := u.Fetch(context.Background(), http.DefaultClient, fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("unchanged feed: error %v, want ErrUnchanged", err)
	}
	pages[6] = []string{advisory("RLSA-4", "d", "1-1")}
	names, fp2, err := fetchAndParse(t, u, fp)
	if err != nil {
		t.Fatal(err)
	}
	if fp2 == fp || len(names) != 4 {
		t.Errorf("changed feed: fingerprint %q (was %q), %d vulnerabilities", fp2, fp, len(names))
	}
}

func TestFetchServerIgnoresPaging(t *testing.T) {
	doc := `{"advisories":[` + advisory("RLSA-1", "a", "1-1") + `]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, doc) }))
	defer srv.Close()
	names, _, err := fetchAndParse(t, configured(t, srv.URL+"/rocky.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Errorf("vulnerabilities %q", names)
	}
}

func TestFetchErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "1":
			io.WriteString(w, `{"advisories":[`+advisory("RLSA-1", "a", "1-1")+`]}`)
		case "2":
			if r.URL.Path == "/broken/" {
				io.WriteString(w, `<html>maintenance</html>`)
				return
			}
			http.Error(w, "boom", http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/failing/", "/broken/"} {
		if _, _, err := configured(t, srv.URL+path).Fetch(context.Background(), http.DefaultClient, ""); err == nil {
			t.Errorf("%s: no error", path)
		}
	}
	if err := (&Updater{}).Configure(func(v any) error { return json.Unmarshal([]byte(`{"url":"ftp://x/"}`), v) }); err == nil {
		t.Error("ftp url accepted")
	}
}

func TestFetchFile(t *testing.T) {
	p, err := filepath.Abs(filepath.Join(t.TempDir(), "rocky.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, fixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	names, _, err := fetchAndParse(t, configured(t, "file://"+p), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 8 {
		t.Errorf("%d vulnerabilities from the file, want 8", len(names))
	}
}

func TestUpdaterSet(t *testing.T) {
	s := UpdaterSet()
	if s.Name != "rocky" || len(s.Updaters) != 1 || s.Updaters[0].Name() != "rocky-updater" {
		t.Fatalf("set %+v", s)
	}
	u := s.Updaters[0].(*Updater)
	if err := u.Configure(updater.ConfigDecoder(nil, s.Name, u.Name())); err != nil || u.URL() != DefaultURL {
		t.Errorf("unconfigured: url %q, error %v", u.URL(), err)
	}
}
