package layer

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// maxLinkHops bounds symlink resolution, as the kernel's ELOOP does.
const maxLinkHops = 40

// FS returns the kept files as a read-only file system. Symlinks resolve
// among kept entries only; a link to anything else does not exist.
// Directories exist where kept files are.
func (c *Contents) FS() fs.FS { return (*contentsFS)(c) }

// Has reports whether name was kept (as a file or a symlink).
func (c *Contents) Has(name string) bool {
	_, ok := c.files[name]
	return ok
}

// Names returns the kept names, sorted.
func (c *Contents) Names() []string {
	names := make([]string, 0, len(c.files))
	for n := range c.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// index builds the directory listing of the kept files.
func (c *Contents) index() {
	c.dirs = map[string][]fs.DirEntry{".": nil}
	seen := make(map[string]bool)
	for _, name := range c.Names() {
		n := c.files[name]
		dir := path.Dir(name)
		c.dirs[dir] = append(c.dirs[dir], fs.FileInfoToDirEntry(n.info()))
		for d := dir; d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			parent := path.Dir(d)
			c.dirs[parent] = append(c.dirs[parent], fs.FileInfoToDirEntry(dirInfo(path.Base(d))))
			if _, ok := c.dirs[d]; !ok {
				c.dirs[d] = nil
			}
		}
	}
	for d, ents := range c.dirs {
		slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
		c.dirs[d] = ents
	}
}

type contentsFS Contents

// lookup resolves name, following symlinks, to a kept file or a directory.
func (f *contentsFS) lookup(op, name string) (*node, bool, error) {
	if !fs.ValidPath(name) {
		return nil, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	cur := name
	for range maxLinkHops {
		if n, ok := f.files[cur]; ok {
			if n.target == "" {
				return n, false, nil
			}
			cur = n.target
			continue
		}
		if _, ok := f.dirs[cur]; ok {
			return nil, true, nil
		}
		// A symlinked parent directory: resolve the longest kept link
		// prefix and retry.
		if next, ok := f.resolveParent(cur); ok {
			cur = next
			continue
		}
		return nil, false, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return nil, false, &fs.PathError{Op: op, Path: name, Err: errLinkLoop}
}

func (f *contentsFS) resolveParent(name string) (string, bool) {
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if n, ok := f.files[dir]; ok && n.target != "" {
			rest := strings.TrimPrefix(name, dir+"/")
			return path.Join(n.target, rest), true
		}
	}
	return "", false
}

func (f *contentsFS) Open(name string) (fs.File, error) {
	n, isDir, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if isDir {
		return &openDir{name: name, ents: f.dirs[name]}, nil
	}
	return &openFile{n: n, r: bytes.NewReader(n.data)}, nil
}

func (f *contentsFS) ReadFile(name string) ([]byte, error) {
	n, isDir, err := f.lookup("readfile", name)
	if err != nil {
		return nil, err
	}
	if isDir {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errIsDir}
	}
	return bytes.Clone(n.data), nil
}

func (f *contentsFS) ReadDir(name string) ([]fs.DirEntry, error) {
	_, isDir, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !isDir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	return slices.Clone(f.dirs[name]), nil
}

func (f *contentsFS) Stat(name string) (fs.FileInfo, error) {
	n, isDir, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	if isDir {
		return dirInfo(path.Base(name)), nil
	}
	fi := n.info()
	fi.name = path.Base(name)
	return fi, nil
}

var (
	errIsDir    = errors.New("is a directory")
	errNotDir   = errors.New("not a directory")
	errLinkLoop = errors.New("too many levels of symbolic links")
)

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (n *node) info() fileInfo {
	return fileInfo{name: path.Base(n.name), size: int64(len(n.data)), mode: n.mode, modTime: n.modTime}
}

func dirInfo(name string) fileInfo { return fileInfo{name: name, mode: fs.ModeDir | 0o755} }

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return i.modTime }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }

type openFile struct {
	n *node
	r *bytes.Reader
}

func (o *openFile) Stat() (fs.FileInfo, error) { return o.n.info(), nil }
func (o *openFile) Read(p []byte) (int, error) { return o.r.Read(p) }
func (o *openFile) Close() error               { return nil }
func (o *openFile) ReadAt(p []byte, off int64) (int, error) {
	return o.r.ReadAt(p, off)
}
func (o *openFile) Seek(off int64, whence int) (int64, error) { return o.r.Seek(off, whence) }

type openDir struct {
	name string
	ents []fs.DirEntry
	off  int
}

func (d *openDir) Stat() (fs.FileInfo, error) { return dirInfo(path.Base(d.name)), nil }
func (d *openDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errIsDir}
}
func (d *openDir) Close() error { return nil }
func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.off:]
	if n <= 0 {
		d.off = len(d.ents)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return slices.Clone(rest[:n]), nil
}
