package alma

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/updater"
)

// DefaultURL is where AlmaLinux publishes its errata: <N>/errata.full.json
// for each major release N.
const DefaultURL = "https://errata.almalinux.org/"

// SetName is the name of the updater set, and its configuration key
// (updaters.config.alma).
const SetName = "alma"

// Releases are the major releases the set has an updater for.
var Releases = []string{"8", "9", "10"}

// parserVersion changes whenever the same feed would parse to different
// vulnerabilities, so that a new Loupe parses an unchanged feed again.
const parserVersion = "1"

// Config is an updater's configuration, from updaters.config.alma, or
// updaters.config.alma-<N>-updater for one release.
type Config struct {
	// URL is where the errata are (http, https or file): a base under
	// which <N>/errata.full.json is read, or, when it ends in ".json",
	// the document itself (for one release's updater). Empty means
	// DefaultURL.
	URL string `json:"url"`
	// Releases are the major releases to update; empty means all of
	// Releases. An updater of another release does nothing (its Fetch
	// reports the feed unchanged), and what it stored before stays until
	// garbage collection.
	Releases []string `json:"releases"`
}

// Updater reads one major release's errata. Make them with UpdaterSet.
type Updater struct {
	release  string
	url      string
	disabled bool
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// UpdaterSet returns the "alma" set: one updater per release of
// Releases, named "alma-<N>-updater".
func UpdaterSet() updater.Set {
	s := updater.Set{Name: SetName}
	for _, r := range Releases {
		u := &Updater{release: r}
		u.url = u.documentURL(DefaultURL)
		s.Updaters = append(s.Updaters, u)
	}
	return s
}

// NewUpdater returns the updater of one major release, reading
// DefaultURL until configured.
func NewUpdater(release string) *Updater {
	u := &Updater{release: release}
	u.url = u.documentURL(DefaultURL)
	return u
}

// Name implements updater.Updater.
func (u *Updater) Name() string { return "alma-" + u.release + "-updater" }

// URL returns the document the updater fetches.
func (u *Updater) URL() string { return u.url }

// Enabled reports whether the configured releases include the updater's.
func (u *Updater) Enabled() bool { return !u.disabled }

func (u *Updater) documentURL(base string) string {
	if strings.HasSuffix(base, ".json") {
		return base
	}
	return strings.TrimSuffix(base, "/") + "/" + u.release + "/errata.full.json"
}

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	target := u.documentURL(cfg.URL)
	if _, err := rpmfeeds.CheckURL(target); err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	u.url = target
	u.disabled = len(cfg.Releases) > 0 && !slices.Contains(cfg.Releases, u.release)
	return nil
}

// Fetch implements updater.Updater: the release's document through
// updater.FetchURL, so that an unchanged one (same ETag, Last-Modified or
// SHA-256) is not parsed again.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if u.release == "" {
		return nil, "", fmt.Errorf("alma: updater not made by UpdaterSet or NewUpdater")
	}
	if u.disabled {
		return nil, "", updater.ErrUnchanged
	}
	old, ok := strings.CutPrefix(prev, parserVersion+":")
	if !ok {
		old = "" // another parser's fingerprint: fetch again
	}
	body, fp, err := updater.FetchURL(ctx, client, u.url, old)
	if err != nil {
		return nil, "", err
	}
	return body, parserVersion + ":" + fp, nil
}
