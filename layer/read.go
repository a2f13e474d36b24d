package layer

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// ErrFormat is wrapped by errors caused by the layer's own bytes: a corrupt
// or unsupported compression, a malformed tar, a layer over Limits. Errors
// that do not wrap it came from reading the stream (the network, the
// disk) or from the context, and may succeed on a retry.
var ErrFormat = errors.New("bad layer")

// Limits bound one pass over a layer. Zero fields take the defaults.
type Limits struct {
	// MaxFileSize is the largest file kept; larger wanted files are
	// skipped and listed in Contents.Skipped. Default 256 MiB.
	MaxFileSize int64
	// MaxKept bounds the total bytes kept from one layer. Default 1 GiB.
	MaxKept int64
	// MaxSize bounds the uncompressed size of the layer; a larger layer
	// (or a decompression bomb) fails with ErrFormat. Default 64 GiB.
	MaxSize int64
}

// Default limits.
const (
	DefaultMaxFileSize = 256 << 20
	DefaultMaxKept     = 1 << 30
	DefaultMaxSize     = 64 << 30
)

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxKept <= 0 {
		l.MaxKept = DefaultMaxKept
	}
	if l.MaxSize <= 0 {
		l.MaxSize = DefaultMaxSize
	}
	return l
}

// Selector decides which entries of a layer are kept. Want is called with
// the cleaned, root-relative name of every regular file, symlink and hard
// link, and must be fast.
type Selector interface {
	Want(name string) bool
}

// Skip records a wanted file that was not kept.
type Skip struct {
	Name   string
	Size   int64
	Reason string
}

// Contents is what one pass over a layer kept and learned.
type Contents struct {
	// Compression is what the layer was compressed with.
	Compression Compression
	// Whiteouts are the paths this layer deletes from the layers below,
	// in tar order.
	Whiteouts []string
	// Opaque are the directories whose lower-layer contents this layer
	// hides, in tar order.
	Opaque []string
	// Skipped lists wanted files that were not kept, and why.
	Skipped []Skip
	// Entries is the number of tar entries; Size the uncompressed bytes
	// read; Dropped the entries whose names escaped the layer root.
	Entries int
	Size    int64
	Dropped int

	files map[string]*node
	dirs  map[string][]fs.DirEntry
	kept  int64
}

// node is a kept entry: a regular file's bytes, or a symlink's target.
type node struct {
	name    string
	data    []byte
	mode    fs.FileMode
	modTime time.Time
	target  string // symlinks only: cleaned root-relative target
}

// Read makes one pass over the layer blob r, keeping what sel wants. It
// reads r to its end, so that a caller hashing r sees every byte.
func Read(ctx context.Context, r io.Reader, sel Selector, lim Limits) (*Contents, error) {
	lim = lim.withDefaults()
	src := &readRecorder{r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	c := &Contents{files: make(map[string]*node)}
	comp, err := Detect(br)
	if err != nil {
		return nil, src.classify(err)
	}
	c.Compression = comp
	d, err := newDecompressor(comp, br)
	if err != nil {
		return nil, src.classify(err)
	}
	defer d.close()
	body := &sizeLimiter{r: d, left: lim.MaxSize}
	tr := tar.NewReader(body)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, src.classify(err)
		}
		c.Entries++
		if err := c.add(tr, hdr, sel, lim); err != nil {
			return nil, src.classify(err)
		}
	}
	// Read what follows the end-of-archive marker: tar padding, the
	// compression trailer (checksums are verified there), trailing bytes.
	if _, err := io.Copy(io.Discard, body); err != nil {
		return nil, src.classify(err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, src.classify(err)
	}
	c.Size = lim.MaxSize - body.left
	c.index()
	return c, nil
}

// add handles one tar entry.
func (c *Contents) add(tr *tar.Reader, hdr *tar.Header, sel Selector, lim Limits) error {
	name, ok := clean(hdr.Name)
	if !ok {
		c.Dropped++
		return nil
	}
	if name == "." {
		return nil
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if strings.HasPrefix(base, ".wh.") {
		switch {
		case base == ".wh..wh..opq":
			if dir == "" {
				dir = "."
			}
			c.Opaque = append(c.Opaque, dir)
		case strings.HasPrefix(base, ".wh..wh."):
			// Other AUFS metadata: not a deletion.
		default:
			c.Whiteouts = append(c.Whiteouts, path.Join(dir, base[len(".wh."):]))
		}
		return nil
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeSymlink, tar.TypeLink: // the reader turns the old TypeRegA into TypeReg
	default:
		// A directory or special file replaces anything kept at that name.
		delete(c.files, name)
		return nil
	}
	if !sel.Want(name) {
		delete(c.files, name)
		return nil
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		c.files[name] = &node{name: name, mode: fs.ModeSymlink | 0o777, modTime: hdr.ModTime, target: resolveTarget(dir, hdr.Linkname)}
	case tar.TypeLink:
		target, ok := clean(hdr.Linkname)
		if t, kept := c.files[target]; ok && kept {
			n := *t
			n.name = name
			c.files[name] = &n
			return nil
		}
		c.Skipped = append(c.Skipped, Skip{Name: name, Reason: "hard link to an entry that was not kept: " + hdr.Linkname})
	default:
		switch {
		case hdr.Size > lim.MaxFileSize:
			c.Skipped = append(c.Skipped, Skip{Name: name, Size: hdr.Size, Reason: fmt.Sprintf("larger than the %d byte file limit", lim.MaxFileSize)})
			return nil
		case c.kept+hdr.Size > lim.MaxKept:
			c.Skipped = append(c.Skipped, Skip{Name: name, Size: hdr.Size, Reason: fmt.Sprintf("over the %d byte limit on kept data", lim.MaxKept)})
			return nil
		}
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		c.kept += hdr.Size
		c.files[name] = &node{name: name, data: data, mode: hdr.FileInfo().Mode().Perm(), modTime: hdr.ModTime}
	}
	return nil
}

// clean turns a tar entry name into a root-relative path. It reports false
// for names that climb out of the root: they are dropped, not relocated.
func clean(name string) (string, bool) {
	c := path.Clean(strings.TrimLeft(name, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

// resolveTarget interprets a symlink target found in dir: absolute targets
// are relative to the layer root, and ".." stops at the root.
func resolveTarget(dir, target string) string {
	if !path.IsAbs(target) {
		target = path.Join("/", dir, target)
	}
	t := path.Clean("/" + target)
	if t == "/" {
		return "."
	}
	return t[1:]
}

// readRecorder remembers the first error of the underlying reader, so that
// a failed read is not mistaken for a bad layer.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}

// classify wraps err in ErrFormat unless it came from the underlying
// reader or is a context error.
func (rr *readRecorder) classify(err error) error {
	switch {
	case rr.err != nil:
		return fmt.Errorf("reading layer: %w", rr.err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrFormat):
		return err
	}
	return fmt.Errorf("%w: %w", ErrFormat, err)
}

// sizeLimiter fails the read once more than left bytes have been read.
type sizeLimiter struct {
	r    io.Reader
	left int64
}

func (s *sizeLimiter) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if s.left < 0 {
		return n, fmt.Errorf("%w: uncompressed size over the limit", ErrFormat)
	}
	return n, err
}
