package layer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/internal/layertest"
)

var all = selectorFunc(func(string) bool { return true })

type selectorFunc func(string) bool

func (f selectorFunc) Want(name string) bool { return f(name) }

func read(t *testing.T, blob []byte, sel Selector, lim Limits) *Contents {
	t.Helper()
	c, err := Read(context.Background(), bytes.NewReader(blob), sel, lim)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return c
}

func TestCompressions(t *testing.T) {
	raw := layertest.Tar(layertest.File("etc/os-release", "ID=debian\n"))
	for _, tc := range []struct {
		blob []byte
		want Compression
	}{
		{raw, Uncompressed},
		{layertest.Gzip(raw), Gzip},
		{layertest.Zstd(raw), Zstd},
	} {
		c := read(t, tc.blob, all, Limits{})
		if c.Compression != tc.want {
			t.Errorf("compression = %v, want %v", c.Compression, tc.want)
		}
		b, err := fs.ReadFile(c.FS(), "etc/os-release")
		if err != nil || string(b) != "ID=debian\n" {
			t.Errorf("%v: ReadFile = %q, %v", tc.want, b, err)
		}
		if c.Size != int64(len(raw)) {
			t.Errorf("%v: Size = %d, want %d", tc.want, c.Size, len(raw))
		}
	}
}

func TestSelection(t *testing.T) {
	blob := layertest.Tar(
		layertest.Dir("var/lib/dpkg"),
		layertest.File("var/lib/dpkg/status", "status"),
		layertest.File("var/lib/dpkg/status-old", "old"),
		layertest.File("var/lib/dpkg/status.d/base", "base"),
		layertest.File("var/lib/dpkg/status.d/sub/deep", "deep"),
		layertest.File("usr/share/java/a.jar", "jar"),
		layertest.File("usr/bin/ls", "elf"),
	)
	sel := NewPatterns("var/lib/dpkg/status", "var/lib/dpkg/status.d/*", "**/*.jar")
	c := read(t, blob, sel, Limits{})
	want := []string{"usr/share/java/a.jar", "var/lib/dpkg/status", "var/lib/dpkg/status.d/base"}
	if diff := cmp.Diff(want, c.Names()); diff != "" {
		t.Errorf("kept names (-want +got):\n%s", diff)
	}
	if c.Entries != 7 {
		t.Errorf("Entries = %d, want 7", c.Entries)
	}
	if err := fstest.TestFS(c.FS(), want...); err != nil {
		t.Error(err)
	}
}

