package rpm

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// Directories rpm keeps its database in: the one Fedora, openSUSE and
// RHEL 10 moved to, and the traditional one. Where var/lib/rpm is a
// symlink to the first, the layer keeps no such link (it is not a pattern),
// so each database is read once, at its real place.
var dbDirs = []string{"usr/lib/sysimage/rpm", "var/lib/rpm"}

// A backend is one of rpm's database formats.
type backend struct {
	kind string // as Clair prefixes the package database: "bdb", "ndb", "sqlite"
	file string // the file's name in its directory
	is   func([]byte) bool
	read func(ctx context.Context, db []byte, each func([]byte) error) error
}

var backends = []backend{
	{"bdb", "Packages", isBDB, func(_ context.Context, db []byte, each func([]byte) error) error { return readBDB(db, each) }},
	{"ndb", "Packages.db", isNDB, func(_ context.Context, db []byte, each func([]byte) error) error { return readNDB(db, each) }},
	{"sqlite", "rpmdb.sqlite", isSQLite, readSQLite},
}

// PackageScanner reads rpm's package database in each of its three
// formats (Berkeley DB "Packages", NDB "Packages.db", SQLite
// "rpmdb.sqlite") in var/lib/rpm and usr/lib/sysimage/rpm. Each database
// is named as Clair names it, "<format>:<directory>" (for example
// "sqlite:var/lib/rpm"), and read in memory: nothing is written to disk.
type PackageScanner struct{}

var _ indexer.Scanner = PackageScanner{}

// Name implements indexer.Scanner.
func (PackageScanner) Name() string { return "rpm" }

// Version implements indexer.Scanner.
func (PackageScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (PackageScanner) Kind() string { return indexer.PackageKind }

// Patterns implements indexer.Scanner.
func (PackageScanner) Patterns() []string {
	var p []string
	for _, d := range dbDirs {
		for _, b := range backends {
			p = append(p, path.Join(d, b.file))
		}
	}
	return p
}

// Scan implements indexer.Scanner.
//
// A database file that is present but cannot be read (a wrong magic
// number, a damaged page, a malformed header) is an error that names the
// file: a partial package list would hide vulnerabilities. An empty file is
// a database with no packages, as rpm would treat it. The gpg-pubkey
// entries rpm keeps for imported signing keys are not packages and are
// left out.
func (PackageScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var f indexer.Findings
	read := make(map[string][]byte) // by backend
	for _, dir := range dbDirs {
		for _, b := range backends {
			name := path.Join(dir, b.file)
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				// Absent, or not a regular file: the layer's content,
				// which a retry will not change.
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if prev, ok := read[b.kind]; ok && len(data) > 0 && bytes.Equal(prev, data) {
				// The same database under both names: a symlinked
				// file, or a copy. Its packages are counted once.
				continue
			}
			read[b.kind] = data
			db := b.kind + ":" + dir
			f.Databases = append(f.Databases, db)
			if len(data) == 0 {
				continue
			}
			if !b.is(data) {
				return nil, fmt.Errorf("%s: not an rpm %s database", name, b.kind)
			}
			n := 0
			err = b.read(ctx, data, func(blob []byte) error {
				n++
				h, err := parseHeader(blob)
				if err != nil {
					return fmt.Errorf("package %d: %w", n, err)
				}
				if p := h.pkg(db); p != nil {
					f.Packages = append(f.Packages, p)
				}
				return nil
			})
			if err != nil {
				if cerr := ctx.Err(); cerr != nil {
					return nil, cerr
				}
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return &f, nil
}

// pkg returns the package h describes, or nil for a gpg-pubkey entry.
func (h *header) pkg(db string) *loupe.Package {
	if h.Name == "gpg-pubkey" {
		return nil
	}
	p := &loupe.Package{
		Kind:           loupe.BinaryPackage,
		Name:           h.Name,
		Version:        h.EVR(),
		Arch:           h.Arch,
		Module:         h.Module(),
		PackageDB:      db,
		RepositoryHint: h.RepositoryHint(),
	}
	if name, version, ok := h.Source(); ok {
		// Clair puts the module on the source package too.
		p.Source = &loupe.Package{Kind: loupe.SourcePackage, Name: name, Version: version, Module: p.Module}
	}
	return p
}
