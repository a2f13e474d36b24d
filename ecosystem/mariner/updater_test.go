package mariner

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
	want := [][2]string{
		{"cbl-mariner-1.0-updater", DefaultDirectory + "cbl-mariner-1.0-oval.xml"},
		{"cbl-mariner-2.0-updater", DefaultDirectory + "cbl-mariner-2.0-oval.xml"},
		{"azurelinux-3.0-updater", "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/azurelinux-3.0-oval.xml"},
	}
	if set.Name != "mariner" || len(set.Updaters) != len(want) {
		t.Fatalf("set %q has %d updaters", set.Name, len(set.Updaters))
	}
	for i, u := range set.Updaters {
		if got := [2]string{u.Name(), u.(*Updater).URL()}; got != want[i] {
			t.Errorf("updater %d = %v, want %v", i, got, want[i])
		}
	}
}

func TestFetchParse(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/mirror/", http.FileServer(http.Dir("testdata"))))
	defer srv.Close()
	u := NewUpdater(Release{File: "azurelinux.xml", Dist: AzureLinux("3.0")})
	cfg := map[string]json.RawMessage{"mariner": json.RawMessage(`{"url": "` + srv.URL + `/mirror"}`)}
	if err := u.Configure(updater.ConfigDecoder(cfg, "mariner", u.Name())); err != nil {
		t.Fatal(err)
	}
	if u.URL() != srv.URL+"/mirror/azurelinux.xml" {
		t.Fatalf("url %q", u.URL())
	}
	body, _, err := u.Fetch(context.Background(), srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	vs, err := u.Parse(context.Background(), body)
	if err != nil || len(vs) != 4 {
		t.Errorf("%d records, %v", len(vs), err)
	}
}
