package indexer_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// TestCoalesceRPMDatabases checks that rpm databases, named as Clair names
// them ("sqlite:var/lib/rpm"), follow "the newest copy wins" and are
// deleted by whiteouts of their file or of a directory above it.
func TestCoalesceRPMDatabases(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("../ecosystem/rpm/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	sqlite, bdb := read("rpm.sqlite"), read("Packages.bdb")
	osr := layertest.File("etc/os-release", "ID=rhel\nVERSION_ID=9.3\n")
	pkgs := func(db, layer string) []string {
		return []string{
			db + " libloupe 2:3.1~rc1-4.lp1 loupe-tools 3.1~rc1-4.lp1 " + layer,
			db + " loupe-hello 1.0-1 loupe-hello 1.0-1 " + layer,
			db + " loupe-nodejs 18.19.0-1.module+el8.9.0+20473+c4e3d824 loupe-nodejs 18.19.0-1.module+el8.9.0+20473+c4e3d824 " + layer,
			db + " loupe-tools 2:3.1~rc1-4.lp1 loupe-tools 3.1~rc1-4.lp1 " + layer,
		}
	}
	for _, tc := range []struct {
		name   string
		layers [][]layertest.Entry
		want   []string
	}{
		{
			name:   "one database",
			layers: [][]layertest.Entry{{osr, layertest.File("var/lib/rpm/rpmdb.sqlite", sqlite)}},
			want:   pkgs("sqlite:var/lib/rpm", "0"),
		},
		{
			name: "database file whited out",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/rpm/rpmdb.sqlite", sqlite)},
				{layertest.Whiteout("var/lib/rpm", "rpmdb.sqlite")},
			},
		},
		{
			name: "database directory whited out",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/rpm/Packages", bdb)},
				{layertest.Whiteout("var/lib", "rpm")},
			},
		},
		{
			name: "rebuilt from Berkeley DB into SQLite",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/rpm/Packages", bdb)},
				{layertest.Whiteout("var/lib/rpm", "Packages"), layertest.File("var/lib/rpm/rpmdb.sqlite", sqlite)},
			},
			// A new database: its packages are introduced by the layer
			// that wrote it, as in Clair (PackageDB is part of the key).
			want: pkgs("sqlite:var/lib/rpm", "1"),
		},
		{
			name: "an index file whited out changes nothing",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/rpm/Packages", bdb)},
				{layertest.Whiteout("var/lib/rpm", "__db.001")},
			},
			want: pkgs("bdb:var/lib/rpm", "0"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := newRegistry(t)
			var layers []*loupe.Layer
			for _, entries := range tc.layers {
				layers = append(layers, reg.add(layertest.Gzip(layertest.Tar(entries...))))
			}
			r, err := newIndexer(t).Index(context.Background(), manifest(tc.name, layers...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, pkgSet(r, layers...)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}
