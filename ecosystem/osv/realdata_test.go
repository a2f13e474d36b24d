package osv

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestParseRealData parses archives built from the real OSV databases in
// ../shared/data, when they are there, and checks the result against a
// count made independently from generically decoded advisories.
func TestParseRealData(t *testing.T) {
	const root = "../../../shared/data/osv/"
	for _, tc := range []struct {
		eco, dir string
	}{
		{"Go", "go-vulndb/data/osv"},
		{"crates.io", "rustsec/crates"},
		{"PyPI", "pypa/vulns"},
	} {
		t.Run(tc.eco, func(t *testing.T) {
			dir := root + tc.dir
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("real data not available: %v", err)
			}
			captureLogs(t) // keep the per-file logs out of the output
			archive := zipDir(t, dir)
			want := countAdvisories(t, dir, tc.eco)

			u := updaterFor(t, tc.eco)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			vulns, err := u.Parse(context.Background(), bytes.NewReader(archive))
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			names := make(map[string]bool)
			for _, v := range vulns {
				names[v.Name] = true
				if v.Package == nil || v.Package.Name == "" || v.Repo == nil || v.Updater != u.Name() {
					t.Fatalf("incomplete vulnerability %+v", v)
				}
			}
			t.Logf("%s: %d files (%.1f MB, %.1f MB zipped), %d advisories kept, %d vulnerabilities; parsed in %v: %.0f advisories/s, %.1f MB/s; allocated %.1f MB",
				tc.eco, want.files, float64(want.bytes)/1e6, float64(len(archive))/1e6, len(names), len(vulns),
				elapsed.Round(time.Millisecond), float64(want.files)/elapsed.Seconds(), float64(want.bytes)/1e6/elapsed.Seconds(),
				float64(after.TotalAlloc-before.TotalAlloc)/1e6)
			if len(names) != want.advisories || want.advisories == 0 {
				t.Errorf("got %d distinct advisories, want %d", len(names), want.advisories)
			}
			if len(vulns) != want.vulns {
				t.Errorf("got %d vulnerabilities, want %d", len(vulns), want.vulns)
			}
		})
	}
}

type realCount struct {
	files, bytes, advisories, vulns int
}

// countAdvisories counts, from the files under dir decoded into plain
// maps, the advisories Parse should keep for eco: the ones not withdrawn
// with a named affected package of eco that has an introduced event in a
// SEMVER or ECOSYSTEM range, or failing that a list of versions. It also
// counts the vulnerabilities: one per introduced event, or one for the
// versions.
func countAdvisories(t *testing.T, dir, eco string) realCount {
	t.Helper()
	var c realCount
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := path.Ext(p)
		if ext != ".json" && ext != ".yaml" && ext != ".yml" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		c.files++
		c.bytes += len(b)
		var doc map[string]any
		if ext == ".json" {
			err = json.Unmarshal(b, &doc)
		} else {
			err = yaml.Unmarshal(b, &doc)
		}
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if w, _ := doc["withdrawn"].(string); w != "" {
			return nil
		}
		if _, ok := doc["withdrawn"].(time.Time); ok { // YAML timestamps
			return nil
		}
		kept := false
		affected, _ := doc["affected"].([]any)
		for _, a := range affected {
			a, _ := a.(map[string]any)
			pkg, _ := a["package"].(map[string]any)
			e, _ := pkg["ecosystem"].(string)
			name, _ := pkg["name"].(string)
			if e != eco || name == "" {
				continue
			}
			n := 0
			ranges, _ := a["ranges"].([]any)
			for _, r := range ranges {
				r, _ := r.(map[string]any)
				if typ := r["type"]; typ != "SEMVER" && typ != "ECOSYSTEM" {
					continue
				}
				events, _ := r["events"].([]any)
				for _, ev := range events {
					if _, ok := ev.(map[string]any)["introduced"]; ok {
						n++
					}
				}
			}
			if versions, _ := a["versions"].([]any); n == 0 && len(versions) > 0 {
				n = 1
			}
			c.vulns += n
			kept = kept || n > 0
		}
		if kept {
			c.advisories++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dir, "pypa") && c.files < 1000 {
		t.Fatalf("only %d files under %s", c.files, dir)
	}
	return c
}
