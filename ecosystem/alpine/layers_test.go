package alpine

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/store/sqlite"
)

// realDataDir is the shared real data, ../shared/data from the project
// root; tests that read it skip when it is absent.
const realDataDir = "../../../shared/data"

// newIndexer returns an indexer running scanners on an SQLite store.
func newIndexer(t *testing.T, scanners ...indexer.Scanner) *indexer.Indexer {
	t.Helper()
	store, err := sqlite.OpenIndexer(context.Background(), filepath.Join(t.TempDir(), "indexer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ix, err := indexer.New(indexer.Options{Scanners: scanners, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// layer writes a gzipped tar of entries to a file and returns it as a
// layer with a file:// URI.
func layer(t *testing.T, entries ...layertest.Entry) *loupe.Layer {
	t.Helper()
	blob := layertest.Gzip(layertest.Tar(entries...))
	d := layertest.Digest(blob)
	p := filepath.Join(t.TempDir(), strings.TrimPrefix(d, "sha256:")+".tar.gz")
	if err := os.WriteFile(p, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	return &loupe.Layer{Hash: loupe.MustParseDigest(d), URI: "file://" + p}
}

// index indexes an image made of layers, base first.
func index(t *testing.T, ix *indexer.Indexer, layers ...*loupe.Layer) *loupe.IndexReport {
	t.Helper()
	var name strings.Builder
	for _, l := range layers {
		name.WriteString(l.Hash.String())
	}
	m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(name.String()))), Layers: layers}
	r, err := ix.Index(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Success {
		t.Fatalf("index report: %s", r.Err)
	}
	return r
}

// dirEntries returns the files under dir as layer entries, named relative
// to dir.
func dirEntries(t *testing.T, dir string) []layertest.Entry {
	t.Helper()
	var out []layertest.Entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, layertest.File(filepath.ToSlash(rel), string(b)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
