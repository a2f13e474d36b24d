package suse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/loupe-dev/loupe/updater"
)

func TestUpdaterSet(t *testing.T) {
	set := UpdaterSet()
	var names, urls []string
	for _, u := range set.Updaters {
		names = append(names, u.Name())
		urls = append(urls, u.(*Updater).URL())
	}
	if set.Name != "suse" || len(names) != len(Releases) {
		t.Fatalf("set %q: %v", set.Name, names)
	}
	for i, want := range map[int][2]string{
		2: {"suse-updater-suse.linux.enterprise.server.15", "https://ftp.suse.com/pub/projects/security/oval/suse.linux.enterprise.server.15.xml.gz"},
		4: {"suse-updater-opensuse.leap.15.5", "https://ftp.suse.com/pub/projects/security/oval/opensuse.leap.15.5.xml.gz"},
		7: {"suse-updater-opensuse.tumbleweed", "https://ftp.suse.com/pub/projects/security/oval/opensuse.tumbleweed.xml.gz"},
	} {
		if names[i] != want[0] || urls[i] != want[1] {
			t.Errorf("updater %d: %s at %s; want %s at %s", i, names[i], urls[i], want[0], want[1])
		}
	}
}

func TestConfigure(t *testing.T) {
	config := map[string]json.RawMessage{
		// Clair's key: the directory.
		"suse":                            json.RawMessage(`{"url": "https://mirror.example/suse/oval"}`),
		"suse-updater-opensuse.leap.15.5": json.RawMessage(`{"url": "https://mirror.example/opensuse.leap.15.5-affected.xml.gz"}`),
	}
	for i, want := range map[int]string{
		2: "https://mirror.example/suse/oval/suse.linux.enterprise.server.15.xml.gz",
		4: "https://mirror.example/opensuse.leap.15.5-affected.xml.gz",
	} {
		u := NewUpdater(Releases[i])
		if err := u.Configure(updater.ConfigDecoder(config, "suse", u.Name())); err != nil {
			t.Fatal(err)
		}
		if u.URL() != want {
			t.Errorf("%s: %q, want %q", u.Name(), u.URL(), want)
		}
	}
	if err := NewUpdater(Releases[0]).Configure(updater.ConfigDecoder(map[string]json.RawMessage{"suse": json.RawMessage(`{"url":"gopher://x"}`)}, "suse", "x")); err == nil {
		t.Error("bad url accepted")
	}
}

// TestFetchParse serves the fixture gzipped, as SUSE does, and runs an
// updater against it.
func TestFetchParse(t *testing.T) {
	plain, err := os.ReadFile("testdata/suse.xml")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oval/suse.linux.enterprise.server.15.xml.gz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	u := NewUpdater(Releases[2])
	if err := u.Configure(updater.ConfigDecoder(map[string]json.RawMessage{"suse": json.RawMessage(`{"url": "` + srv.URL + `/oval/"}`)}, "suse", u.Name())); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body, fp, err := u.Fetch(ctx, srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := u.Parse(ctx, body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 7 || vs[0].Updater != "suse-updater-suse.linux.enterprise.server.15" || vs[0].Dist.DID != "sles" {
		t.Errorf("%d records, first %+v", len(vs), vs[0])
	}
	if _, _, err := u.Fetch(ctx, srv.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second fetch: %v", err)
	}
}
