package fedora

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

func bodhiUpdate(alias, release, nvr string) string {
	return fmt.Sprintf(`{"alias":%q,"title":%q,"type":"security","status":"stable","severity":"medium","release":{"name":"F%s","version":%q,"id_prefix":"FEDORA"},"bugs":[],"builds":[{"nvr":%q,"type":"rpm","epoch":0}],"comments":[]}`,
		alias, nvr, release, release, nvr)
}

// bodhi serves Bodhi's releases and updates listings: updates of the
// releases asked, pages of 100.
func bodhi(t *testing.T, updates map[string][]string) (*httptest.Server, *[]string) {
	t.Helper()
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/releases/":
			io.WriteString(w, `{"releases":[
				{"name":"F41","version":"41","id_prefix":"FEDORA","state":"pending"},
				{"name":"F40","version":"40","id_prefix":"FEDORA","state":"current"},
				{"name":"F40C","version":"40","id_prefix":"FEDORA-CONTAINER","state":"current"},
				{"name":"EPEL-9","version":"9","id_prefix":"FEDORA-EPEL","state":"current"},
				{"name":"F38","version":"38","id_prefix":"FEDORA","state":"archived"},
				{"name":"ELN","version":"eln","id_prefix":"FEDORA","state":"pending"}
			],"page":1,"pages":1,"rows_per_page":1000,"total":6}`)
		case "/updates/":
			if q.Get("status") != "stable" || q.Get("type") != "security" || q.Get("rows_per_page") != "100" {
				http.Error(w, "bad query "+r.URL.RawQuery, http.StatusBadRequest)
				return
			}
			asked = append(asked, q.Get("releases"))
			var all []string
			for _, rel := range strings.Split(q.Get("releases"), ",") {
				all = append(all, updates[rel]...)
			}
			page, _ := strconv.Atoi(q.Get("page"))
			pages := (len(all) + 99) / 100
			lo, hi := min((page-1)*100, len(all)), min(page*100, len(all))
			fmt.Fprintf(w, `{"updates":[%s],"page":%d,"pages":%d,"rows_per_page":100,"total":%d}`, strings.Join(all[lo:hi], ","), page, pages, len(all))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &asked
}

func configured(t *testing.T, cfg string) *Updater {
	t.Helper()
	u := &Updater{}
	if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(cfg), v) }); err != nil {
		t.Fatal(err)
	}
	return u
}

func fetchParse(t *testing.T, u *Updater, prev string) (int, string, error) {
	t.Helper()
	body, fp, err := u.Fetch(context.Background(), http.DefaultClient, prev)
	if err != nil {
		return 0, "", err
	}
	defer body.Close()
	vulns, err := u.Parse(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	return len(vulns), fp, nil
}

func TestFetch(t *testing.T) {
	updates := map[string][]string{}
	for i := range 150 {
		updates["F40"] = append(updates["F40"], bodhiUpdate(fmt.Sprintf("FEDORA-2024-%010d", i), "40", fmt.Sprintf("pkg%d-1.0-1.fc40", i)))
	}
	updates["F41"] = []string{bodhiUpdate("FEDORA-2024-f41", "41", "pkg-1.0-1.fc41")}
	updates["F39"] = []string{bodhiUpdate("FEDORA-2024-f39", "39", "pkg-1.0-1.fc39")}
	srv, asked := bodhi(t, updates)

	u := configured(t, `{"url":"`+srv.URL+`/"}`)
	n, fp, err := fetchParse(t, u, "")
	if err != nil {
		t.Fatal(err)
	}
	if n != 151 {
		t.Errorf("%d vulnerabilities, want 151 (F40's and F41's)", n)
	}
	if len(*asked) != 2 || (*asked)[0] != "F40,F41" {
		t.Errorf("releases asked: %q", *asked)
	}
	if _, _, err := u.Fetch(context.Background(), http.DefaultClient, fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("unchanged: error %v", err)
	}

	u = configured(t, `{"url":"`+srv.URL+`","releases":["39","F40"]}`)
	if n, _, err := fetchParse(t, u, ""); err != nil || n != 151 {
		t.Errorf("configured releases: %d vulnerabilities, error %v", n, err)
	}
	if got := (*asked)[len(*asked)-1]; got != "F39,F40" {
		t.Errorf("releases asked: %q", got)
	}
}

func TestFetchErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/none/releases/":
			io.WriteString(w, `{"releases":[{"name":"EPEL-9","version":"9","id_prefix":"FEDORA-EPEL","state":"current"}],"pages":1}`)
		case "/html/releases/", "/html/updates/":
			io.WriteString(w, `<html>maintenance</html>`)
		default:
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/none/", "/html/", "/down/"} {
		if _, _, err := configured(t, `{"url":"`+srv.URL+path+`"}`).Fetch(context.Background(), http.DefaultClient, ""); err == nil {
			t.Errorf("%s: no error", path)
		}
	}
	for _, cfg := range []string{`{"url":"ftp://x"}`, `{"releases":["rawhide"]}`} {
		if err := (&Updater{}).Configure(func(v any) error { return json.Unmarshal([]byte(cfg), v) }); err == nil {
			t.Errorf("%s accepted", cfg)
		}
	}
}

func TestFetchFile(t *testing.T) {
	p, err := filepath.Abs(filepath.Join(t.TempDir(), "updates.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, fixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, _, err := fetchParse(t, configured(t, `{"url":"file://`+p+`"}`), ""); err != nil || n != 7 {
		t.Errorf("%d vulnerabilities, error %v", n, err)
	}
}

func TestUpdaterSet(t *testing.T) {
	s := UpdaterSet()
	if s.Name != "fedora" || len(s.Updaters) != 1 || s.Updaters[0].Name() != "fedora-updater" {
		t.Fatalf("set %+v", s)
	}
	u := s.Updaters[0].(*Updater)
	if err := u.Configure(updater.ConfigDecoder(nil, s.Name, u.Name())); err != nil || u.URL() != DefaultURL {
		t.Errorf("unconfigured: %q, %v", u.URL(), err)
	}
}
