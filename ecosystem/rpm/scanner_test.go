package rpm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
)

// The fixtures, made by testdata/mkfixtures.sh: the same five headers
// (four packages and a gpg-pubkey) in each format.
const (
	fixtureSQLite = "testdata/rpm.sqlite"      // written by rpm 4.18
	fixtureBDB    = "testdata/Packages.bdb"    // db_load, little-endian, overflow pages
	fixtureBDBBE  = "testdata/Packages-be.bdb" // db_load, big-endian, headers in the hash pages
	fixtureNDB    = "testdata/Packages.ndb"    // rpmpkg.c layout
)

const rhelOSRelease = `NAME="Red Hat Enterprise Linux"
VERSION="9.3 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
`

// scanLayer packs entries into a gzipped layer, reads it the way the
// indexer does (one pass, keeping only the scanner's patterns) and scans
// the result.
func scanLayer(t testing.TB, entries ...layertest.Entry) (*findings, error) {
	t.Helper()
	blob := layertest.Gzip(layertest.Tar(entries...))
	c, err := layer.Read(context.Background(), bytes.NewReader(blob), layer.NewPatterns(PackageScanner{}.Patterns()...), layer.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := PackageScanner{}.Scan(context.Background(), c.FS())
	if err != nil {
		return nil, err
	}
	out := &findings{Databases: f.Databases}
	for _, p := range f.Packages {
		out.Packages = append(out.Packages, rowOf(p))
	}
	return out, nil
}

type findings struct {
	Packages  []row
	Databases []string
}

// row is what the tests compare of a package.
type row struct {
	DB, Name, Version, Arch, Module, Source, SourceVersion string
}

func rowOf(p *loupe.Package) row {
	r := row{DB: p.PackageDB, Name: p.Name, Version: p.Version, Arch: p.Arch, Module: p.Module}
	if p.Kind != loupe.BinaryPackage {
		r.Name += " (kind " + p.Kind + ")"
	}
	if p.Source != nil {
		r.Source, r.SourceVersion = p.Source.Name, p.Source.Version
		if p.Source.Kind != loupe.SourcePackage {
			r.Source += " (kind " + p.Source.Kind + ")"
		}
		if p.Source.Module != p.Module {
			r.Source += " (module " + p.Source.Module + ")"
		}
	}
	return r
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixturePackages is what every fixture holds, in the scanner's terms.
func fixturePackages(db string) []row {
	return []row{
		{db, "libloupe", "2:3.1~rc1-4.lp1", "x86_64", "", "loupe-tools", "3.1~rc1-4.lp1"},
		{db, "loupe-hello", "1.0-1", "noarch", "", "loupe-hello", "1.0-1"},
		{db, "loupe-nodejs", "18.19.0-1.module+el8.9.0+20473+c4e3d824", "noarch", "loupe-nodejs:18", "loupe-nodejs", "18.19.0-1.module+el8.9.0+20473+c4e3d824"},
		{db, "loupe-tools", "2:3.1~rc1-4.lp1", "x86_64", "", "loupe-tools", "3.1~rc1-4.lp1"},
	}
}

func sortRows(rows []row) {
	slices.SortFunc(rows, func(a, b row) int {
		return strings.Compare(a.DB+"\x00"+a.Name+"\x00"+a.Version, b.DB+"\x00"+b.Name+"\x00"+b.Version)
	})
}

func TestScanFixtures(t *testing.T) {
	for _, tc := range []struct {
		fixture, path, db string
	}{
		{fixtureSQLite, "var/lib/rpm/rpmdb.sqlite", "sqlite:var/lib/rpm"},
		{fixtureSQLite, "usr/lib/sysimage/rpm/rpmdb.sqlite", "sqlite:usr/lib/sysimage/rpm"},
		{fixtureBDB, "var/lib/rpm/Packages", "bdb:var/lib/rpm"},
		{fixtureBDBBE, "var/lib/rpm/Packages", "bdb:var/lib/rpm"},
		{fixtureNDB, "usr/lib/sysimage/rpm/Packages.db", "ndb:usr/lib/sysimage/rpm"},
		{fixtureNDB, "var/lib/rpm/Packages.db", "ndb:var/lib/rpm"},
	} {
		t.Run(filepath.Base(tc.fixture)+"@"+tc.path, func(t *testing.T) {
			f, err := scanLayer(t,
				layertest.File("etc/os-release", rhelOSRelease),
				layertest.File(tc.path, readFixture(t, tc.fixture)),
				// rpm's other files in the directory are not databases.
				layertest.File(filepath.Join(filepath.Dir(tc.path), "Name"), "index"),
				layertest.File(filepath.Join(filepath.Dir(tc.path), "__db.001"), "env"),
			)
			if err != nil {
				t.Fatal(err)
			}
			sortRows(f.Packages)
			if diff := cmp.Diff(fixturePackages(tc.db), f.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tc.db}, f.Databases); diff != "" {
				t.Errorf("databases (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFixturesAgreeWithRPM checks the expectation above against rpm's own
// listing of the fixture database (testdata/fixture-rpm-qa.txt, from rpm
// -qa when the fixtures were made).
func TestFixturesAgreeWithRPM(t *testing.T) {
	var want []row
	s := bufio.NewScanner(strings.NewReader(readFixture(t, "testdata/fixture-rpm-qa.txt")))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) != 5 || f[0] == "gpg-pubkey" {
			continue
		}
		module := ""
		if l := strings.Split(f[4], ":"); len(l) == 4 {
			module = l[0] + ":" + l[1]
		}
		src, _ := strings.CutSuffix(f[3], ".src.rpm")
		want = append(want, row{Name: f[0], Version: f[1], Arch: f[2], Module: module, Source: src})
	}
	var got []row
	for _, r := range fixturePackages("") {
		r.Source += "-" + r.SourceVersion
		r.SourceVersion = ""
		got = append(got, r)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fixturePackages disagrees with rpm -qa (-rpm +test):\n%s", diff)
	}
}

// TestRepositoryHint checks the payload digest and signing key that Clair
// keeps as an rpm package's repository hint: loupe-hello is signed with the
// key whose ID mkfixtures.sh recorded, the others are not signed.
func TestRepositoryHint(t *testing.T) {
	keyID := strings.TrimSpace(readFixture(t, "testdata/fixture-keyid.txt"))
	fsys := map[string]string{"var/lib/rpm/rpmdb.sqlite": readFixture(t, fixtureSQLite)}
	f, err := PackageScanner{}.Scan(context.Background(), mapFS(fsys))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Packages) != 4 {
		t.Fatalf("%d packages, want 4", len(f.Packages))
	}
	for _, p := range f.Packages {
		v, err := url.ParseQuery(p.RepositoryHint)
		if err != nil {
			t.Fatalf("%s: hint %q: %v", p.Name, p.RepositoryHint, err)
		}
		if h := v.Get("hash"); !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+64 {
			t.Errorf("%s: hash = %q, want sha256:<64 hex digits>", p.Name, h)
		}
		want := ""
		if p.Name == "loupe-hello" {
			want = keyID
		}
		if got := v.Get("key"); got != want {
			t.Errorf("%s: key = %q, want %q", p.Name, got, want)
		}
	}
}

func TestScanEdgeCases(t *testing.T) {
	sqlite := readFixture(t, fixtureSQLite)
	ndb := readFixture(t, fixtureNDB)
	t.Run("no database", func(t *testing.T) {
		f, err := scanLayer(t, layertest.File("etc/os-release", rhelOSRelease), layertest.File("var/lib/rpm/.rpm.lock", ""))
		if err != nil || len(f.Packages) != 0 || len(f.Databases) != 0 {
			t.Errorf("got %+v, %v; want nothing", f, err)
		}
	})
	t.Run("empty database file", func(t *testing.T) {
		// An emptied database replaces the lower layers' copy.
		f, err := scanLayer(t, layertest.File("var/lib/rpm/Packages", ""))
		if err != nil || len(f.Packages) != 0 || !slices.Equal(f.Databases, []string{"bdb:var/lib/rpm"}) {
			t.Errorf("got %+v, %v; want one empty database", f, err)
		}
	})
	t.Run("directory where the database belongs", func(t *testing.T) {
		f, err := scanLayer(t, layertest.Dir("var/lib/rpm/rpmdb.sqlite"), layertest.File("var/lib/rpm/rpmdb.sqlite/x", "x"))
		if err != nil || len(f.Packages) != 0 || len(f.Databases) != 0 {
			t.Errorf("got %+v, %v; want nothing", f, err)
		}
	})
	t.Run("both directories", func(t *testing.T) {
		f, err := scanLayer(t,
			layertest.File("var/lib/rpm/rpmdb.sqlite", sqlite),
			layertest.File("usr/lib/sysimage/rpm/Packages.db", ndb),
		)
		if err != nil {
			t.Fatal(err)
		}
		want := append(fixturePackages("ndb:usr/lib/sysimage/rpm"), fixturePackages("sqlite:var/lib/rpm")...)
		sortRows(f.Packages)
		if diff := cmp.Diff(want, f.Packages); diff != "" {
			t.Errorf("packages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"ndb:usr/lib/sysimage/rpm", "sqlite:var/lib/rpm"}, f.Databases); diff != "" {
			t.Errorf("databases (-want +got):\n%s", diff)
		}
	})
	t.Run("symlinked database file", func(t *testing.T) {
		f, err := scanLayer(t,
			layertest.File("usr/lib/sysimage/rpm/rpmdb.sqlite", sqlite),
			layertest.Symlink("var/lib/rpm/rpmdb.sqlite", "../../../usr/lib/sysimage/rpm/rpmdb.sqlite"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Packages) != 4 || !slices.Equal(f.Databases, []string{"sqlite:usr/lib/sysimage/rpm"}) {
			t.Errorf("got %+v; want the database once, at its real place", f)
		}
	})
	t.Run("symlinked directory", func(t *testing.T) {
		f, err := scanLayer(t,
			layertest.File("usr/lib/sysimage/rpm/rpmdb.sqlite", sqlite),
			layertest.Symlink("var/lib/rpm", "../../usr/lib/sysimage/rpm"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Packages) != 4 || !slices.Equal(f.Databases, []string{"sqlite:usr/lib/sysimage/rpm"}) {
			t.Errorf("got %+v; want the database once, at its real place", f)
		}
	})
}

func TestScanCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fsys := mapFS(map[string]string{"var/lib/rpm/rpmdb.sqlite": readFixture(t, fixtureSQLite)})
	if f, err := (PackageScanner{}).Scan(ctx, fsys); !errors.Is(err, context.Canceled) {
		t.Errorf("got %+v, %v; want context.Canceled", f, err)
	}
}

// TestScanDamaged checks that a database that is present but unreadable
// is an error naming the file, never a panic or a partial list.
func TestScanDamaged(t *testing.T) {
	sqlite := readFixture(t, fixtureSQLite)
	bdb := readFixture(t, fixtureBDB)
	ndb := readFixture(t, fixtureNDB)
	flip := func(s string, at int) string {
		b := []byte(s)
		b[at] ^= 0xff
		return string(b)
	}
	for _, tc := range []struct{ name, path, body string }{
		{"not bdb", "var/lib/rpm/Packages", "this is not a database"},
		{"not ndb", "usr/lib/sysimage/rpm/Packages.db", "this is not a database"},
		{"not sqlite", "var/lib/rpm/rpmdb.sqlite", "this is not a database"},
		{"truncated bdb", "var/lib/rpm/Packages", bdb[:len(bdb)/2]},
		{"truncated ndb", "usr/lib/sysimage/rpm/Packages.db", ndb[:len(ndb)/2]},
		{"truncated sqlite", "var/lib/rpm/rpmdb.sqlite", sqlite[:len(sqlite)/2]},
		{"ndb checksum", "usr/lib/sysimage/rpm/Packages.db", flip(ndb, len(ndb)-100)},
		{"bdb overflow page type", "var/lib/rpm/Packages", flip(bdb, 2*4096+25)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := scanLayer(t, layertest.File(tc.path, tc.body))
			if err == nil {
				t.Fatalf("no error; found %+v", f)
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name %s", err, tc.path)
			}
		})
	}
}

// realDB is a real rpm database in ../shared/data and an independent
// listing of it, testdata/real-*.txt: "name evr arch sourcerpm" per
// package, gpg-pubkey left out.
type realDB struct {
	name, path, file, listing string
}

var realDBs = []realDB{
	// rpm -qa (Debian's rpm 4.18) over a copy of the database.
	{"sqlite", "var/lib/rpm/rpmdb.sqlite", "cbl-mariner-2.0/rpmdb.sqlite", "testdata/real-cbl-mariner-2.0.txt"},
	// github.com/knqyf263/go-rpmdb v0.1.1's ndb reader: Debian's rpm has
	// no NDB backend.
	{"ndb", "usr/lib/sysimage/rpm/Packages.db", "sle15-bci/Packages.db", "testdata/real-sle15-bci.txt"},
	// rpm -qa (bdb_ro).
	{"bdb", "var/lib/rpm/Packages", "libuuid/Packages", "testdata/real-libuuid.txt"},
}

const realData = "../../../shared/data/pkgdb/rpm"

// TestRealDatabases packs each real database into a layer and checks that
// the scanner finds exactly the packages the independent listing has.
func TestRealDatabases(t *testing.T) {
	for _, db := range realDBs {
		t.Run(db.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(realData, db.file))
			if err != nil {
				t.Skipf("real rpm database not available: %v", err)
			}
			f, err := scanLayer(t, layertest.File("etc/os-release", rhelOSRelease), layertest.File(db.path, string(b)))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range f.Packages {
				got = append(got, strings.Join([]string{p.Name, p.Version, p.Arch, p.Source + "-" + p.SourceVersion + ".src.rpm"}, " "))
			}
			var want []string
			for line := range strings.Lines(readFixture(t, db.listing)) {
				if line = strings.TrimSpace(line); line != "" && line[0] != '#' {
					want = append(want, line)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packages (-listing +scanner):\n%s", diff)
			}
		})
	}
}

// mapFS is an fs.FS of in-memory files.
func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}
