package osv

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse parses one advisory, as JSON and as YAML (a superset), with
// updaters of each FixedInVersion style: Parse must not fail on a valid
// archive, and every vulnerability must be complete.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/advisories/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1"},{"last_affected":"1.2147483647.2147483646"}]}]}]}`))
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	f.Cleanup(func() { slog.SetDefault(old) })
	us := []*Updater{updaterFor(f, "Go"), updaterFor(f, "PyPI"), updaterFor(f, "crates.io")}
	f.Fuzz(func(t *testing.T, b []byte) {
		archive := zipFiles(t, map[string]string{"a.json": string(b), "a.yaml": string(b)})
		for _, u := range us {
			vulns, err := u.Parse(context.Background(), bytes.NewReader(archive))
			if err != nil {
				t.Fatalf("%s: %v", u.Name(), err)
			}
			for _, v := range vulns {
				if v.Updater != u.Name() || v.Name == "" || v.Package == nil || v.Package.Name == "" || v.Repo == nil || v.Repo.Name == "" {
					t.Fatalf("%s: incomplete vulnerability %+v", u.Name(), v)
				}
				if r := v.Range; r != nil {
					if r.Lower.Kind != semverKind || (r.Upper.Kind != "" && r.Upper.Compare(&r.Lower) < 0) {
						t.Fatalf("%s: bad range %+v", u.Name(), r)
					}
				}
			}
		}
	})
}
