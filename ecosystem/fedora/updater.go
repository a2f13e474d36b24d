package fedora

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/updater"
)

// DefaultURL is Fedora's update system, Bodhi.
const DefaultURL = "https://bodhi.fedoraproject.org/"

// Names of the updater and of its set (the configuration key
// updaters.config.fedora).
const (
	UpdaterName = "fedora-updater"
	SetName     = "fedora"
)

// parserVersion changes whenever the same feed would parse to different
// vulnerabilities, so that a new Loupe parses an unchanged feed again.
const parserVersion = "1"

const (
	rowsPerPage  = 100
	maxPages     = 2000
	maxPageBytes = 128 << 20
)

// Config is the updater's configuration, from updaters.config.fedora (or
// updaters.config.fedora-updater).
type Config struct {
	// URL is Bodhi's address (http or https), or a file URL of saved
	// updates: update records, lists of them, or pages of Bodhi's
	// updates API ({"updates": […]}), one after another. Empty means
	// DefaultURL.
	URL string `json:"url"`
	// Releases are the Fedora releases to update ("40", "41"). Empty
	// means the releases Bodhi lists as current, pending or frozen.
	Releases []string `json:"releases"`
}

// Updater reads Fedora's security updates from Bodhi.
type Updater struct {
	url      string
	releases []string
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// UpdaterSet returns the "fedora" set: one updater, for every release.
func UpdaterSet() updater.Set {
	return updater.Set{Name: SetName, Updaters: []updater.Updater{&Updater{url: DefaultURL}}}
}

// Name implements updater.Updater.
func (*Updater) Name() string { return UpdaterName }

// URL returns the Bodhi server (or file) the updater reads.
func (u *Updater) URL() string {
	if u.url == "" {
		return DefaultURL
	}
	return u.url
}

var releaseNumber = regexp.MustCompile(`^[0-9]{1,4}$`)

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", UpdaterName, err)
	}
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if _, err := rpmfeeds.CheckURL(cfg.URL); err != nil {
		return fmt.Errorf("%s: %w", UpdaterName, err)
	}
	u.url, u.releases = cfg.URL, nil
	for _, r := range cfg.Releases {
		r = strings.TrimPrefix(strings.TrimSpace(r), "F")
		if !releaseNumber.MatchString(r) {
			return fmt.Errorf("%s: bad release %q: want a number such as \"40\"", UpdaterName, r)
		}
		u.releases = append(u.releases, r)
	}
	return nil
}

// Fetch implements updater.Updater. It asks Bodhi for the stable security
// updates of rpm content of the releases (configured, or discovered from
// /releases/), page by page, and keeps the pages as one body. The
// fingerprint is the SHA-256 of what was kept; the feed is unchanged when
// it is the previous one.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	return rpmfeeds.FetchPaged(ctx, client, UpdaterName, u.URL(), parserVersion, prev, u.fetchUpdates)
}

// endpoint returns base's path joined with p, and the query q.
func endpoint(base *url.URL, p string, q url.Values) string {
	e := *base
	e.Path = strings.TrimSuffix(e.Path, "/") + "/" + p
	e.RawQuery = q.Encode()
	return e.String()
}

// getPage reads one page of a Bodhi listing.
func getPage(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	rc, err := rpmfeeds.Get(ctx, client, u)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return rpmfeeds.ReadAll(rc, maxPageBytes)
}

// releaseNames returns the configured releases, or those Bodhi lists as
// current, pending or frozen, whose updates are Fedora's ("F40", id
// prefix FEDORA: not EPEL, containers or flatpaks).
func (u *Updater) releaseNames(ctx context.Context, client *http.Client, base *url.URL) ([]string, error) {
	if len(u.releases) > 0 {
		var out []string
		for _, r := range u.releases {
			out = append(out, "F"+r)
		}
		return out, nil
	}
	var out []string
	for page := 1; page <= maxPages; page++ {
		b, err := getPage(ctx, client, endpoint(base, "releases/", url.Values{
			"rows_per_page": {"1000"}, "page": {strconv.Itoa(page)},
		}))
		if err != nil {
			return nil, fmt.Errorf("releases: %w", err)
		}
		var list struct {
			Releases []struct {
				Name     string `json:"name"`
				Version  string `json:"version"`
				IDPrefix string `json:"id_prefix"`
				State    string `json:"state"`
			} `json:"releases"`
			Pages int `json:"pages"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("releases: %w", err)
		}
		for _, r := range list.Releases {
			switch r.State {
			case "current", "pending", "frozen":
			default:
				continue
			}
			if r.IDPrefix == "FEDORA" && r.Name == "F"+r.Version && releaseNumber.MatchString(r.Version) && !slices.Contains(out, r.Name) {
				out = append(out, r.Name)
			}
		}
		if page >= list.Pages || len(list.Releases) == 0 {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("releases: Bodhi lists no current Fedora release")
	}
	slices.Sort(out)
	return out, nil
}

func (u *Updater) fetchUpdates(ctx context.Context, client *http.Client, w io.Writer, base *url.URL) error {
	names, err := u.releaseNames(ctx, client, base)
	if err != nil {
		return err
	}
	for page := 1; ; page++ {
		if page > maxPages {
			return fmt.Errorf("more than %d pages of updates", maxPages)
		}
		b, err := getPage(ctx, client, endpoint(base, "updates/", url.Values{
			"releases":      {strings.Join(names, ",")},
			"status":        {"stable"},
			"type":          {"security"},
			"content_type":  {"rpm"},
			"rows_per_page": {strconv.Itoa(rowsPerPage)},
			"page":          {strconv.Itoa(page)},
		}))
		if err != nil {
			return fmt.Errorf("updates page %d: %w", page, err)
		}
		var head struct {
			Updates []json.RawMessage `json:"updates"`
			Pages   int               `json:"pages"`
		}
		if err := json.Unmarshal(b, &head); err != nil || head.Updates == nil {
			return fmt.Errorf("updates page %d: not a page of updates", page)
		}
		if len(head.Updates) == 0 {
			return nil
		}
		if _, err := w.Write(append(bytes.TrimSpace(b), '\n')); err != nil {
			return err
		}
		if page >= head.Pages {
			return nil
		}
	}
}
