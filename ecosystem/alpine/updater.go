package alpine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/alpine/secdb"
	"github.com/loupe-dev/loupe/updater"
)

// DefaultURL is the Alpine security database, laid out as
// <release>/<repository>.json ("v3.18/main.json", "edge/community.json").
const DefaultURL = "https://secdb.alpinelinux.org/"

// SetName is the updater set's name and its configuration key
// (updaters.config.alpine).
const SetName = "alpine"

// linkPrefix makes an advisory's link, as in Clair.
const linkPrefix = "https://security.alpinelinux.org/vuln/"

// Releases the set has an updater for: v3.3 (the first Clair reads) to
// lastKnownMinor are published; the later ones, up to lastMinor, are
// fetched once they appear, so that new releases are covered without a
// new Loupe. Clair finds releases by probing the server instead, which
// Loupe's fixed updater sets cannot do.
const (
	firstMinor     = 3
	lastKnownMinor = 23
	lastMinor      = 30
)

// repositories are the secdb repositories of every release.
var repositories = []string{"main", "community"}

// Config is the configuration of Alpine updaters, from
// updaters.config.alpine or updaters.config.<updater name>.
type Config struct {
	// URL is the base of a copy of the security database (http, https or
	// file), under which each updater reads <release>/<repo>.json. A URL
	// whose path ends in ".json", ".yaml" or ".yml" is the updater's
	// document itself, as Clair's per-updater url is. A missing trailing
	// "/" on a base is added. Empty means DefaultURL.
	URL string `json:"url"`
}

// Updater reads one repository of one Alpine release. Make them with
// UpdaterSet; the zero Updater is not usable.
type Updater struct {
	release string // "3.18" or "edge"
	repo    string // "main" or "community"
	url     string
	// probe is set for releases that may not be published yet.
	probe bool
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// UpdaterSet returns the "alpine" set: for each release from v3.3 on, and
// edge, one updater per repository, named as in Clair
// ("alpine-main-v3.18-updater", "alpine-community-edge-updater"), reading
// from DefaultURL until configured.
func UpdaterSet() updater.Set {
	s := updater.Set{Name: SetName}
	add := func(release string, probe bool) {
		for _, repo := range repositories {
			u := &Updater{release: release, repo: repo, probe: probe}
			u.url, _ = documentURL(DefaultURL, u.dir(), repo)
			s.Updaters = append(s.Updaters, u)
		}
	}
	for minor := firstMinor; minor <= lastMinor; minor++ {
		add("3."+strconv.Itoa(minor), minor > lastKnownMinor)
	}
	add(edge, false)
	return s
}

// dir is the release's directory in the database: "v3.18" or "edge".
func (u *Updater) dir() string {
	if u.release == edge {
		return edge
	}
	return "v" + u.release
}

// Name implements updater.Updater.
func (u *Updater) Name() string {
	return "alpine-" + u.repo + "-" + u.dir() + "-updater"
}

// URL returns the document the updater fetches.
func (u *Updater) URL() string { return u.url }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("alpine: %w", err)
	}
	base := cfg.URL
	if base == "" {
		base = DefaultURL
	}
	target, err := documentURL(base, u.dir(), u.repo)
	if err != nil {
		return err
	}
	u.url = target
	return nil
}

// documentURL checks base and returns the document of release dir and
// repository repo under it, or base itself when it names a document.
func documentURL(base, dir, repo string) (string, error) {
	p, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("alpine: bad url %q: %w", base, err)
	}
	switch p.Scheme {
	case "http", "https", "file":
	default:
		return "", fmt.Errorf("alpine: bad url %q: scheme must be http, https or file", base)
	}
	switch path.Ext(p.Path) {
	case ".json", ".yaml", ".yml":
		return base, nil
	}
	return p.JoinPath(dir, repo+".json").String(), nil
}

// Fetch implements updater.Updater. A document the server does not have
// (404, or no such file) is reported as updater.ErrUnchanged, so that a
// mirror carrying only some releases works, as Clair's discovery lets it:
// silently for a release that may not be published yet (which is checked
// with a HEAD request before it is fetched), with a warning for the
// others.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if u.probe {
		ok, err := exists(ctx, client, u.url)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			slog.DebugContext(ctx, "alpine: release not published yet", "updater", u.Name(), "url", u.url)
			return nil, "", updater.ErrUnchanged
		}
	}
	body, fp, err := updater.FetchURL(ctx, client, u.url, prev)
	if err != nil && !errors.Is(err, updater.ErrUnchanged) && !u.probe {
		if ok, perr := exists(ctx, client, u.url); perr == nil && !ok {
			slog.WarnContext(ctx, "alpine: security database missing; keeping what was fetched before", "updater", u.Name(), "url", u.url)
			return nil, "", updater.ErrUnchanged
		}
	}
	return body, fp, err
}

// exists reports whether the document at rawURL is there: a HEAD request
// answered 200 (anything but 404 and 410 is an error), or a file.
func exists(ctx context.Context, client *http.Client, rawURL string) (bool, error) {
	p, err := url.Parse(rawURL)
	if err != nil {
		return false, err
	}
	if p.Scheme == "file" {
		_, err := os.Stat(p.Path)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, fs.ErrNotExist):
			return false, nil
		}
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, rawURL, nil)
	if err != nil {
		return false, err
	}
	res, err := client.Do(req)
	if err != nil {
		return false, err
	}
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound, http.StatusGone:
		return false, nil
	}
	return false, fmt.Errorf("checking %s: unexpected status %s", p.Redacted(), res.Status)
}

// Parse implements updater.Updater: it reads a secdb document (JSON, or
// the YAML of the old alpine-secdb repository) into vulnerabilities of the
// updater's release, as package secdb describes, with links to
// security.alpinelinux.org and Clair's distribution: did alpine, name
// "Alpine Linux", version_id "3.18" (or "edge"), pretty_name "Alpine Linux
// v3.18". The zero Updater takes the release from the document's
// distroversion.
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	name := ""
	if u.repo != "" {
		name = u.Name()
	}
	vulns, h, err := secdb.Parse(ctx, body, secdb.Options{Updater: name, LinkPrefix: linkPrefix})
	if err != nil {
		return nil, fmt.Errorf("alpine: %w", err)
	}
	release := u.release
	if release == "" {
		release = releaseOfDir(h.DistroVersion)
		if release == "" {
			return nil, fmt.Errorf("alpine: document names no release (distroversion %q)", h.DistroVersion)
		}
		if name == "" {
			repo := h.RepoName
			if repo == "" {
				repo = "main"
			}
			name = (&Updater{release: release, repo: repo}).Name()
			for _, v := range vulns {
				v.Updater = name
			}
		}
	}
	d := FeedDistribution(release)
	for _, v := range vulns {
		v.Dist = d
	}
	return vulns, nil
}

// releaseOfDir reads a distroversion: "v3.18" or "edge".
func releaseOfDir(dv string) string {
	dv = strings.TrimSpace(dv)
	if dv == edge {
		return edge
	}
	return majorMinor(dv)
}

// FeedDistribution returns the Distribution Clair gives the
// vulnerabilities of an Alpine release ("3.18" or "edge"): did alpine,
// name "Alpine Linux", version_id the release, pretty_name as the scanner
// reports it.
func FeedDistribution(release string) *loupe.Distribution {
	return &loupe.Distribution{DID: distID, Name: distName, VersionID: release, PrettyName: prettyName(release)}
}
