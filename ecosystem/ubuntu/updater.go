package ubuntu

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/loupe-dev/loupe/updater"
)

// DefaultOSVURL is OSV.dev's archive of every record of the Ubuntu
// ecosystem, which OSV.dev imports from Canonical's OSV data.
const DefaultOSVURL = "https://osv-vulnerabilities.storage.googleapis.com/Ubuntu/all.zip"

// UpdaterName is the updater of every Ubuntu vulnerability.
const UpdaterName = "ubuntu/updater"

// SetName is the name of the updater set, and its configuration key
// (updaters.config.ubuntu).
const SetName = "ubuntu"

// Config is the updater's configuration, from updaters.config.ubuntu or
// updaters.config["ubuntu/updater"].
//
// Clair's keys for its OVAL updaters are accepted and have no effect:
// url and name (its Launchpad API server, used to list the releases, which
// the OSV records name themselves), force (releases to add to that list:
// every release in the data is read) and, per release, use_bzip2.
type Config struct {
	// OSVURL is where the records are fetched from: an http, https or
	// file URL of a zip (such as OSV.dev's Ubuntu/all.zip), a tar or a
	// gzip-compressed tar holding UBUNTU-CVE-*.json files in any
	// directory (such as a tarball of the ubuntu-security-notices
	// repository), or a JSON record or array of records. Empty means
	// DefaultOSVURL.
	OSVURL string `json:"osv_url"`
	// Releases limits the data kept to these releases, by codename
	// ("noble") or version ("24.04"). Empty keeps every release.
	Releases []string `json:"releases"`
}

// Updater fetches and parses Ubuntu's CVE records in OSV form.
type Updater struct {
	url      string
	releases []string
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// Name implements updater.Updater.
func (*Updater) Name() string { return UpdaterName }

// URL returns the feed URL the updater fetches.
func (u *Updater) URL() string {
	if u.url == "" {
		return DefaultOSVURL
	}
	return u.url
}

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("ubuntu: %w", err)
	}
	target := strings.TrimSpace(cfg.OSVURL)
	if target == "" {
		target = DefaultOSVURL
	}
	p, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("ubuntu: bad osv_url %q: %w", target, err)
	}
	switch p.Scheme {
	case "http", "https", "file":
	default:
		return fmt.Errorf("ubuntu: bad osv_url %q: scheme must be http, https or file", target)
	}
	u.url = target
	u.releases = nil
	for _, r := range cfg.Releases {
		if r = strings.ToLower(strings.TrimSpace(r)); r != "" {
			u.releases = append(u.releases, r)
		}
	}
	return nil
}

// releaseFilter returns the configured releases as a set of codenames and
// versions, or nil for all of them.
func (u *Updater) releaseFilter() map[string]bool {
	if len(u.releases) == 0 {
		return nil
	}
	m := make(map[string]bool, 2*len(u.releases))
	for _, r := range u.releases {
		m[r] = true
		if c := codenameOf(r); c != "" {
			m[c] = true
		}
	}
	return m
}

// Fetch implements updater.Updater: the archive through updater.FetchURL,
// so that an unchanged one (same ETag, Last-Modified or SHA-256) is not
// parsed again.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	return updater.FetchURL(ctx, client, u.URL(), prev)
}

// UpdaterSet returns the "ubuntu" updater set: one updater for every
// release.
func UpdaterSet() updater.Set {
	return updater.Set{Name: SetName, Updaters: []updater.Updater{&Updater{url: DefaultOSVURL}}}
}
