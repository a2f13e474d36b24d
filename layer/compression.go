package layer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is a layer's compression, detected from its magic bytes.
type Compression int

// Known compressions.
const (
	Uncompressed Compression = iota
	Gzip
	Zstd
	Bzip2
	Xz
)

func (c Compression) String() string {
	switch c {
	case Uncompressed:
		return "none"
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Bzip2:
		return "bzip2"
	case Xz:
		return "xz"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

var (
	magicGzip  = []byte{0x1f, 0x8b, 0x08}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicBzip2 = []byte("BZh")
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// Detect reports the compression of the stream behind br without
// consuming it.
func Detect(br *bufio.Reader) (Compression, error) {
	head, err := br.Peek(6)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return Uncompressed, err
	}
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return Gzip, nil
	case bytes.HasPrefix(head, magicZstd):
		return Zstd, nil
	case bytes.HasPrefix(head, magicBzip2):
		return Bzip2, nil
	case bytes.HasPrefix(head, magicXz):
		return Xz, nil
	}
	return Uncompressed, nil
}

// decompressor is a decompressing reader over a compressed one.
type decompressor struct {
	io.Reader
	close func()
}

func newDecompressor(c Compression, r io.Reader) (*decompressor, error) {
	switch c {
	case Uncompressed:
		return &decompressor{Reader: r, close: func() {}}, nil
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrFormat, err)
		}
		return &decompressor{Reader: zr, close: func() { zr.Close() }}, nil
	case Zstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(false), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %w", ErrFormat, err)
		}
		return &decompressor{Reader: zr, close: zr.Close}, nil
	case Bzip2:
		return &decompressor{Reader: bzip2.NewReader(r), close: func() {}}, nil
	}
	return nil, fmt.Errorf("%w: %v compression is not supported", ErrFormat, c)
}
