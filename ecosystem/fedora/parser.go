package fedora

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/version"
)

// update is the part of a Bodhi update Parse reads.
type update struct {
	Alias         string `json:"alias"`
	Title         string `json:"title"`
	DisplayName   string `json:"display_name"`
	Notes         string `json:"notes"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	Severity      string `json:"severity"`
	DateSubmitted string `json:"date_submitted"`
	DateStable    string `json:"date_stable"`
	DatePushed    string `json:"date_pushed"`
	URL           string `json:"url"`
	Release       struct {
		Name     string `json:"name"`
		Version  string `json:"version"`
		IDPrefix string `json:"id_prefix"`
	} `json:"release"`
	Bugs []struct {
		BugID    rpmfeeds.Text `json:"bug_id"`
		Security bool          `json:"security"`
		Title    string        `json:"title"`
	} `json:"bugs"`
	Builds []struct {
		NVR   string        `json:"nvr"`
		Type  string        `json:"type"`
		Epoch rpmfeeds.Text `json:"epoch"`
	} `json:"builds"`
}

// Stats counts what Parse read and left out.
type Stats struct {
	// Updates is the number of updates read.
	Updates int
	// Malformed updates did not decode, or had no alias.
	Malformed int
	// Skipped updates are not stable security updates of a Fedora
	// release (EPEL's, testing ones, bug fixes), or were read before.
	Skipped int
	// BadBuilds counts rpm builds whose NVR does not parse.
	BadBuilds int
}

// Parse implements updater.Updater (see the package documentation).
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	vulns, stats, err := parse(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", UpdaterName, err)
	}
	if stats.Malformed+stats.BadBuilds > 0 {
		slog.WarnContext(ctx, "fedora updates partly skipped",
			"updates", stats.Updates, "malformed", stats.Malformed, "bad_builds", stats.BadBuilds)
	}
	return vulns, nil
}

func parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, Stats, error) {
	p := parser{dists: map[string]*loupe.Distribution{}, seen: map[string]bool{}}
	err := rpmfeeds.EachRecord(ctx, body, "updates", func(raw json.RawMessage) {
		p.stats.Updates++
		var up update
		if err := json.Unmarshal(raw, &up); err != nil || up.Alias == "" {
			p.stats.Malformed++
			if err == nil {
				err = errors.New("no alias")
			}
			slog.WarnContext(ctx, "fedora update skipped", "alias", up.Alias, "reason", err)
			return
		}
		p.update(&up)
	})
	if err != nil {
		return nil, p.stats, err
	}
	return p.out, p.stats, nil
}

type parser struct {
	stats Stats
	dists map[string]*loupe.Distribution
	seen  map[string]bool // aliases read
	out   []*loupe.Vulnerability
}

var cvePattern = regexp.MustCompile(`CVE-\d{4}-\d{4,}`)

// bodhiTime is how Bodhi writes dates: "2023-01-28 01:24:53", in UTC.
const bodhiTime = "2006-01-02 15:04:05"

func (p *parser) update(up *update) {
	release := strings.TrimSpace(up.Release.Version)
	switch {
	case p.seen[up.Alias],
		up.Type != "" && up.Type != "security",
		up.Status != "" && up.Status != "stable",
		up.Release.IDPrefix != "" && up.Release.IDPrefix != "FEDORA",
		!releaseNumber.MatchString(release):
		p.stats.Skipped++
		return
	}
	p.seen[up.Alias] = true
	d, ok := p.dists[release]
	if !ok {
		d = Distribution(release)
		p.dists[release] = d
	}

	// The CVEs: those of the security bugs, else those the update's
	// names mention.
	var cves []string
	var bugs []string
	add := func(s string) {
		for _, id := range cvePattern.FindAllString(s, -1) {
			if !slices.Contains(cves, id) {
				cves = append(cves, id)
			}
		}
	}
	for _, b := range up.Bugs {
		if b.Security {
			add(b.Title)
			if id := strings.TrimSpace(string(b.BugID)); id != "" {
				bugs = append(bugs, id)
			}
		}
	}
	if len(cves) == 0 {
		add(up.DisplayName)
		add(up.Title)
	}
	var links rpmfeeds.Links
	if up.URL != "" {
		links.Add(up.URL)
	} else {
		links.Add(DefaultURL + "updates/" + up.Alias)
	}
	for _, id := range cves {
		links.Add("https://nvd.nist.gov/vuln/detail/" + id)
	}
	for _, id := range bugs {
		links.Add("https://bugzilla.redhat.com/show_bug.cgi?id=" + id)
	}
	proto := loupe.Vulnerability{
		Updater:            UpdaterName,
		Name:               up.Alias,
		Description:        strings.TrimSpace(up.Notes),
		Issued:             issued(up),
		Links:              links.String(),
		Severity:           up.Severity,
		NormalizedSeverity: rpmfeeds.NormalizeImpact(up.Severity),
		Dist:               d,
	}
	if proto.Description == "" {
		proto.Description = strings.TrimSpace(up.Title)
	}
	for _, b := range up.Builds {
		if b.Type != "" && b.Type != "rpm" {
			continue
		}
		name, evr, ok := splitNVR(b.NVR, string(b.Epoch))
		if !ok {
			p.stats.BadBuilds++
			continue
		}
		v := proto
		v.Package = &loupe.Package{Name: name, Kind: loupe.SourcePackage}
		v.FixedInVersion = evr
		p.out = append(p.out, &v)
	}
}

// splitNVR splits a build's name-version-release, and writes its version
// with the epoch (left out when zero or absent).
func splitNVR(nvr, epoch string) (name, evr string, ok bool) {
	nvr = strings.TrimSpace(nvr)
	r := strings.LastIndexByte(nvr, '-')
	if r <= 0 {
		return "", "", false
	}
	v := strings.LastIndexByte(nvr[:r], '-')
	if v <= 0 || r == len(nvr)-1 || v == r-1 {
		return "", "", false
	}
	name, evr = nvr[:v], nvr[v+1:]
	if e := strings.TrimSpace(epoch); e != "" && e != "0" {
		if _, err := strconv.ParseUint(e, 10, 32); err != nil {
			return "", "", false
		}
		evr = e + ":" + evr
	}
	parsed, err := version.ParseRPM(evr)
	if err != nil {
		return "", "", false
	}
	return name, parsed.String(), true
}

// issued is when the update reached the stable repositories, else when it
// was pushed, else submitted.
func issued(up *update) time.Time {
	for _, s := range []string{up.DateStable, up.DatePushed, up.DateSubmitted} {
		if t, err := time.Parse(bodhiTime, strings.TrimSpace(s)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
