package amazon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loupe-dev/loupe/updater"
)

func repomd(sum, href string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
 <revision>1712345678</revision>
<data type="primary_db">
  <checksum type="sha256">8931ecdd9407bf434f4051229d5cff68bcdcda48d7a5f7706daac385b20f95ac</checksum>
  <location href="repodata/primary.sqlite.bz2"/>
</data>
<data type="updateinfo">
  <checksum type="sha256">%s</checksum>
  <location href="%s"/>
  <timestamp>1712345600</timestamp>
</data>
</repomd>`, sum, href)
}

// mirrors serves a mirror list naming a broken mirror, then a good one
// that serves repomd.xml and a gzipped updateinfo.
func mirrors(t *testing.T, info []byte) (srv *httptest.Server, downloads *atomic.Int32) {
	t.Helper()
	sum := sha256.Sum256(info)
	downloads = new(atomic.Int32)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/mirror.list":
			fmt.Fprintf(w, "# mirrors\n%[1]s/broken\n\n%[1]s/badsum\n%[1]s/good/\n", srv.URL)
		case "/good.list":
			fmt.Fprintf(w, "%s/good\n", srv.URL)
		case "/good/repodata/repomd.xml":
			fmt.Fprint(w, repomd(hex.EncodeToString(sum[:]), "repodata/0123-updateinfo.xml.gz"))
		case "/badsum/repodata/repomd.xml":
			fmt.Fprint(w, repomd(strings.Repeat("0", 64), "repodata/0123-updateinfo.xml.gz"))
		case "/good/repodata/0123-updateinfo.xml.gz", "/badsum/repodata/0123-updateinfo.xml.gz":
			downloads.Add(1)
			w.Write(info)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, downloads
}

func configured(t *testing.T, r Release, url string) *Updater {
	t.Helper()
	u := NewUpdater(r)
	if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(`{"url":"`+url+`"}`), v) }); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFetch(t *testing.T) {
	info := gz(fixture(t))
	srv, downloads := mirrors(t, info)
	u := configured(t, AL2, srv.URL+"/mirror.list")
	body, fp, err := u.Fetch(context.Background(), srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := u.Parse(context.Background(), body)
	body.Close()
	if err != nil || len(vulns) != 9 {
		t.Fatalf("%d vulnerabilities, error %v", len(vulns), err)
	}
	sum := sha256.Sum256(info)
	if fp != parserVersion+":"+hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint %q", fp)
	}
	u = configured(t, AL2, srv.URL+"/good.list")
	n := downloads.Load()
	if _, _, err := u.Fetch(context.Background(), srv.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("unchanged: error %v", err)
	}
	if downloads.Load() != n {
		t.Error("an unchanged updateinfo was downloaded")
	}
}

func TestFetchErrors(t *testing.T) {
	srv, _ := mirrors(t, gz(fixture(t)))
	for _, url := range []string{srv.URL + "/nothing.list", srv.URL + "/good/repodata/repomd.xml"} {
		if _, _, err := configured(t, AL2, url).Fetch(context.Background(), srv.Client(), ""); err == nil {
			t.Errorf("%s: no error", url)
		}
	}
	if err := NewUpdater(AL2).Configure(func(v any) error { return json.Unmarshal([]byte(`{"url":"s3://bucket/x"}`), v) }); err == nil {
		t.Error("s3 url accepted")
	}
	if _, _, err := (&Updater{}).Fetch(context.Background(), srv.Client(), ""); err == nil {
		t.Error("zero updater fetched")
	}
}

// TestFetchFiles reads a mirror copied to disk, through a file mirror
// list naming it.
func TestFetchFiles(t *testing.T) {
	dir, err := filepath.Abs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	info := gz(fixture(t))
	sum := sha256.Sum256(info)
	for name, body := range map[string]string{
		"repo/repodata/repomd.xml":        repomd(hex.EncodeToString(sum[:]), "repodata/updateinfo.xml.gz"),
		"repo/repodata/updateinfo.xml.gz": string(info),
		"mirror.list":                     "file://" + dir + "/repo\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u := configured(t, AL2, "file://"+dir+"/mirror.list")
	body, _, err := u.Fetch(context.Background(), http.DefaultClient, "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if vulns, err := u.Parse(context.Background(), body); err != nil || len(vulns) != 9 {
		t.Errorf("%d vulnerabilities, error %v", len(vulns), err)
	}
}

func TestUpdaterSet(t *testing.T) {
	s := UpdaterSet()
	var names []string
	for _, u := range s.Updaters {
		names = append(names, u.Name())
		if err := u.(*Updater).Configure(updater.ConfigDecoder(nil, s.Name, u.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if s.Name != "aws" || strings.Join(names, " ") != "aws-AL1-updater aws-AL2-updater aws-AL2023-updater" {
		t.Errorf("set %q: %q", s.Name, names)
	}
	if got := s.Updaters[2].(*Updater).URL(); got != "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list" {
		t.Errorf("AL2023 mirror list %q", got)
	}
}
