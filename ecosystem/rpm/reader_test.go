package rpm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/loupe-dev/loupe/indexer"
)

// The reader fuzz targets start from the fixtures, tens of KiB each; run
// them with a short -fuzzminimizetime (1s), or the fuzzer spends its time
// minimizing large inputs:
//
//	go test -run XXX -fuzz FuzzReadBDB -fuzzminimizetime 1s ./ecosystem/rpm

// fuzzReader runs read over fuzzed bytes: it must return, without
// panicking, and every header it yields must be parsable or an error.
func fuzzReader(f *testing.F, seeds []string, read func([]byte, func([]byte) error) error) {
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, db []byte) {
		total := 0
		_ = read(db, func(blob []byte) error {
			total += len(blob)
			if total > 64*len(db)+1<<20 {
				t.Fatalf("%d bytes of headers from a %d-byte database", total, len(db))
			}
			_, _ = parseHeader(blob)
			return nil
		})
	})
}

func FuzzReadBDB(f *testing.F) {
	fuzzReader(f, []string{fixtureBDB, fixtureBDBBE}, readBDB)
}

func FuzzReadNDB(f *testing.F) {
	fuzzReader(f, []string{fixtureNDB}, readNDB)
}

func FuzzReadSQLite(f *testing.F) {
	fuzzReader(f, []string{fixtureSQLite}, func(db []byte, each func([]byte) error) error {
		return readSQLite(context.Background(), db, each)
	})
}

// TestScanConcurrent scans SQLite databases from many goroutines at once,
// as the indexer does with layers: each scan registers its own VFS.
func TestScanConcurrent(t *testing.T) {
	data, err := os.ReadFile(fixtureSQLite)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: data}}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 5 {
				var f *indexer.Findings
				if f, err = (PackageScanner{}).Scan(context.Background(), fsys); err == nil && len(f.Packages) != 4 {
					err = fmt.Errorf("%d packages, want 4", len(f.Packages))
				}
				if err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkRPMParse measures a whole scan of one database (reading its
// format and parsing every header) in MB/s of database, on the fixtures
// and on the real databases in ../shared/data when they are there.
func BenchmarkRPMParse(b *testing.B) {
	for _, bc := range []struct{ format, path, fixture, real string }{
		{"bdb", "var/lib/rpm/Packages", fixtureBDB, "libuuid/Packages"},
		{"ndb", "usr/lib/sysimage/rpm/Packages.db", fixtureNDB, "sle15-bci/Packages.db"},
		{"sqlite", "var/lib/rpm/rpmdb.sqlite", fixtureSQLite, "cbl-mariner-2.0/rpmdb.sqlite"},
	} {
		b.Run(bc.format, func(b *testing.B) {
			for _, src := range []struct{ name, file string }{{"fixture", bc.fixture}, {"real", filepath.Join(realData, bc.real)}} {
				b.Run(src.name, func(b *testing.B) {
					data, err := os.ReadFile(src.file)
					if err != nil {
						b.Skipf("%s not available: %v", src.file, err)
					}
					fsys := fstest.MapFS{bc.path: {Data: data}}
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					for b.Loop() {
						f, err := PackageScanner{}.Scan(context.Background(), fsys)
						if err != nil || len(f.Packages) == 0 {
							b.Fatalf("%d packages, %v", len(f.Packages), err)
						}
					}
				})
			}
		})
	}
}
