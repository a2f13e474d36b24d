package oval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/loupe-dev/loupe/updater"
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

// Source is the one document a feed's updater reads: where upstream
// keeps it (Dir and File) and the URL the updater's configuration
// (FeedConfig) resolves that to. Updaters embed it, which gives them
// URL, Configure and Fetch; NewSource makes one.
type Source struct {
	Dir, File string
	url       string
}

// NewSource returns the document file in the upstream directory dir,
// fetched from there until configured otherwise.
func NewSource(dir, file string) Source {
	return Source{Dir: dir, File: file, url: dir + file}
}

// URL returns where the document is fetched from.
func (d *Source) URL() string { return d.url }

// Configure implements updater.Configurable: the url key names the
// document or a mirror of Dir (see FeedURL).
func (d *Source) Configure(decode func(any) error) error {
	var cfg FeedConfig
	if err := decode(&cfg); err != nil {
		return err
	}
	target, err := cfg.Resolve(d.Dir, d.File)
	if err != nil {
		return err
	}
	d.url = target
	return nil
}

// Fetch implements updater.Updater's Fetch with updater.FetchURL, so an
// unchanged document is not fetched or parsed again.
func (d *Source) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if d.url == "" {
		return nil, "", errors.New("oval: updater has no document (not made by its package's NewUpdater)")
	}
	return updater.FetchURL(ctx, client, d.url, prev)
}
