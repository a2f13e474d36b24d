package layertest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Entry is one tar entry. Type defaults to a regular file; Link is the
// target of a symlink or hard link.
type Entry struct {
	Name string
	Body string
	Type byte
	Link string
	Mode int64
}

// File is a regular file entry.
func File(name, body string) Entry { return Entry{Name: name, Body: body} }

// Dir is a directory entry.
func Dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir} }

// Symlink is a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Link: target}
}

// Hardlink is a hard link entry.
func Hardlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeLink, Link: target}
}

// Whiteout deletes name from lower layers.
func Whiteout(dir, name string) Entry {
	return File(dir+"/.wh."+name, "")
}

// Opaque hides the lower layers' contents of dir.
func Opaque(dir string) Entry { return File(dir+"/.wh..wh..opq", "") }

// epoch is the fixed modification time of every entry, so that builds are
// reproducible and digests stable.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Tar returns an uncompressed tar of entries. It panics on error: the
// inputs are the test's own.
func Tar(entries ...Entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: e.Mode, ModTime: epoch, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				panic(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Gzip compresses b.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Zstd compresses b.
func Zstd(b []byte) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// Digest returns the "sha256:…" digest of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
