package photon

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/loupe-dev/loupe/updater"
)

func TestUpdaterSet(t *testing.T) {
	set := UpdaterSet()
	if set.Name != "photon" || len(set.Updaters) != 5 {
		t.Fatalf("set %q has %d updaters", set.Name, len(set.Updaters))
	}
	u := set.Updaters[4].(*Updater)
	if u.Name() != "photon-updater-5.0" || u.URL() != "https://packages.vmware.com/photon/photon_cve_metadata/cve_data_photon5.0.json" {
		t.Errorf("5.0: %s at %s", u.Name(), u.URL())
	}
}

func TestFetchParse(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("testdata")))
	defer srv.Close()
	u := NewUpdater("5.0")
	cfg := map[string]json.RawMessage{"photon": json.RawMessage(`{"url": "` + srv.URL + `"}`)}
	if err := u.Configure(updater.ConfigDecoder(cfg, "photon", u.Name())); err != nil {
		t.Fatal(err)
	}
	if u.URL() != srv.URL+"/cve_data_photon5.0.json" {
		t.Fatalf("url %q", u.URL())
	}
	body, _, err := u.Fetch(context.Background(), srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	vs, err := u.Parse(context.Background(), body)
	if err != nil || len(vs) != 7 {
		t.Errorf("%d records, %v", len(vs), err)
	}
	// Another document for this updater only.
	cfg["photon-updater-5.0"] = json.RawMessage(`{"url": "file:///srv/photon5.json"}`)
	if err := u.Configure(updater.ConfigDecoder(cfg, "photon", u.Name())); err != nil || u.URL() != "file:///srv/photon5.json" {
		t.Errorf("url %q, %v", u.URL(), err)
	}
}
