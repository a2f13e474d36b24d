package osv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/loupe-dev/loupe/updater"
)

// DefaultURL is the OSV project's public bucket: one directory per
// ecosystem, each holding an all.zip of that ecosystem's advisories.
const DefaultURL = "https://osv-vulnerabilities.storage.googleapis.com/"

// SetName is the name of the updater set, and the default configuration
// key (updaters.config.osv).
const SetName = "osv"

// ecosystem is one OSV ecosystem this package reads, and how its data is
// stored.
type ecosystem struct {
	// Name is OSV's spelling: the package.ecosystem value and the
	// directory of the bucket.
	Name string
	// Repo is the lower-case name, used for the updater name and the
	// vulnerabilities' repository name.
	Repo string
	// URI is the vulnerabilities' repository URI.
	URI string
	// Query is set for the ecosystems whose matchers read FixedInVersion
	// as a URL query (introduced, fixed, lastAffected) even for SEMVER
	// ranges.
	Query bool
	// Semver is set for the ecosystems whose versions are SemVer, so
	// that an ECOSYSTEM range is read as a SEMVER one.
	Semver bool
}

// ecosystems are the supported ecosystems, in the order UpdaterSet lists
// them. Repository URIs are Clair's where Clair has one (it has none for
// Hex and Pub).
var ecosystems = []ecosystem{
	{Name: "Go", Repo: "go", URI: "https://pkg.go.dev/", Semver: true},
	{Name: "PyPI", Repo: "pypi", URI: "https://pypi.org/", Query: true},
	{Name: "crates.io", Repo: "crates.io", URI: "https://crates.io/"},
	{Name: "RubyGems", Repo: "rubygems", URI: "https://rubygems.org/gems/", Query: true},
	{Name: "npm", Repo: "npm", URI: "https://www.npmjs.com/", Semver: true},
	{Name: "Maven", Repo: "maven", URI: "https://repo1.maven.apache.org/maven2", Query: true},
	{Name: "NuGet", Repo: "nuget", URI: "https://www.nuget.org/packages/"},
	{Name: "Packagist", Repo: "packagist", URI: "https://packagist.org/"},
	{Name: "Hex", Repo: "hex", URI: "https://hex.pm/"},
	{Name: "Pub", Repo: "pub", URI: "https://pub.dev/"},
}

// Config is the configuration every OSV updater takes, from
// updaters.config.osv or updaters.config.<updater name> (for example
// updaters.config["osv/pypi"]).
type Config struct {
	// URL is the base URL of a copy of the OSV bucket (http, https or
	// file); an updater fetches <URL><Ecosystem>/all.zip. A missing
	// trailing "/" is added. A URL whose path ends in ".zip" is the
	// archive itself, as in Clair's per-updater configuration; an
	// archive may hold several ecosystems, since each updater keeps only
	// its own. Empty means DefaultURL.
	URL string `json:"url"`
	// Allowlist names the ecosystems to update, ignoring case ("go",
	// "PyPI", "crates.io"). Empty means all of them. An updater whose
	// ecosystem is not listed is disabled: its Fetch reports
	// updater.ErrUnchanged without using the network, so the data it
	// stored before, if any, stays.
	Allowlist []string `json:"allowlist"`
}

// Updater fetches and parses one ecosystem's OSV archive. Make them with
// UpdaterSet; the zero Updater is not usable.
type Updater struct {
	eco      *ecosystem
	name     string
	url      string
	disabled bool
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// UpdaterSet returns the "osv" set: one updater per supported ecosystem,
// named osv/<lower-case ecosystem> as in Clair (osv/go, osv/pypi,
// osv/crates.io, osv/rubygems, osv/npm, osv/maven, osv/nuget,
// osv/packagist, osv/hex, osv/pub), each reading from DefaultURL until
// configured.
func UpdaterSet() updater.Set {
	s := updater.Set{Name: SetName, Updaters: make([]updater.Updater, 0, len(ecosystems))}
	for i := range ecosystems {
		s.Updaters = append(s.Updaters, newUpdater(&ecosystems[i]))
	}
	return s
}

func newUpdater(e *ecosystem) *Updater {
	u := &Updater{eco: e, name: "osv/" + e.Repo}
	u.url, _ = archiveURL(DefaultURL, e.Name)
	return u
}

// Name implements updater.Updater.
func (u *Updater) Name() string { return u.name }

// Ecosystem returns the OSV name of the updater's ecosystem, for example
// "PyPI".
func (u *Updater) Ecosystem() string { return u.eco.Name }

// Enabled reports whether the configured allowlist lets the updater run.
// A caller may leave disabled updaters out; running one is harmless.
func (u *Updater) Enabled() bool { return !u.disabled }

// URL returns the archive URL the updater fetches.
func (u *Updater) URL() string { return u.url }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("osv: %w", err)
	}
	base := cfg.URL
	if base == "" {
		base = DefaultURL
	}
	target, err := archiveURL(base, u.eco.Name)
	if err != nil {
		return err
	}
	u.url = target
	u.disabled = false
	if len(cfg.Allowlist) > 0 {
		u.disabled = true
		for _, a := range cfg.Allowlist {
			if strings.EqualFold(strings.TrimSpace(a), u.eco.Name) {
				u.disabled = false
				break
			}
		}
	}
	return nil
}

// archiveURL checks base and returns the URL of eco's archive under it.
func archiveURL(base, eco string) (string, error) {
	p, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("osv: bad url %q: %w", base, err)
	}
	switch p.Scheme {
	case "http", "https", "file":
	default:
		return "", fmt.Errorf("osv: bad url %q: scheme must be http, https or file", base)
	}
	if strings.HasSuffix(p.Path, ".zip") {
		return base, nil
	}
	// JoinPath supplies the missing "/" and keeps any query.
	return p.JoinPath(eco, "all.zip").String(), nil
}

// Fetch implements updater.Updater. It downloads the ecosystem's
// all.zip, or reports updater.ErrUnchanged when the updater is disabled
// by the allowlist or the archive has not changed (same ETag,
// Last-Modified or content hash).
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if u.disabled {
		slog.DebugContext(ctx, "osv: updater not in allowlist, skipping fetch", "updater", u.name)
		return nil, "", updater.ErrUnchanged
	}
	return updater.FetchURL(ctx, client, u.url, prev)
}
