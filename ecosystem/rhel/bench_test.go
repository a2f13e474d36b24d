package rhel

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"testing"

	"github.com/loupe-dev/loupe/internal/layertest"
)

// benchDocs returns the documents to parse: Red Hat's real advisories
// when the shared data is there (they are large, as VEX documents are),
// else the fixtures.
func benchDocs(b *testing.B) (names []string, docs [][]byte) {
	b.Helper()
	files, _ := globReal()
	if len(files) == 0 {
		files, _ = globFixtures()
	}
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		names = append(names, path.Base(f))
		docs = append(docs, d)
	}
	return names, docs
}

func globReal() ([]string, error) {
	var out []string
	for _, pat := range []string{"advisories/*.json", "advisories/*/*.json", "server/*/*.json"} {
		m, err := globIn(realCSAF, pat)
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	return out, nil
}

func globFixtures() ([]string, error) { return globIn("testdata/vex", "2024/*.json") }

func globIn(dir, pat string) ([]string, error) {
	ents, err := os.ReadDir(path.Join(dir, path.Dir(pat)))
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, e := range ents {
		if ok, _ := path.Match(path.Base(pat), e.Name()); ok {
			out = append(out, path.Join(dir, path.Dir(pat), e.Name()))
		}
	}
	return out, nil
}

// benchFeed makes a tar of about size bytes of distinct documents.
func benchFeed(b *testing.B, size int) []byte {
	names, docs := benchDocs(b)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; buf.Len() < size; i++ {
		for j, d := range docs {
			writeEntry(tw, fmt.Sprintf("2024/copy%d-%s", i, names[j]), d)
		}
	}
	tw.Close()
	return buf.Bytes()
}

// BenchmarkCSAFParse measures the rhel-vex parse of an uncompressed
// archive (MB/s of CSAF JSON), with every core.
//
//	go test ./ecosystem/rhel -run '^$' -bench CSAFParse -benchmem
func BenchmarkCSAFParse(b *testing.B) {
	feed := benchFeed(b, 32<<20)
	u, _ := NewUpdater(Config{MinYear: -1})
	b.SetBytes(int64(len(feed)))
	b.ResetTimer()
	var n int
	for range b.N {
		vulns, _, err := u.parse(context.Background(), bytes.NewReader(feed))
		if err != nil {
			b.Fatal(err)
		}
		n = len(vulns)
	}
	b.ReportMetric(float64(n), "vulns/op")
}

// BenchmarkCSAFParseZstd is the same, from a zstd archive as Red Hat
// publishes it; SetBytes counts the uncompressed JSON.
func BenchmarkCSAFParseZstd(b *testing.B) {
	feed := benchFeed(b, 32<<20)
	z := layertest.Zstd(feed)
	u, _ := NewUpdater(Config{MinYear: -1})
	b.SetBytes(int64(len(feed)))
	b.ResetTimer()
	for range b.N {
		if _, _, err := u.parse(context.Background(), bytes.NewReader(z)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCSAFDocument measures one core parsing one document at a
// time.
func BenchmarkCSAFDocument(b *testing.B) {
	_, docs := benchDocs(b)
	total := 0
	for _, d := range docs {
		total += len(d)
	}
	p := newParser(UpdaterName, false)
	b.SetBytes(int64(total))
	b.ResetTimer()
	for range b.N {
		for _, d := range docs {
			if _, _, err := p.parse(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
