package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// benchLayer returns a real layer to benchmark with: $LOUPE_BENCH_LAYER,
// or the Debian root built by `make bench`. The benchmark skips without
// one.
func benchLayer(b *testing.B) []byte {
	name := os.Getenv("LOUPE_BENCH_LAYER")
	if name == "" {
		name = "/var/tmp/loupe-bench/bookworm.tar.gz"
	}
	blob, err := os.ReadFile(name)
	if err != nil {
		b.Skipf("no layer to benchmark (set LOUPE_BENCH_LAYER): %v", err)
	}
	return blob
}

// BenchmarkFloor is the physical floor of reading a layer: decompress and
// walk the tar, discarding every byte.
func BenchmarkFloor(b *testing.B) {
	blob := benchLayer(b)
	var size int64
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(blob))
		if err != nil {
			b.Fatal(err)
		}
		tr := tar.NewReader(zr)
		size = 0
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			size += h.Size
		}
		io.Copy(io.Discard, zr)
	}
	b.SetBytes(int64(len(blob)))
	b.ReportMetric(float64(size), "tarbytes")
}

// BenchmarkRead is one pass that keeps what the dpkg and os-release
// scanners want.
func BenchmarkRead(b *testing.B) {
	blob := benchLayer(b)
	sel := NewPatterns("var/lib/dpkg/status", "var/lib/dpkg/status.d/*", "etc/os-release", "usr/lib/os-release", "etc/debian_version", "etc/lsb-release")
	for b.Loop() {
		c, err := Read(context.Background(), bytes.NewReader(blob), sel, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if !c.Has("var/lib/dpkg/status") {
			b.Fatal("no status file")
		}
	}
	b.SetBytes(int64(len(blob)))
}
