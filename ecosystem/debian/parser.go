package debian

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe"
)

const trackerLink = "https://security-tracker.debian.org/tracker/"

// trackerCVE is one CVE of one source package in the tracker export.
type trackerCVE struct {
	Description string          `json:"description"`
	Releases    trackerReleases `json:"releases"`
}

// trackerReleases is keyed by release codename. The export writes an
// empty one as [] rather than {}.
type trackerReleases map[string]trackerRelease

func (t *trackerReleases) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "[]" {
		*t = nil
		return nil
	}
	return json.Unmarshal(b, (*map[string]trackerRelease)(t))
}

type trackerRelease struct {
	Status       string `json:"status"`
	FixedVersion string `json:"fixed_version"`
	Urgency      string `json:"urgency"`
}

// Parse implements updater.Updater. It streams the export one source
// package at a time, and returns one vulnerability per (source package,
// CVE, release): fixed ones with their fixed version, open ones with
// none. Entries fixed in version "0" (the release never had the flaw) are
// left out. A source package whose entry has an unexpected shape is
// skipped with a warning; an export that is not JSON fails the parse.
func (u *Updater) Parse(ctx context.Context, r io.Reader) ([]*loupe.Vulnerability, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("debian: tracker json: %w", err)
	}
	dists := make(map[string]*loupe.Distribution)
	var out []*loupe.Vulnerability
	var skipped int
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("debian: tracker json: %w", err)
		}
		src, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("debian: tracker json: source package %q: %w", src, err)
		}
		var cves map[string]trackerCVE
		if err := json.Unmarshal(raw, &cves); err != nil {
			skipped++
			slog.WarnContext(ctx, "debian: skipping malformed tracker entry", "source", src, "reason", err)
			continue
		}
		ids := make([]string, 0, len(cves))
		for id := range cves {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		// The records of a source package share its Package, and those of
		// a CVE its link: the whole tracker is some 800,000 records.
		pkg := &loupe.Package{Name: src, Kind: loupe.SourcePackage}
		for _, id := range ids {
			cve := cves[id]
			rels := make([]string, 0, len(cve.Releases))
			for rel := range cve.Releases {
				rels = append(rels, rel)
			}
			slices.Sort(rels)
			link := trackerLink + id
			for _, rel := range rels {
				if v := vulnerability(pkg, id, link, cve.Description, rel, cve.Releases[rel], dists); v != nil {
					out = append(out, v)
				}
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("debian: tracker json: %w", err)
	}
	return out, nil
}

// vulnerability is the record of one release of a CVE of the source
// package pkg, or nil when the release has nothing to match.
func vulnerability(pkg *loupe.Package, id, link, desc, release string, r trackerRelease, dists map[string]*loupe.Distribution) *loupe.Vulnerability {
	release = strings.ToLower(release)
	if pkg.Name == "" || id == "" || release == "" {
		return nil
	}
	fixed := ""
	switch r.Status {
	case "resolved":
		if r.FixedVersion == "0" || r.FixedVersion == "" {
			return nil // never affected, or nothing to match
		}
		fixed = r.FixedVersion
	case "open", "undetermined":
	default:
		return nil
	}
	d, ok := dists[release]
	if !ok {
		d = Distribution(release, releases[release])
		dists[release] = d
	}
	urgency := strings.TrimRight(r.Urgency, "*")
	return &loupe.Vulnerability{
		Updater:            UpdaterName,
		Name:               id,
		Description:        desc,
		Links:              link,
		Severity:           urgency,
		NormalizedSeverity: NormalizeUrgency(urgency),
		Package:            pkg,
		Dist:               d,
		FixedInVersion:     fixed,
	}
}

// NormalizeUrgency maps a tracker urgency to a normalized severity:
// "unimportant" is Negligible, "low", "medium" and "high" are themselves,
// anything else ("not yet assigned", "end-of-life") Unknown.
func NormalizeUrgency(u string) loupe.Severity {
	switch strings.ToLower(strings.TrimRight(u, "*")) {
	case "unimportant":
		return loupe.Negligible
	case "low":
		return loupe.Low
	case "medium":
		return loupe.Medium
	case "high":
		return loupe.High
	}
	return loupe.Unknown
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, have %v", want, tok)
	}
	return nil
}
