package indextest

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

// NewIndexer returns an indexer running scanners over an SQLite store
// that the test's end closes.
func NewIndexer(t testing.TB, scanners ...indexer.Scanner) *indexer.Indexer {
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

// BlobLayer writes blob, a layer as it would be served (compressed or
// not, well formed or not), to a file and returns it as a layer with a
// file:// URI.
func BlobLayer(t testing.TB, blob []byte) *loupe.Layer {
	t.Helper()
	d := layertest.Digest(blob)
	p := filepath.Join(t.TempDir(), strings.TrimPrefix(d, "sha256:")+".layer")
	if err := os.WriteFile(p, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	return &loupe.Layer{Hash: loupe.MustParseDigest(d), URI: "file://" + p}
}

// Layer is BlobLayer of a gzipped tar of entries.
func Layer(t testing.TB, entries ...layertest.Entry) *loupe.Layer {
	t.Helper()
	return BlobLayer(t, layertest.Gzip(layertest.Tar(entries...)))
}

// Image indexes the image made of layers, base first; its manifest digest
// derives from theirs.
func Image(t testing.TB, ix *indexer.Indexer, layers ...*loupe.Layer) (*loupe.IndexReport, error) {
	t.Helper()
	var name strings.Builder
	for _, l := range layers {
		name.WriteString(l.Hash.String())
	}
	m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(name.String()))), Layers: layers}
	return ix.Index(context.Background(), m)
}

// Index is Image for an image that must index successfully.
func Index(t testing.TB, ix *indexer.Indexer, layers ...*loupe.Layer) *loupe.IndexReport {
	t.Helper()
	r, err := Image(t, ix, layers...)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Success {
		t.Fatalf("index report: %s", r.Err)
	}
	return r
}

// DirEntries returns the files under dir as layer entries, named relative
// to dir.
func DirEntries(t testing.TB, dir string) []layertest.Entry {
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
