package rocky

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/updater"
)

// DefaultURL is Rocky Linux's errata API (Apollo), in OSV form.
const DefaultURL = "https://apollo.build.resf.org/api/v3/osv/"

// Names of the updater and of its set (the configuration key
// updaters.config.rocky).
const (
	UpdaterName = "rocky-updater"
	SetName     = "rocky"
)

// parserVersion changes whenever the same feed would parse to different
// vulnerabilities, so that a new Loupe parses an unchanged feed again.
const parserVersion = "1"

// Paging limits: pages of pageSize advisories; the API leaves out the
// advisories that name no CVE after slicing a page, so an empty page is
// not the end until emptyPagesAtEnd of them follow one another.
const (
	pageSize        = 100
	emptyPagesAtEnd = 20
	maxPages        = 5000
	maxPageBytes    = 64 << 20
)

// Config is the updater's configuration, from updaters.config.rocky (or
// updaters.config.rocky-updater).
type Config struct {
	// URL is the OSV API to page through (http or https), or a file URL
	// of a copy: a JSON advisory, an array of advisories, a page
	// ({"advisories": […]}) or several of those one after another. Empty
	// means DefaultURL.
	URL string `json:"url"`
}

// Updater reads Rocky Linux's errata.
type Updater struct {
	url string
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// UpdaterSet returns the "rocky" set: one updater, for every release.
func UpdaterSet() updater.Set {
	return updater.Set{Name: SetName, Updaters: []updater.Updater{&Updater{url: DefaultURL}}}
}

// Name implements updater.Updater.
func (*Updater) Name() string { return UpdaterName }

// URL returns the feed the updater reads.
func (u *Updater) URL() string {
	if u.url == "" {
		return DefaultURL
	}
	return u.url
}

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
	u.url = cfg.URL
	return nil
}

// Fetch implements updater.Updater. It reads every page of the API into
// one body: page=1, 2, … with size=100, until emptyPagesAtEnd empty pages
// in a row, or a page identical to the one before (a server that ignores
// paging), or a response that is not a page. The fingerprint is the
// SHA-256 of what was kept; the feed is unchanged when it is the
// previous one.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	return rpmfeeds.FetchPaged(ctx, client, UpdaterName, u.URL(), parserVersion, prev, fetchPages)
}

// pageHead is what Fetch reads of a page.
type pageHead struct {
	Advisories []json.RawMessage `json:"advisories"`
}

func fetchPages(ctx context.Context, client *http.Client, w io.Writer, base *url.URL) error {
	var last [sha256.Size]byte
	empty := 0
	for page := 1; ; page++ {
		if page > maxPages {
			return fmt.Errorf("more than %d pages", maxPages)
		}
		q := base.Query()
		q.Set("page", strconv.Itoa(page))
		q.Set("size", strconv.Itoa(pageSize))
		pu := *base
		pu.RawQuery = q.Encode()
		rc, err := rpmfeeds.Get(ctx, client, pu.String())
		if err != nil {
			return err
		}
		b, err := rpmfeeds.ReadAll(rc, maxPageBytes)
		rc.Close()
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		var head pageHead
		if err := json.Unmarshal(b, &head); err != nil || head.Advisories == nil {
			if page > 1 {
				return fmt.Errorf("page %d: not a page of advisories", page)
			}
			// Not an API: a document of advisories, taken whole.
			_, err := w.Write(b)
			return err
		}
		if len(head.Advisories) == 0 {
			if empty++; empty >= emptyPagesAtEnd {
				return nil
			}
			continue
		}
		empty = 0
		sum := sha256.Sum256(b)
		if sum == last {
			return nil
		}
		last = sum
		if _, err := w.Write(append(bytes.TrimSpace(b), '\n')); err != nil {
			return err
		}
	}
}

// Parse implements updater.Updater. It reads what Fetch kept (see
// rpmfeeds.ParseOSV): one vulnerability per advisory, release ("Rocky
// Linux:9"), source package, fixed version and module stream.
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	vulns, stats, err := rpmfeeds.ParseOSV(ctx, body, osvOptions)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", UpdaterName, err)
	}
	if stats.Malformed+stats.ModuleUnknown+stats.Unsupported > 0 {
		slog.WarnContext(ctx, "rocky errata partly skipped",
			"advisories", stats.Advisories, "malformed", stats.Malformed,
			"module_unknown", stats.ModuleUnknown, "unsupported_ranges", stats.Unsupported)
	}
	return vulns, nil
}

// redHatCVE links a CVE to Red Hat's page for it, the upstream of Rocky
// Linux's errata.
func redHatCVE(id string) string { return "https://access.redhat.com/security/cve/" + id }

var osvOptions = rpmfeeds.OSVOptions{
	Updater:    UpdaterName,
	Ecosystem:  "Rocky Linux",
	Kind:       loupe.SourcePackage,
	Dist:       Distribution,
	CVELink:    redHatCVE,
	RequireCVE: true,
}
