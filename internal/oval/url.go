package oval

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// documentSuffixes mark a URL that names a feed document rather than the
// directory holding it.
var documentSuffixes = []string{".xml", ".json", ".gz", ".bz2", ".zst", ".zstd"}

// FeedURL resolves an updater's configured URL. Empty means the default,
// dir+file. A URL whose path names a document (ends in .xml, .json, .gz,
// .bz2 or .zst) is the document itself; any other is a directory (a
// mirror of the upstream one) that holds file. The scheme must be http,
// https or file.
//
// This lets one key serve both levels of updaters.config: the set's
// block names a directory for all its updaters, as Clair's "suse" url
// does, and an updater's own block names its document, as Clair's
// per-updater url does.
func FeedURL(configured, dir, file string) (string, error) {
	if configured == "" {
		return dir + file, nil
	}
	u, err := url.Parse(configured)
	if err != nil {
		return "", fmt.Errorf("bad feed url %q: %w", configured, err)
	}
	switch u.Scheme {
	case "http", "https", "file":
	default:
		return "", fmt.Errorf("bad feed url %q: scheme must be http, https or file", configured)
	}
	p := strings.ToLower(u.Path)
	for _, s := range documentSuffixes {
		if strings.HasSuffix(p, s) {
			return configured, nil
		}
	}
	u.Path = path.Join(u.Path, file)
	u.RawPath = ""
	return u.String(), nil
}

// FeedConfig is the configuration of an updater that reads one document,
// under the keys Clair's OVAL updaters take.
type FeedConfig struct {
	// URL is the document, or a directory holding it (see FeedURL).
	URL string `json:"url"`
	// Compression is accepted for compatibility with Clair ("gz",
	// "bz2", "zstd", "none", "auto" or empty) and checked, but not
	// needed: the content's first bytes tell how it is compressed.
	Compression string `json:"compression"`
}

// Resolve checks c and returns the URL to fetch (see FeedURL).
func (c FeedConfig) Resolve(dir, file string) (string, error) {
	switch strings.ToLower(c.Compression) {
	case "", "auto", "none", "gz", "gzip", "bz2", "bzip2", "zstd":
	default:
		return "", fmt.Errorf("unknown compression %q", c.Compression)
	}
	return FeedURL(c.URL, dir, file)
}
