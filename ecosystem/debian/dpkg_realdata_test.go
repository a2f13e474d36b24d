package debian_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/internal/layertest"
)

const realDpkg = "../../../shared/data/pkgdb/dpkg"

// realDatabase is one real dpkg database, as the files of a layer.
type realDatabase struct {
	name  string
	files map[string]string // path in the layer → content
}

// realDatabases returns the real dpkg databases in ../shared/data: each
// *.status file as var/lib/dpkg/status, and the files each *.txtar packs
// at the paths it names.
func realDatabases(t testing.TB) []realDatabase {
	var out []realDatabase
	statuses, _ := filepath.Glob(filepath.Join(realDpkg, "*.status"))
	for _, p := range statuses {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, realDatabase{filepath.Base(p), map[string]string{"var/lib/dpkg/status": string(b)}})
	}
	archives, _ := filepath.Glob(filepath.Join(realDpkg, "*.txtar"))
	for _, p := range archives {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files := unpackTxtar(string(b))
		if len(files) == 0 {
			t.Fatalf("%s holds no files", p)
		}
		out = append(out, realDatabase{filepath.Base(p), files})
	}
	if len(out) == 0 {
		t.Skip("real dpkg databases not available")
	}
	return out
}

// unpackTxtar reads the txtar format: a comment, then files, each
// introduced by a "-- name --" line.
func unpackTxtar(s string) map[string]string {
	files := map[string]string{}
	name := ""
	var body strings.Builder
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimRight(line, "\n"), " --") {
			if name != "" {
				files[name] = body.String()
			}
			name = strings.TrimSuffix(strings.TrimPrefix(strings.TrimRight(line, "\n"), "-- "), " --")
			body.Reset()
			continue
		}
		if name != "" {
			body.WriteString(line)
		}
	}
	if name != "" {
		files[name] = body.String()
	}
	return files
}

var sourceField = regexp.MustCompile(`^(\S+)(?:\s+\((\S*)\))?$`)

// expectedPackages lists, with a parse of its own, the packages a dpkg
// database holds as installed: every stanza with a Package and a Version
// whose Status (when there is one, as distroless files have none) ends in
// a state where the package's files are on disk. Each is rendered as
// "db name version arch source source-version".
func expectedPackages(db, content string) []string {
	onDisk := map[string]bool{"installed": true, "unpacked": true, "half-configured": true, "triggers-awaited": true, "triggers-pending": true}
	var out []string
	content = strings.ReplaceAll(content, "\r\n", "\n")
	for _, stanza := range regexp.MustCompile(`\n[ \t]*\n`).Split(content, -1) {
		f := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok {
				f[k] = strings.TrimSpace(v)
			}
		}
		if f["Package"] == "" || f["Version"] == "" {
			continue
		}
		if st := strings.Fields(f["Status"]); f["Status"] != "" && (len(st) != 3 || !onDisk[st[2]]) {
			continue
		}
		src, srcVer := f["Package"], f["Version"]
		if m := sourceField.FindStringSubmatch(f["Source"]); m != nil {
			src = m[1]
			if m[2] != "" {
				srcVer = m[2]
			}
		}
		out = append(out, strings.Join([]string{db, f["Package"], f["Version"], f["Architecture"], src, srcVer}, " "))
	}
	slices.Sort(out)
	return out
}

// TestRealDatabasesInLayers packs each real dpkg database into a layer,
// with an os-release of the distribution it comes from, indexes it with
// the real indexer, and checks that the report holds exactly the
// installed packages of the database, under that distribution.
func TestRealDatabasesInLayers(t *testing.T) {
	for _, db := range realDatabases(t) {
		t.Run(db.name, func(t *testing.T) {
			var want []string
			ubuntuDB := false
			var entries []layertest.Entry
			for _, p := range slices.Sorted(maps.Keys(db.files)) {
				content := db.files[p]
				want = append(want, expectedPackages(p, content)...)
				ubuntuDB = ubuntuDB || strings.Contains(content, "ubuntu")
				entries = append(entries, layertest.File(p, content))
			}
			slices.Sort(want)
			if len(want) == 0 {
				t.Fatal("the database lists no installed package")
			}
			wantDist := "buster"
			osr := layertest.DebianOSRelease("10", "buster")
			if ubuntuDB {
				wantDist = "bionic"
				osr = "NAME=\"Ubuntu\"\nVERSION=\"18.04.6 LTS (Bionic Beaver)\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"18.04\"\nVERSION_CODENAME=bionic\nUBUNTU_CODENAME=bionic\n"
			}
			entries = append([]layertest.Entry{layertest.File("usr/lib/os-release", osr), layertest.Symlink("etc/os-release", "../usr/lib/os-release")}, entries...)

			r, err := index(t, newIndexer(t), layertest.Gzip(layertest.Tar(entries...)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, packages(r)); diff != "" {
				t.Errorf("packages (-independent +indexed):\n%s", diff)
			}
			if d := r.Distributions["1"]; d == nil || d.VersionCodeName != wantDist {
				t.Errorf("distribution = %+v, want %s", d, wantDist)
			}
			t.Logf("%d installed packages", len(want))
		})
	}
}

// BenchmarkDpkgStatusParse measures the dpkg scanner on a status file:
// the largest real one when ../shared/data is there, and a generated one
// of 1000 packages.
func BenchmarkDpkgStatusParse(b *testing.B) {
	run := func(b *testing.B, status []byte) {
		fsys := fstest.MapFS{"var/lib/dpkg/status": {Data: status}}
		b.SetBytes(int64(len(status)))
		b.ReportAllocs()
		for b.Loop() {
			f, err := debian.PackageScanner{}.Scan(context.Background(), fsys)
			if err != nil || len(f.Packages) == 0 {
				b.Fatal(err)
			}
		}
	}
	b.Run("generated-1000", func(b *testing.B) {
		debs := make([]layertest.Deb, 1000)
		for i := range debs {
			debs[i] = layertest.Deb{Name: fmt.Sprintf("pkg%04d", i), Version: fmt.Sprintf("1.%d-1", i), Source: fmt.Sprintf("src%03d (1.%d-1)", i/4, i)}
		}
		run(b, []byte(layertest.DpkgStatus(debs...)))
	})
	b.Run("real-largest", func(b *testing.B) {
		var largest string
		for _, db := range realDatabases(b) {
			for _, c := range db.files {
				if len(c) > len(largest) {
					largest = c
				}
			}
		}
		run(b, []byte(largest))
	})
}
