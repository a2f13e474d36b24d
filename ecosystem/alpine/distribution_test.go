package alpine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// distCases are the layer fixtures of testdata/dist: each directory is a
// layer's files and want.json the distribution Clair reports for it
// (null for none).
func distCases(t *testing.T) map[string]*loupe.Distribution {
	t.Helper()
	dirs, err := filepath.Glob("testdata/dist/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := make(map[string]*loupe.Distribution)
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "want.json"))
		if err != nil {
			t.Fatal(err)
		}
		var want *loupe.Distribution
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		out[dir] = want
	}
	return out
}

// TestDistributionLayers packs each fixture into a layer tarball, indexes
// it, and compares the report's distribution with Clair's.
func TestDistributionLayers(t *testing.T) {
	ix := indextest.NewIndexer(t, PackageScanner{}, DistributionScanner{})
	for dir, want := range distCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			entries := indextest.DirEntries(t, dir)
			if filepath.Base(dir) == "3.21-usrlib" {
				// Alpine 3.17 and later link etc/os-release to
				// usr/lib/os-release.
				entries = append(entries, layertest.Symlink("etc/os-release", "../usr/lib/os-release"))
			}
			entries = append(entries, layertest.File(InstalledPath, apkDB("musl 1.2.4-r2 musl")))
			r := indextest.Index(t, ix, indextest.Layer(t, entries...))
			var got *loupe.Distribution
			for _, d := range r.Distributions {
				c := *d
				c.ID = ""
				got = &c
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("distribution (-want +got):\n%s", diff)
			}
			if want != nil {
				// Clair's JSON: every field present, version_id empty.
				b, _ := json.Marshal(got)
				wantJSON := `{"id":"","did":"alpine","name":"Alpine Linux","version":"` + want.Version +
					`","version_code_name":"","version_id":"","arch":"","cpe":"","pretty_name":"` + want.PrettyName + `"}`
				if string(b) != wantJSON {
					t.Errorf("JSON\n got %s\nwant %s", b, wantJSON)
				}
			}
		})
	}
}

func TestDistributionScannerEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   map[string]string
		want *loupe.Distribution
	}{
		{"usr/lib only", map[string]string{"usr/lib/os-release": alpine318}, Distribution("3.18")},
		{"two-part VERSION_ID", map[string]string{"etc/os-release": "ID=alpine\nVERSION_ID=3.20\nPRETTY_NAME=\"Alpine Linux v3.20\"\nNAME=\"Alpine Linux\"\n"}, Distribution("3.20")},
		{"no NAME or PRETTY_NAME", map[string]string{"etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n"}, Distribution("3.19")},
		{"edge by VERSION_ID", map[string]string{"etc/os-release": "ID=alpine\nVERSION_ID=3.21_alpha20240807\n"}, Distribution("edge")},
		{"version from PRETTY_NAME", map[string]string{"etc/os-release": "ID=alpine\nNAME=\"Alpine Linux\"\nPRETTY_NAME=\"Alpine Linux v3.16\"\n"}, Distribution("3.16")},
		{"no version at all", map[string]string{"etc/os-release": "ID=alpine\n"}, nil},
		{"wolfi", map[string]string{"etc/os-release": "ID=wolfi\nNAME=\"Wolfi\"\n", "etc/issue": "Welcome to Alpine Linux 3.18\n"}, nil},
		{"issue of another system", map[string]string{"etc/issue": "Debian GNU/Linux 12 \\n \\l\n"}, nil},
		{"alpine-release edge", map[string]string{"etc/alpine-release": "3.19_alpha20230901\n"}, Distribution("edge")},
		{"alpine-release garbage", map[string]string{"etc/alpine-release": "x.y\n"}, nil},
		{"garbage os-release", map[string]string{"etc/os-release": "\x00\x01===\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DistributionScanner{}.Scan(context.Background(), mapFS(tc.fs))
			if err != nil {
				t.Fatal(err)
			}
			var want []*loupe.Distribution
			if tc.want != nil {
				want = []*loupe.Distribution{tc.want}
			}
			if diff := cmp.Diff(want, f.Distributions); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func mapFS(files map[string]string) fstest.MapFS {
	m := make(fstest.MapFS, len(files))
	for name, body := range files {
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return m
}

func TestNamespace(t *testing.T) {
	for _, tc := range []struct {
		d    *loupe.Distribution
		want string
	}{
		{Distribution("3.18"), "alpine:v3.18"},
		{FeedDistribution("3.18"), "alpine:v3.18"},
		{Distribution("edge"), "alpine:edge"},
		{FeedDistribution("edge"), "alpine:edge"},
		{&loupe.Distribution{DID: "alpine", Version: "3.18.4"}, "alpine:v3.18"},
		{&loupe.Distribution{DID: "alpine", Version: "3", PrettyName: "Alpine Linux v3.18"}, "alpine:v3.18"},
		{&loupe.Distribution{DID: "alpine", PrettyName: "Alpine Linux edge"}, "alpine:edge"},
		{&loupe.Distribution{DID: "alpine"}, ""},
		{&loupe.Distribution{DID: "alpine", PrettyName: "Alpine Linux vx"}, ""},
	} {
		if got := namespace(tc.d); got != tc.want {
			t.Errorf("namespace(%+v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
