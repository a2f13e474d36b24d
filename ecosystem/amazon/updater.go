package amazon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/updater"
)

// SetName is the name of the updater set, as in Clair.
const SetName = "aws"

// parserVersion changes whenever the same feed would parse to different
// vulnerabilities, so that a new Loupe parses an unchanged feed again.
const parserVersion = "1"

// MirrorList returns the release's mirror list, Clair's source: each line
// a base URL of the release's x86_64 update repository.
func (r Release) MirrorList() string {
	switch r {
	case AL1:
		return "http://repo.us-west-2.amazonaws.com/2018.03/updates/x86_64/mirror.list"
	case AL2:
		return "https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list"
	case AL2023:
		return "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list"
	}
	return ""
}

const (
	maxMirrorList = 1 << 20
	maxRepoMD     = 16 << 20
)

// Config is an updater's configuration, from
// updaters.config.aws-<release>-updater.
type Config struct {
	// URL is the mirror list to read (http, https or file): lines, each
	// the base URL (http, https or file) of a repository whose
	// repodata/repomd.xml locates its updateinfo. Empty means the
	// release's MirrorList.
	URL string `json:"url"`
}

// Updater reads one release's advisories (ALAS). Make them with
// UpdaterSet or NewUpdater.
type Updater struct {
	release Release
	url     string
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// NewUpdater returns the updater of a release, reading its MirrorList
// until configured.
func NewUpdater(r Release) *Updater { return &Updater{release: r, url: r.MirrorList()} }

// UpdaterSet returns the "aws" set: "aws-AL1-updater", "aws-AL2-updater"
// and "aws-AL2023-updater", as in Clair.
func UpdaterSet() updater.Set {
	s := updater.Set{Name: SetName}
	for _, r := range Releases {
		s.Updaters = append(s.Updaters, NewUpdater(r))
	}
	return s
}

// Name implements updater.Updater.
func (u *Updater) Name() string { return "aws-" + string(u.release) + "-updater" }

// URL returns the mirror list the updater reads.
func (u *Updater) URL() string { return u.url }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	if cfg.URL == "" {
		cfg.URL = u.release.MirrorList()
	}
	if _, err := rpmfeeds.CheckURL(cfg.URL); err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	u.url = cfg.URL
	return nil
}

// Fetch implements updater.Updater. It reads the mirror list, then, from
// the first mirror that serves them, the repository's repomd.xml and the
// updateinfo it locates, checking the updateinfo against the checksum
// repomd.xml gives. The fingerprint is that checksum, so an unchanged
// updateinfo is not downloaded, as in Clair.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if u.release.Distribution() == nil {
		return nil, "", errors.New("aws: updater not made by UpdaterSet or NewUpdater")
	}
	mirrors, err := u.mirrors(ctx, client)
	if err != nil {
		return nil, "", fmt.Errorf("%s: mirror list: %w", u.Name(), err)
	}
	var errs []error
	for _, m := range mirrors {
		body, fp, err := u.fetchFrom(ctx, client, m, prev)
		if err == nil || errors.Is(err, updater.ErrUnchanged) || ctx.Err() != nil {
			return body, fp, err
		}
		errs = append(errs, fmt.Errorf("mirror %s: %w", m, err))
	}
	return nil, "", fmt.Errorf("%s: every mirror failed: %w", u.Name(), errors.Join(errs...))
}

// mirrors returns the base URLs of the mirror list.
func (u *Updater) mirrors(ctx context.Context, client *http.Client) ([]string, error) {
	rc, err := rpmfeeds.Get(ctx, client, u.url)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := rpmfeeds.ReadAll(rc, maxMirrorList)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if _, err := rpmfeeds.CheckURL(line); err == nil {
			out = append(out, strings.TrimSuffix(line, "/"))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no mirrors")
	}
	return out, nil
}

// repoMD is the part of repodata/repomd.xml Fetch reads.
type repoMD struct {
	Data []struct {
		Type     string `xml:"type,attr"`
		Checksum struct {
			Type string `xml:"type,attr"`
			Sum  string `xml:",chardata"`
		} `xml:"checksum"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
	} `xml:"data"`
}

func (u *Updater) fetchFrom(ctx context.Context, client *http.Client, mirror, prev string) (io.ReadCloser, string, error) {
	rc, err := rpmfeeds.Get(ctx, client, mirror+"/repodata/repomd.xml")
	if err != nil {
		return nil, "", err
	}
	b, err := rpmfeeds.ReadAll(rc, maxRepoMD)
	rc.Close()
	if err != nil {
		return nil, "", fmt.Errorf("repomd.xml: %w", err)
	}
	var md repoMD
	if err := xml.Unmarshal(b, &md); err != nil {
		return nil, "", fmt.Errorf("repomd.xml: %w", err)
	}
	for _, d := range md.Data {
		if d.Type != "updateinfo" {
			continue
		}
		sum := strings.ToLower(strings.TrimSpace(d.Checksum.Sum))
		if sum == "" || d.Location.Href == "" {
			return nil, "", errors.New("repomd.xml: updateinfo without checksum or location")
		}
		fp := parserVersion + ":" + sum
		if fp == prev {
			return nil, "", updater.ErrUnchanged
		}
		loc, err := resolve(mirror, d.Location.Href)
		if err != nil {
			return nil, "", err
		}
		body, err := download(ctx, client, loc, d.Checksum.Type, sum)
		if err != nil {
			return nil, "", err
		}
		return body, fp, nil
	}
	return nil, "", errors.New("repomd.xml: no updateinfo")
}

// resolve returns the URL of a repomd location under a mirror.
func resolve(mirror, href string) (string, error) {
	base, err := url.Parse(mirror + "/")
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(href)
	if err != nil {
		return "", fmt.Errorf("repomd.xml: location %q: %w", href, err)
	}
	return base.ResolveReference(ref).String(), nil
}

// download spools loc, checking a SHA-256 checksum (the type every
// Amazon Linux repository uses; others are not checked).
func download(ctx context.Context, client *http.Client, loc, sumType, sum string) (io.ReadCloser, error) {
	rc, err := rpmfeeds.Get(ctx, client, loc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	spool, err := rpmfeeds.NewSpool()
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(spool, rc); err != nil {
		spool.Discard()
		return nil, fmt.Errorf("updateinfo: %w", err)
	}
	if strings.EqualFold(sumType, "sha256") {
		if got := spool.Sum(); got != sum {
			spool.Discard()
			return nil, fmt.Errorf("updateinfo: checksum %s, repomd.xml says %s", got, sum)
		}
	}
	return spool.Body()
}
