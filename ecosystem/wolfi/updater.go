package wolfi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/alpine/secdb"
	"github.com/loupe-dev/loupe/updater"
)

// Default feed URLs.
const (
	DefaultWolfiURL      = "https://packages.wolfi.dev/os/security.json"
	DefaultChainguardURL = "https://packages.cgr.dev/chainguard/security.json"
)

// Updater names, as in claircore's chainguard package.
const (
	WolfiUpdaterName      = "wolfi-updater"
	ChainguardUpdaterName = "chainguard-updater"
)

// linkPrefix makes an advisory's link.
const linkPrefix = "https://images.chainguard.dev/security/"

// Config is the configuration of an updater, from updaters.config.wolfi
// or updaters.config.chainguard (or the updater's name).
type Config struct {
	// URL is the secdb document to read (http, https or file). Empty
	// means the default.
	URL string `json:"url"`
}

// Updater reads one distribution's secdb feed. Make them with WolfiSet
// and ChainguardSet; the zero Updater is not usable.
type Updater struct {
	name       string
	defaultURL string
	url        string
	dist       func() *loupe.Distribution
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// WolfiSet returns the "wolfi" set: one updater, "wolfi-updater", reading
// DefaultWolfiURL until configured.
func WolfiSet() updater.Set {
	return updater.Set{Name: wolfiID, Updaters: []updater.Updater{
		&Updater{name: WolfiUpdaterName, defaultURL: DefaultWolfiURL, url: DefaultWolfiURL, dist: WolfiDistribution},
	}}
}

// ChainguardSet returns the "chainguard" set: one updater,
// "chainguard-updater", reading DefaultChainguardURL until configured.
func ChainguardSet() updater.Set {
	return updater.Set{Name: chainguardID, Updaters: []updater.Updater{
		&Updater{name: ChainguardUpdaterName, defaultURL: DefaultChainguardURL, url: DefaultChainguardURL, dist: ChainguardDistribution},
	}}
}

// Name implements updater.Updater.
func (u *Updater) Name() string { return u.name }

// URL returns the document the updater fetches.
func (u *Updater) URL() string { return u.url }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", u.name, err)
	}
	target := cfg.URL
	if target == "" {
		target = u.defaultURL
	}
	p, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("%s: bad url %q: %w", u.name, target, err)
	}
	switch p.Scheme {
	case "http", "https", "file":
	default:
		return fmt.Errorf("%s: bad url %q: scheme must be http, https or file", u.name, target)
	}
	u.url = target
	return nil
}

// Fetch implements updater.Updater.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if u.url == "" {
		return nil, "", errors.New("wolfi: updater not made by WolfiSet or ChainguardSet")
	}
	return updater.FetchURL(ctx, client, u.url, prev)
}

// Parse implements updater.Updater: it reads a secdb document into
// vulnerabilities of the updater's distribution, as package secdb
// describes.
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	if u.dist == nil {
		return nil, errors.New("wolfi: updater not made by WolfiSet or ChainguardSet")
	}
	vulns, _, err := secdb.Parse(ctx, body, secdb.Options{Updater: u.name, LinkPrefix: linkPrefix})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.name, err)
	}
	d := u.dist()
	for _, v := range vulns {
		v.Dist = d
	}
	return vulns, nil
}
