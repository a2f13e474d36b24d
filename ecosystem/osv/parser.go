package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loupe-dev/loupe"
)

// maxEntrySize bounds one advisory file; a bigger one is skipped as
// malformed. Real advisories are at most a few hundred KiB.
const maxEntrySize = 32 << 20

// statFile is what the body FetchURL returns offers: random access and a
// size, so the archive is read in place.
type statFile interface {
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

// Parse implements updater.Updater. It reads an OSV archive, a zip with
// one advisory per .json, .yaml or .yml file (in any directory; other
// files are ignored), in file-name order, and returns the ecosystem's
// vulnerabilities as doc.go describes. A file that does not decode as an
// advisory is skipped with a warning; a body that is not a zip, or a zip
// entry that does not decompress, fails the parse, so that a damaged
// download never replaces good data.
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	if u.eco == nil {
		return nil, errors.New("osv: updater not made by UpdaterSet")
	}
	z, err := openZip(body)
	if err != nil {
		return nil, fmt.Errorf("osv: %s: reading archive: %w", u.name, err)
	}
	files := make([]*zip.File, 0, len(z.File))
	for _, f := range z.File {
		if isAdvisoryFile(f) {
			files = append(files, f)
		}
	}
	slices.SortStableFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })

	p := parser{
		updater: u.name,
		eco:     u.eco,
		repo:    &loupe.Repository{Name: u.eco.Repo, URI: u.eco.URI},
	}
	var buf bytes.Buffer
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var a advisory
		if err := decodeEntry(f, &buf, &a); err != nil {
			var bad malformedError
			if !errors.As(err, &bad) {
				return nil, fmt.Errorf("osv: %s: %s: %w", u.name, f.Name, err)
			}
			p.stats.Malformed++
			slog.WarnContext(ctx, "osv: skipping malformed advisory", "updater", u.name, "file", f.Name, "reason", bad.err)
			continue
		}
		p.advisory(&a)
	}
	slog.InfoContext(ctx, "osv: parse done", "updater", u.name,
		"files", len(files), "vulnerabilities", len(p.out),
		"withdrawn", p.stats.Withdrawn, "unaffected", p.stats.Unaffected,
		"other_ecosystem", p.stats.Foreign, "no_usable_range", p.stats.Unusable,
		"ignored_ranges", p.stats.Ignored, "malformed", p.stats.Malformed)
	return p.out, nil
}

// openZip opens body in place when it is a file, and from memory
// otherwise.
func openZip(body io.Reader) (*zip.Reader, error) {
	if f, ok := body.(statFile); ok {
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		return zip.NewReader(f, fi.Size())
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	return zip.NewReader(bytes.NewReader(b), int64(len(b)))
}

func isAdvisoryFile(f *zip.File) bool {
	if strings.HasSuffix(f.Name, "/") || f.FileInfo().IsDir() {
		return false
	}
	switch strings.ToLower(path.Ext(f.Name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// malformedError is an advisory file that decompressed but did not
// decode.
type malformedError struct{ err error }

func (e malformedError) Error() string { return e.err.Error() }

// decodeEntry decodes one advisory file into a, through buf. Errors that
// are not a malformedError come from the archive itself.
func decodeEntry(f *zip.File, buf *bytes.Buffer, a *advisory) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	buf.Reset()
	n, err := buf.ReadFrom(io.LimitReader(rc, maxEntrySize+1))
	if err != nil {
		return err
	}
	if n > maxEntrySize {
		return malformedError{fmt.Errorf("larger than %d bytes", maxEntrySize)}
	}
	if strings.EqualFold(path.Ext(f.Name), ".json") {
		err = json.Unmarshal(buf.Bytes(), a)
	} else {
		err = yaml.Unmarshal(buf.Bytes(), a)
	}
	switch {
	case err != nil:
		return malformedError{err}
	case a.ID == "":
		return malformedError{errors.New("no id")}
	}
	return nil
}
