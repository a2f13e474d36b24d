package oracle

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/updater"
)

func TestUpdaterSet(t *testing.T) {
	set := UpdaterSet()
	if set.Name != "oracle" || len(set.Updaters) != time.Now().Year()-FirstYear+1 {
		t.Fatalf("set %q has %d updaters", set.Name, len(set.Updaters))
	}
	u := set.Updaters[0].(*Updater)
	if u.Name() != "oracle-2007-updater" || u.URL() != "https://linux.oracle.com/security/oval/com.oracle.elsa-2007.xml.bz2" {
		t.Errorf("first updater: %s at %s", u.Name(), u.URL())
	}
}

func TestConfigure(t *testing.T) {
	config := map[string]json.RawMessage{
		"oracle":              json.RawMessage(`{"url": "https://mirror.example/oracle/oval"}`),
		"oracle-2024-updater": json.RawMessage(`{"url": "file:///srv/elsa-2024.xml.bz2", "compression": "bz2"}`),
	}
	for year, want := range map[int]string{
		2023: "https://mirror.example/oracle/oval/com.oracle.elsa-2023.xml.bz2",
		2024: "file:///srv/elsa-2024.xml.bz2",
	} {
		u := NewUpdater(year)
		if err := u.Configure(updater.ConfigDecoder(config, "oracle", u.Name())); err != nil {
			t.Fatal(err)
		}
		if u.URL() != want {
			t.Errorf("%d: url %q, want %q", year, u.URL(), want)
		}
	}
	u := NewUpdater(2024)
	if err := u.Configure(updater.ConfigDecoder(nil, "oracle", u.Name())); err != nil || u.URL() != DefaultDirectory+File(2024) {
		t.Errorf("unconfigured: %q, %v", u.URL(), err)
	}
	for _, bad := range []string{`{"url": "ftp://x/y.xml"}`, `{"compression": "rar"}`, `{"url": 3}`} {
		cfg := map[string]json.RawMessage{"oracle": json.RawMessage(bad)}
		if err := NewUpdater(2024).Configure(updater.ConfigDecoder(cfg, "oracle", "oracle-2024-updater")); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestFetchParse serves the bzip2 fixture over HTTP as Oracle does, and
// runs the updater against it: fetch, parse, then fetch again unchanged.
func TestFetchParse(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("testdata")))
	defer srv.Close()
	u := NewUpdater(2024)
	cfg := map[string]json.RawMessage{"oracle-2024-updater": json.RawMessage(`{"url": "` + srv.URL + `/elsa.xml.bz2"}`)}
	if err := u.Configure(updater.ConfigDecoder(cfg, "oracle", u.Name())); err != nil {
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
	if len(vs) != 7 {
		t.Errorf("%d records, want 7", len(vs))
	}
	if _, _, err := u.Fetch(ctx, srv.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}
