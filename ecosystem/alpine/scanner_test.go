package alpine

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

func TestPackageScanner(t *testing.T) {
	b, err := os.ReadFile("testdata/installed")
	if err != nil {
		t.Fatal(err)
	}
	f, err := PackageScanner{}.Scan(context.Background(), fstest.MapFS{InstalledPath: {Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Name, Version, Kind, Arch, DB, Hint, Src, SrcVersion, SrcKind string }
	var got []row
	for _, p := range f.Packages {
		r := row{p.Name, p.Version, p.Kind, p.Arch, p.PackageDB, p.RepositoryHint, "", "", ""}
		if p.Source != nil {
			r.Src, r.SrcVersion, r.SrcKind = p.Source.Name, p.Source.Version, p.Source.Kind
		}
		got = append(got, r)
	}
	const db = InstalledPath
	want := []row{
		{"musl", "1.2.4-r2", "binary", "x86_64", db, "a6d6b7d6a7e1ec0a5ec8e4d00cff7df6e5e1f2f9", "musl", "1.2.4-r2", "source"},
		{"busybox", "1.36.1-r2", "binary", "x86_64", db, "3d6b6a8f7e2b9b7c1cfe8d6a8a0f4e1c2d3b4a5f", "busybox", "1.36.1-r2", "source"},
		{"busybox-binsh", "1.36.1-r2", "binary", "x86_64", db, "3d6b6a8f7e2b9b7c1cfe8d6a8a0f4e1c2d3b4a5f", "busybox", "1.36.1-r2", "source"},
		{"libcrypto3", "3.1.4-r0", "binary", "x86_64", db, "6e8b3b1d0f5e2c4a7b9d8e1f0a2c3b4d5e6f7a8b", "openssl", "3.1.4-r0", "source"},
		{"libssl3", "3.1.4-r0", "binary", "x86_64", db, "6e8b3b1d0f5e2c4a7b9d8e1f0a2c3b4d5e6f7a8b", "openssl", "3.1.4-r0", "source"},
		{"zlib", "1.2.13-r1", "binary", "x86_64", db, "8f5d0d2a9a6b1e0f3c2d4b5a6e7f8091a2b3c4d5", "zlib", "1.2.13-r1", "source"},
		{"openssh-client-default", "9.3_p2-r0", "binary", "x86_64", db, "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d", "openssh", "9.3_p2-r0", "source"},
		{"ca-certificates-bundle", "20230506-r0", "binary", "x86_64", db, "59534a02716a92a10d177a118c34066162eff4a6", "ca-certificates", "20230506-r0", "source"},
		// No origin: no source package, as in Clair.
		{"local-tool", "0.1_git20240101-r0", "binary", "noarch", db, "", "", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{InstalledPath}, f.Databases); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"no database":        {"etc/os-release": {Data: []byte("ID=alpine\n")}},
		"database directory": {InstalledPath + "/x": {Data: []byte("P:a\nV:1\n")}},
	} {
		f, err := PackageScanner{}.Scan(context.Background(), fsys)
		if err != nil || len(f.Packages) != 0 || len(f.Databases) != 0 {
			t.Errorf("%s: %+v, %v", name, f, err)
		}
	}
	// An empty database replaces the lower layers' copy.
	f, err = PackageScanner{}.Scan(context.Background(), fstest.MapFS{InstalledPath: {Data: nil}})
	if err != nil || len(f.Packages) != 0 || len(f.Databases) != 1 {
		t.Errorf("empty database: %+v, %v", f, err)
	}
}

const alpine318 = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n"

// apkDB renders an installed database of "name version origin" triples.
func apkDB(pkgs ...string) string {
	var b strings.Builder
	for _, p := range pkgs {
		f := strings.Fields(p)
		b.WriteString("P:" + f[0] + "\nV:" + f[1] + "\nA:x86_64\no:" + f[2] + "\nF:usr/lib\nR:" + f[0] + ".so\n\n")
	}
	return b.String()
}

// pkgRows renders a report's packages as "name version source introduced"
// with the index of the layer that introduced each.
func pkgRows(r *loupe.IndexReport, layers ...*loupe.Layer) []string {
	var out []string
	for id, p := range r.Packages {
		envs := r.Environments[id]
		if len(envs) == 0 {
			continue // a source package
		}
		li := slices.IndexFunc(layers, func(l *loupe.Layer) bool { return l.Hash == envs[0].IntroducedIn })
		src := ""
		if p.Source != nil {
			src = p.Source.Name
		}
		out = append(out, strings.Join([]string{envs[0].PackageDB, p.Name, p.Version, src, string(rune('0' + li))}, " "))
	}
	slices.Sort(out)
	return out
}

// TestLayers indexes real layer tarballs: the newest copy of the database
// wins, and deleting it (a whiteout of the file or of a directory above
// it, or an opaque directory) leaves no apk packages.
func TestLayers(t *testing.T) {
	ix := indextest.NewIndexer(t, PackageScanner{}, DistributionScanner{})
	base := indextest.Layer(t,
		layertest.File("etc/os-release", alpine318),
		layertest.File(InstalledPath, apkDB("musl 1.2.4-r2 musl", "libcrypto3 3.1.4-r0 openssl", "libssl3 3.1.4-r0 openssl")),
	)
	upgrade := indextest.Layer(t, layertest.File(InstalledPath, apkDB("musl 1.2.4-r2 musl", "libcrypto3 3.1.4-r2 openssl", "libssl3 3.1.4-r2 openssl", "zlib 1.2.13-r1 zlib")))
	app := indextest.Layer(t, layertest.File("app/run.sh", "#!/bin/sh\n"))
	for _, tc := range []struct {
		name   string
		layers []*loupe.Layer
		want   []string
	}{
		{"base", []*loupe.Layer{base}, []string{
			"lib/apk/db/installed libcrypto3 3.1.4-r0 openssl 0",
			"lib/apk/db/installed libssl3 3.1.4-r0 openssl 0",
			"lib/apk/db/installed musl 1.2.4-r2 musl 0",
		}},
		{"upgrade", []*loupe.Layer{base, upgrade, app}, []string{
			"lib/apk/db/installed libcrypto3 3.1.4-r2 openssl 1",
			"lib/apk/db/installed libssl3 3.1.4-r2 openssl 1",
			"lib/apk/db/installed musl 1.2.4-r2 musl 0",
			"lib/apk/db/installed zlib 1.2.13-r1 zlib 1",
		}},
		{"database deleted", []*loupe.Layer{base, upgrade, indextest.Layer(t, layertest.Whiteout("lib/apk/db", "installed"))}, nil},
		{"directory deleted", []*loupe.Layer{base, indextest.Layer(t, layertest.Whiteout("lib", "apk"))}, nil},
		{"opaque directory", []*loupe.Layer{base, indextest.Layer(t, layertest.Opaque("lib/apk/db"))}, nil},
		{"deleted then added back", []*loupe.Layer{base, indextest.Layer(t, layertest.Whiteout("lib/apk/db", "installed")),
			indextest.Layer(t, layertest.File(InstalledPath, apkDB("musl 1.2.5-r0 musl")))}, []string{
			"lib/apk/db/installed musl 1.2.5-r0 musl 2",
		}},
		{"emptied", []*loupe.Layer{base, indextest.Layer(t, layertest.File(InstalledPath, ""))}, nil},
		{"symlinked database", []*loupe.Layer{indextest.Layer(t,
			layertest.File("etc/os-release", alpine318),
			layertest.File("usr/lib/apk/db/installed", apkDB("musl 1.2.4-r2 musl")),
			layertest.Symlink(InstalledPath, "../../../usr/lib/apk/db/installed"),
		)}, []string{"lib/apk/db/installed musl 1.2.4-r2 musl 0"}},
		// Merged /usr: the link is in the base layer only, and a later
		// layer rewrites the database under usr/lib.
		{"merged usr", []*loupe.Layer{
			indextest.Layer(t,
				layertest.File("etc/os-release", alpine318),
				layertest.Symlink("lib", "usr/lib"),
				layertest.File("usr/lib/apk/db/installed", apkDB("musl 1.2.4-r2 musl", "zlib 1.2.13-r0 zlib")),
			),
			indextest.Layer(t, layertest.File("usr/lib/apk/db/installed", apkDB("musl 1.2.4-r2 musl", "zlib 1.2.13-r1 zlib"))),
		}, []string{
			"usr/lib/apk/db/installed musl 1.2.4-r2 musl 0",
			"usr/lib/apk/db/installed zlib 1.2.13-r1 zlib 1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := indextest.Index(t, ix, tc.layers...)
			if diff := cmp.Diff(tc.want, pkgRows(r, tc.layers...)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(r.Distributions) != 1 {
				t.Errorf("distributions: %v", r.Distributions)
			}
		})
	}
}

// TestRealInstalledFiles packs each real apk database in ../shared/data
// into a layer with an Alpine os-release, indexes it, and checks the
// package set against an independent reading of the file.
func TestRealInstalledFiles(t *testing.T) {
	var files []string
	_ = filepath.WalkDir(filepath.Join(realDataDir, "pkgdb/apk"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "installed" {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("real apk databases not available")
	}
	ix := indextest.NewIndexer(t, PackageScanner{}, DistributionScanner{})
	for _, name := range files {
		rel, _ := filepath.Rel(filepath.Join(realDataDir, "pkgdb/apk"), name)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			l := indextest.Layer(t, layertest.File("etc/os-release", alpine318), layertest.File(InstalledPath, string(b)))
			r := indextest.Index(t, ix, l)
			var got []string
			for id, p := range r.Packages {
				if len(r.Environments[id]) > 0 {
					got = append(got, p.Name+"="+p.Version)
				}
			}
			want := independentPackages(b)
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packages (-independent +indexed):\n%s", diff)
			}
			if n := bytes.Count(b, []byte("\nP:")) + boolInt(bytes.HasPrefix(b, []byte("P:"))); n != len(got) {
				t.Errorf("the file has %d P: lines, the report %d packages", n, len(got))
			}
			if len(got) == 0 {
				t.Error("no packages")
			}
			for _, d := range r.Distributions {
				if d.PrettyName != "Alpine Linux v3.18" {
					t.Errorf("distribution %+v", d)
				}
			}
		})
	}
}

// independentPackages lists name=version of the stanzas of an apk
// database with a deliberately different, naive reading: split on blank
// lines, take the P: and V: lines.
func independentPackages(b []byte) []string {
	var out []string
	for _, stanza := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n\n") {
		var name, ver string
		s := bufio.NewScanner(strings.NewReader(stanza))
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "P:"); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(s.Text(), "V:"); ok {
				ver = v
			}
		}
		if name != "" {
			out = append(out, name+"="+ver)
		}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// realDataDir is the shared real data, ../shared/data from the project
// root; tests that read it skip when it is absent.
const realDataDir = "../../../shared/data"
