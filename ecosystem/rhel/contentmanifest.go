package rhel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/indexer"
)

// Directories where Red Hat's build system leaves content manifests:
// root/buildinfo/content_manifests in images, usr/share/buildinfo (and its
// content_manifests directory) in RHCOS.
var manifestDirs = []string{
	"root/buildinfo/content_manifests",
	"usr/share/buildinfo/content_manifests",
	"usr/share/buildinfo",
}

// Bounds on what a content manifest may contribute.
const (
	maxManifestSize = 8 << 20
	maxContentSets  = 512
	maxRepoIDLen    = 255
)

// RepositoryScanner reports the content sets (Red Hat repository IDs) of
// the image's content manifests, the JSON files Red Hat's build system
// writes into every layer it builds, as repositories keyed
// "rhel-cpe-repository", one per (content set, CPE) as Clair reports
// them. The CPEs are those DeriveCPEs knows offline; a content set it
// does not know is reported with its ID only (URI "repoid=<id>", no
// name or CPE), for the matcher to resolve with Red Hat's
// repository-to-CPE mapping.
//
// Every manifest of the layer contributes (a squashed image holds its
// base image's manifests too); Clair reads only the first it finds.
type RepositoryScanner struct{}

var _ indexer.Scanner = RepositoryScanner{}

// Name implements indexer.Scanner.
func (RepositoryScanner) Name() string { return "rhel-repository-scanner" }

// Version implements indexer.Scanner.
func (RepositoryScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (RepositoryScanner) Kind() string { return indexer.RepositoryKind }

// Patterns implements indexer.Scanner.
func (RepositoryScanner) Patterns() []string {
	out := make([]string, len(manifestDirs))
	for i, d := range manifestDirs {
		out[i] = d + "/*"
	}
	return out
}

// Scan implements indexer.Scanner.
func (RepositoryScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	ids, err := ContentSets(ctx, fsys)
	if err != nil {
		return nil, err
	}
	f := &indexer.Findings{}
	if len(ids) > 0 {
		f.Repositories = repositoriesFor(ids)
	}
	return f, nil
}

// ContentSets returns the content sets of every content manifest in
// fsys, sorted and without duplicates. Malformed manifests are logged and
// skipped; the error is non-nil only if ctx ends.
func ContentSets(ctx context.Context, fsys fs.FS) ([]string, error) {
	var ids []string
	for _, dir := range manifestDirs {
		ents, _ := fs.ReadDir(fsys, dir) // absent in most layers
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			name := path.Join(dir, e.Name())
			if info, err := e.Info(); err != nil || info.Size() > maxManifestSize {
				slog.WarnContext(ctx, "content manifest skipped: unreadable or too large", "path", name)
				continue
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				slog.WarnContext(ctx, "content manifest unreadable", "path", name, "reason", err)
				continue
			}
			m, err := ParseContentManifest(b)
			switch {
			case errors.Is(err, errNotManifest):
				continue // another buildinfo file, such as labels.json
			case err != nil:
				slog.WarnContext(ctx, "content manifest malformed", "path", name, "reason", err)
				continue
			}
			ids = append(ids, m.ContentSets...)
			if len(ids) > maxContentSets {
				slog.WarnContext(ctx, "content manifests list too many content sets; keeping the first", "count", maxContentSets)
				ids = ids[:maxContentSets]
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// ContentManifest is what Loupe reads of a content manifest
// (root/buildinfo/content_manifests/*.json).
type ContentManifest struct {
	// ContentSets are the Red Hat repository IDs the layer's content
	// was installed from.
	ContentSets []string
	// LayerIndex is metadata.image_layer_index: which layer of the image
	// the manifest describes.
	LayerIndex int
}

var errNotManifest = errors.New("not a content manifest")

// ParseContentManifest parses a content manifest. A JSON object without
// content_sets is not a manifest (errNotManifest); content-set IDs that
// are empty, too long or contain white space or control characters are
// dropped.
func ParseContentManifest(b []byte) (*ContentManifest, error) {
	var raw struct {
		ContentSets *[]any `json:"content_sets"`
		Metadata    struct {
			LayerIndex *int `json:"image_layer_index"`
		} `json:"metadata"`
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("content manifest: %w", err)
	}
	if raw.ContentSets == nil {
		return nil, errNotManifest
	}
	m := &ContentManifest{}
	if raw.Metadata.LayerIndex != nil {
		m.LayerIndex = *raw.Metadata.LayerIndex
	}
	for _, v := range *raw.ContentSets {
		s, ok := v.(string)
		if !ok || !validRepoID(s) {
			continue
		}
		m.ContentSets = append(m.ContentSets, s)
	}
	return m, nil
}

func validRepoID(s string) bool {
	if s == "" || len(s) > maxRepoIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