func TestWhiteouts(t *testing.T) {
	blob := layertest.Tar(
		layertest.Whiteout("var/lib/dpkg", "status"),
		layertest.Opaque("usr/lib/python3"),
		layertest.Opaque(""),
		layertest.File("a/.wh..wh.plnk", ""),
		layertest.Whiteout("", "toplevel"),
	)
	c := read(t, blob, all, Limits{})
	if diff := cmp.Diff([]string{"var/lib/dpkg/status", "toplevel"}, c.Whiteouts); diff != "" {
		t.Errorf("Whiteouts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"usr/lib/python3", "."}, c.Opaque); diff != "" {
		t.Errorf("Opaque (-want +got):\n%s", diff)
	}
	if len(c.Names()) != 0 {
		t.Errorf("whiteout markers kept as files: %v", c.Names())
	}
}

func TestHostileNames(t *testing.T) {
	blob := layertest.Tar(
		layertest.File("../../etc/passwd", "escape"),
		layertest.File("a/../../b", "escape"),
		layertest.File("/etc/os-release", "absolute name"),
		layertest.File("./usr/lib/os-release", "dot slash"),
		layertest.Symlink("etc/abs", "/etc/os-release"),
		layertest.Symlink("etc/up", "../../../../usr/lib/os-release"),
		layertest.Symlink("etc/host", "/etc/shadow"),
		layertest.Symlink("etc/loop1", "loop2"),
		layertest.Symlink("etc/loop2", "loop1"),
		layertest.Hardlink("etc/hard", "usr/lib/os-release"),
		layertest.Hardlink("etc/hard-missing", "nowhere"),
		layertest.Hardlink("etc/hard-escape", "../../x"),
	)
	c := read(t, blob, all, Limits{})
	if c.Dropped != 2 {
		t.Errorf("Dropped = %d, want 2", c.Dropped)
	}
	fsys := c.FS()
	for name, want := range map[string]string{
		"etc/os-release":     "absolute name",
		"usr/lib/os-release": "dot slash",
		"etc/abs":            "absolute name",
		"etc/up":             "dot slash",
		"etc/hard":           "dot slash",
	} {
		b, err := fs.ReadFile(fsys, name)
		if err != nil || string(b) != want {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", name, b, err, want)
		}
	}
	for _, name := range []string{"etc/host", "etc/loop1", "etc/hard-missing", "etc/passwd", "b"} {
		if b, err := fs.ReadFile(fsys, name); err == nil {
			t.Errorf("ReadFile(%q) = %q, want an error", name, b)
		}
	}
	if len(c.Skipped) != 2 {
		t.Errorf("Skipped = %v, want the two unresolvable hard links", c.Skipped)
	}
}

func TestSymlinkedDirectory(t *testing.T) {
	blob := layertest.Tar(
		layertest.Symlink("var/lib/dpkg", "/opt/dpkg"),
		layertest.File("opt/dpkg/status", "ok"),
	)
	c := read(t, blob, all, Limits{})
	b, err := fs.ReadFile(c.FS(), "var/lib/dpkg/status")
	if err != nil || string(b) != "ok" {
		t.Errorf("ReadFile through symlinked dir = %q, %v", b, err)
	}
}

func TestLaterEntryWins(t *testing.T) {
	blob := layertest.Tar(
		layertest.File("etc/os-release", "first"),
		layertest.File("etc/os-release", "second"),
		layertest.File("etc/gone", "x"),
		layertest.Dir("etc/gone"),
	)
	c := read(t, blob, all, Limits{})
	if b, _ := fs.ReadFile(c.FS(), "etc/os-release"); string(b) != "second" {
		t.Errorf("etc/os-release = %q, want the later entry", b)
	}
	if c.Has("etc/gone") {
		t.Error("a file replaced by a directory is still kept")
	}
}

func TestLimits(t *testing.T) {
	blob := layertest.Tar(
		layertest.File("small", "12345"),
		layertest.File("big", strings.Repeat("x", 100)),
		layertest.File("more", "1234567890"),
	)
	c := read(t, blob, all, Limits{MaxFileSize: 50, MaxKept: 12})
	if diff := cmp.Diff([]string{"small"}, c.Names()); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if len(c.Skipped) != 2 || c.Skipped[0].Name != "big" || c.Skipped[1].Name != "more" {
		t.Errorf("Skipped = %+v", c.Skipped)
	}
	// A layer over MaxSize fails as a bad layer: a decompression bomb.
	bomb := layertest.Gzip(layertest.Tar(layertest.File("zeros", strings.Repeat("\x00", 1<<20))))
	_, err := Read(context.Background(), bytes.NewReader(bomb), all, Limits{MaxSize: 64 << 10})
	if !errors.Is(err, ErrFormat) {
		t.Errorf("bomb: err = %v, want ErrFormat", err)
	}
}

func TestBadLayers(t *testing.T) {
	good := layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status", strings.Repeat("Package: x\n\n", 1000))))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-6] ^= 0xff
	for name, blob := range map[string][]byte{
		"corrupt gzip":      corrupt,
		"bad gzip checksum": badCRC,
		"truncated gzip":    good[:len(good)/2],
		"not a tar":         []byte(strings.Repeat("this is not a tar archive ", 40)),
		"truncated tar":     layertest.Tar(layertest.File("a", strings.Repeat("y", 4096)))[:1000],
		"xz":                {0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0},
	} {
		_, err := Read(context.Background(), bytes.NewReader(blob), all, Limits{})
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

// failingReader fails after n bytes, like a dropped connection.
type failingReader struct {
	r io.Reader
	n int
}

var errDropped = errors.New("connection reset")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errDropped
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestReadErrorIsNotFormat(t *testing.T) {
	blob := layertest.Gzip(layertest.Tar(layertest.File("a", strings.Repeat("z", 1<<16))))
	_, err := Read(context.Background(), &failingReader{r: bytes.NewReader(blob), n: 100}, all, Limits{})
	if !errors.Is(err, errDropped) || errors.Is(err, ErrFormat) {
		t.Errorf("err = %v, want the read error and not ErrFormat", err)
	}
}

func TestReadsToEnd(t *testing.T) {
	blob := append(layertest.Tar(layertest.File("a", "b")), make([]byte, 10240)...)
	r := bytes.NewReader(blob)
	read := func() {
		if _, err := Read(context.Background(), r, NewPatterns("nothing"), Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if r.Len() != 0 {
		t.Errorf("%d bytes left unread", r.Len())
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, bytes.NewReader(layertest.Tar(layertest.File("a", "b"))), all, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPatterns(t *testing.T) {
	p := NewPatterns("/etc/os-release", "var/lib/dpkg/status.d/*", "**/*.jar", "usr/lib/python*/site-packages/*.dist-info/METADATA",
		"root/buildinfo/Dockerfile-*")
	for name, want := range map[string]bool{
		"etc/os-release":             true,
		"etc/os-release.bak":         false,
		"var/lib/dpkg/status.d/base": true,
		"var/lib/dpkg/status.d":      false,
		"var/lib/dpkg/status.d/a/b":  false,
		"opt/app/lib/x.jar":          true,
		"x.jar":                      true,
		"opt/app/lib/x.jar.sha1":     false,
		"usr/lib/python3.11/site-packages/requests-2.28.1.dist-info/METADATA": true,
		"root/buildinfo/Dockerfile-ubi9-9.4-1123":                             true,
		"root/buildinfo/Dockerfile":                                           false,
		"root/buildinfo/old/Dockerfile-ubi9-9.4-1123":                         false,
	} {
		if got := p.Want(name); got != want {
			t.Errorf("Want(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzRead(f *testing.F) {
	tarball := layertest.Tar(
		layertest.File("etc/os-release", "ID=debian\n"),
		layertest.Symlink("usr/lib/os-release", "../../etc/os-release"),
		layertest.Whiteout("var/lib/dpkg", "status"),
		layertest.Hardlink("etc/h", "etc/os-release"),
	)
	f.Add(tarball)
	f.Add(layertest.Gzip(tarball))
	f.Add(layertest.Zstd(tarball))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Read(context.Background(), bytes.NewReader(b), all, Limits{MaxSize: 1 << 20, MaxKept: 1 << 20})
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		fsys := c.FS()
		for _, name := range c.Names() {
			if !fs.ValidPath(name) {
				t.Fatalf("kept invalid name %q", name)
			}
			fs.ReadFile(fsys, name)
		}
		fs.WalkDir(fsys, ".", func(string, fs.DirEntry, error) error { return nil })
	})
}
