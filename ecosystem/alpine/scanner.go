package alpine

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// InstalledPath is where apk keeps its database of installed packages, in
// Alpine, Wolfi and Chainguard images alike.
const InstalledPath = "lib/apk/db/installed"

// mergedInstalledPath is where the database lives in images whose /lib is
// a link to /usr/lib ("merged /usr"): apk still opens lib/apk/db/installed,
// but a layer that changes the database holds it under usr/lib, and
// usually not the link, which an older layer provides.
const mergedInstalledPath = "usr/" + InstalledPath

// PackageScanner reads the apk database, lib/apk/db/installed, as Clair's
// "apk" scanner does: one binary package per entry, with its origin as
// the source package and its build commit as the repository hint. It
// serves every apk-based distribution; the distribution scanners tell
// them apart.
type PackageScanner struct{}

var _ indexer.Scanner = PackageScanner{}

// Name implements indexer.Scanner.
func (PackageScanner) Name() string { return "apk" }

// Version implements indexer.Scanner.
func (PackageScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (PackageScanner) Kind() string { return indexer.PackageKind }

// Patterns implements indexer.Scanner.
func (PackageScanner) Patterns() []string { return []string{InstalledPath, mergedInstalledPath} }

// Scan implements indexer.Scanner. It reads lib/apk/db/installed, or,
// when the layer has none, usr/lib/apk/db/installed (merged /usr), and
// names the database by the path it read. A layer with the database
// reports it in Findings.Databases even when it lists no package, so that
// it replaces the copies of lower layers; a layer that deletes it (a
// whiteout) leaves the image without apk packages.
func (PackageScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var f indexer.Findings
	var (
		db string
		b  []byte
	)
	for _, p := range []string{InstalledPath, mergedInstalledPath} {
		var err error
		b, err = fs.ReadFile(fsys, p)
		if err == nil {
			db = p
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			// The layer's own content is at fault (a directory, a
			// link loop): nothing a retry would change.
			slog.WarnContext(ctx, "apk database unreadable", "path", p, "reason", err)
		}
	}
	if db == "" {
		return &f, nil
	}
	entries, bad := parseInstalled(b)
	if bad > 0 {
		slog.WarnContext(ctx, "apk database has malformed entries", "path", db, "skipped", bad)
	}
	f.Databases = []string{db}
	f.Packages = make([]*loupe.Package, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		p := &loupe.Package{
			Name:           e.Name,
			Version:        e.Version,
			Kind:           loupe.BinaryPackage,
			Arch:           e.Arch,
			PackageDB:      db,
			RepositoryHint: e.Commit,
		}
		if e.Origin != "" {
			p.Source = &loupe.Package{Name: e.Origin, Version: e.Version, Kind: loupe.SourcePackage}
		}
		f.Packages = append(f.Packages, p)
	}
	return &f, nil
}
