package debian

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// Paths of the dpkg databases.
const (
	statusPath   = "var/lib/dpkg/status"
	statusDirPat = "var/lib/dpkg/status.d/*"
	statusDir    = "var/lib/dpkg/status.d"
)

// PackageScanner reads the dpkg database, var/lib/dpkg/status, and the
// per-package files distroless images keep in var/lib/dpkg/status.d/.
// Each status.d file is a database of its own, so that a layer adding one
// does not hide the others.
type PackageScanner struct{}

var _ indexer.Scanner = PackageScanner{}

// Name implements indexer.Scanner.
func (PackageScanner) Name() string { return "dpkg" }

// Version implements indexer.Scanner.
func (PackageScanner) Version() string { return "2" }

// Kind implements indexer.Scanner.
func (PackageScanner) Kind() string { return indexer.PackageKind }

// Patterns implements indexer.Scanner.
func (PackageScanner) Patterns() []string { return []string{statusPath, statusDirPat} }

// Scan implements indexer.Scanner.
func (s PackageScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var f indexer.Findings
	dbs := []string{statusPath}
	ents, _ := fs.ReadDir(fsys, statusDir) // absent in most images
	for _, e := range ents {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".md5sums") {
			dbs = append(dbs, path.Join(statusDir, e.Name()))
		}
	}
	for _, db := range dbs {
		b, err := fs.ReadFile(fsys, db)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist):
			continue
		default:
			// The layer's own content is at fault (a directory, a
			// link loop): nothing a retry would change.
			slog.WarnContext(ctx, "dpkg database unreadable", "path", db, "reason", err)
			continue
		}
		stanzas, bad := parseStatus(b, db == statusPath)
		if bad > 0 {
			slog.WarnContext(ctx, "dpkg database has malformed entries", "path", db, "skipped", bad)
		}
		f.Databases = append(f.Databases, db)
		for i := range stanzas {
			st := &stanzas[i]
			if !st.installed() {
				continue
			}
			srcName, srcVersion := st.source()
			f.Packages = append(f.Packages, &loupe.Package{
				Name:      st.Package,
				Version:   st.Version,
				Kind:      loupe.BinaryPackage,
				Arch:      st.Architecture,
				PackageDB: db,
				Source: &loupe.Package{
					Name:    srcName,
					Version: srcVersion,
					Kind:    loupe.SourcePackage,
				},
			})
		}
	}
	return &f, nil
}
