package rpmfeeds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/version"
)

// OSVOptions say how ParseOSV reads one distribution's OSV advisories.
type OSVOptions struct {
	// Updater names the vulnerabilities' updater.
	Updater string
	// Ecosystem is the distribution's OSV ecosystem without the
	// ":<release>" suffix ("Rocky Linux", "AlmaLinux"), compared ignoring
	// case. Affected packages of other ecosystems are left out.
	Ecosystem string
	// Kind is the kind of package the advisories name:
	// loupe.SourcePackage (Rocky Linux) or loupe.BinaryPackage
	// (AlmaLinux).
	Kind string
	// Dist returns the distribution of a major release ("9").
	Dist func(major string) *loupe.Distribution
	// CVELink, when set, makes the link added for each CVE an advisory
	// names but none of its references mention.
	CVELink func(cve string) string
	// RequireCVE leaves out advisories that name no CVE (in aliases,
	// related or upstream): bug fix and enhancement errata.
	RequireCVE bool
}

// OSVStats counts what ParseOSV read and left out.
type OSVStats struct {
	// Advisories is the number of advisories read.
	Advisories int
	// Malformed advisories did not decode, or had no id.
	Malformed int
	// Withdrawn advisories were left out.
	Withdrawn int
	// Duplicate counts advisories read again (the first copy is kept).
	Duplicate int
	// NoCVE counts advisories left out for naming no CVE (RequireCVE).
	NoCVE int
	// ModuleUnknown counts fixed versions built for a module stream in
	// advisories whose summary names no stream: left out, since they
	// would otherwise match packages of every stream, or none.
	ModuleUnknown int
	// Unsupported counts version ranges Loupe cannot express (a
	// last_affected or limit bound, a non-zero lower bound is ignored
	// instead).
	Unsupported int
}

// osvAdvisory is the part of an OSV advisory ParseOSV reads.
type osvAdvisory struct {
	ID        string   `json:"id"`
	Summary   string   `json:"summary"`
	Details   string   `json:"details"`
	Published string   `json:"published"`
	Withdrawn string   `json:"withdrawn"`
	Aliases   []string `json:"aliases"`
	Related   []string `json:"related"`
	Upstream  []string `json:"upstream"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string `json:"type"`
			Events []struct {
				Introduced   *string `json:"introduced"`
				Fixed        *string `json:"fixed"`
				LastAffected *string `json:"last_affected"`
				Limit        *string `json:"limit"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
	References []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
}

// ParseOSV reads OSV advisories from a stream of JSON values, each an
// advisory, an array of advisories, or a page of Rocky Linux's API
// ({"advisories": […], …}). An advisory that does not decode is skipped
// and counted; a stream that is not JSON fails.
//
// Each affected package of the options' ecosystem yields, per ECOSYSTEM
// range, one vulnerability per introduced/fixed pair, and one unfixed
// vulnerability for an introduced event with nothing after it (see
// OSVOptions and OSVStats for what is left out). Vulnerabilities are
// named by the advisory id; identical ones (same release, package,
// fixed version and module) are emitted once, and so is an advisory
// read twice.
func ParseOSV(ctx context.Context, r io.Reader, opts OSVOptions) ([]*loupe.Vulnerability, OSVStats, error) {
	p := NewOSVParser(opts)
	if err := EachRecord(ctx, r, "advisories", func(raw json.RawMessage) { p.decode(ctx, raw) }); err != nil {
		return nil, p.stats, fmt.Errorf("osv: %w", err)
	}
	vulns, stats := p.Result()
	return vulns, stats, nil
}

// OSVParser is ParseOSV's reader, for a caller whose stream holds other
// documents too.
type OSVParser struct {
	opts  OSVOptions
	stats OSVStats
	dists map[string]*loupe.Distribution
	ids   map[string]bool // advisories read
	out   []*loupe.Vulnerability
}

// NewOSVParser returns a parser with the given options.
func NewOSVParser(opts OSVOptions) *OSVParser {
	return &OSVParser{opts: opts, dists: map[string]*loupe.Distribution{}, ids: map[string]bool{}}
}

// Result returns the vulnerabilities read so far, and the counts.
func (p *OSVParser) Result() ([]*loupe.Vulnerability, OSVStats) { return p.out, p.stats }

// Value reads the rest of a top-level value of ParseOSV's stream whose
// first token dec has read, and, when key is not nil, whose first
// member's key it has read too (see EachRecordOf).
func (p *OSVParser) Value(ctx context.Context, dec *json.Decoder, first json.Token, key *string) error {
	if err := EachRecordOf(ctx, dec, first, key, "advisories", func(raw json.RawMessage) { p.decode(ctx, raw) }); err != nil {
		return fmt.Errorf("osv: %w", err)
	}
	return nil
}

func (p *OSVParser) decode(ctx context.Context, raw json.RawMessage) {
	var a osvAdvisory
	if err := json.Unmarshal(raw, &a); err != nil || a.ID == "" {
		p.malformed(ctx, a.ID, err)
		return
	}
	p.stats.Advisories++
	p.advisory(&a)
}

func (p *OSVParser) malformed(ctx context.Context, id string, err error) {
	p.stats.Advisories++
	p.stats.Malformed++
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		err = errors.New("no id")
	case errors.As(err, &te):
		err = fmt.Errorf("field %s: a JSON %s where a %s belongs", te.Field, te.Value, te.Type.Kind())
	}
	slog.WarnContext(ctx, "osv advisory skipped", "updater", p.opts.Updater, "id", id, "reason", err)
}

func (p *OSVParser) dist(major string) *loupe.Distribution {
	d, ok := p.dists[major]
	if !ok {
		d = p.opts.Dist(major)
		p.dists[major] = d
	}
	return d
}

func (p *OSVParser) advisory(a *osvAdvisory) {
	// An advisory read twice (a page boundary that moved while paging)
	// counts once.
	if p.ids[a.ID] {
		p.stats.Duplicate++
		return
	}
	p.ids[a.ID] = true
	if a.Withdrawn != "" {
		p.stats.Withdrawn++
		return
	}
	if p.opts.RequireCVE && !namesCVE(a) {
		p.stats.NoCVE++
		return
	}
	proto := loupe.Vulnerability{
		Updater:     p.opts.Updater,
		Name:        a.ID,
		Description: strings.TrimSpace(a.Details),
		Links:       osvLinks(a, p.opts.CVELink),
	}
	if proto.Description == "" {
		proto.Description = strings.TrimSpace(a.Summary)
	}
	if t, err := time.Parse(time.RFC3339, a.Published); err == nil {
		proto.Issued = t.UTC()
	}
	proto.Severity, proto.NormalizedSeverity = osvSeverity(a)
	var modules []string // parsed on first need
	modulesDone := false
	type key struct{ major, name, fixed, module string }
	seen := map[key]bool{}
	for _, af := range a.Affected {
		eco, rel, _ := strings.Cut(af.Package.Ecosystem, ":")
		major := Major(rel)
		name := strings.TrimSpace(af.Package.Name)
		if !strings.EqualFold(strings.TrimSpace(eco), p.opts.Ecosystem) || major == "" || name == "" {
			continue
		}
		for _, rg := range af.Ranges {
			if rg.Type != "ECOSYSTEM" {
				continue
			}
			open := false
			emit := func(fixed string) {
				mods := []string{""}
				if fixed != "" && IsModular(fixed) {
					if !modulesDone {
						modules, modulesDone = ModulesOf(a.Summary), true
					}
					if len(modules) == 0 {
						p.stats.ModuleUnknown++
						return
					}
					mods = modules
				}
				for _, m := range mods {
					k := key{major, name, fixed, m}
					if seen[k] {
						continue
					}
					seen[k] = true
					v := proto
					v.Dist = p.dist(major)
					v.Package = &loupe.Package{Name: name, Kind: p.opts.Kind, Module: m}
					v.FixedInVersion = fixed
					p.out = append(p.out, &v)
				}
			}
			for _, ev := range rg.Events {
				switch {
				case ev.Introduced != nil:
					if open {
						emit("")
					}
					open = true
				case ev.Fixed != nil && open:
					emit(canonicalEVR(*ev.Fixed))
					open = false
				case (ev.LastAffected != nil || ev.Limit != nil) && open:
					p.stats.Unsupported++
					open = false
				}
			}
			if open {
				emit("")
			}
		}
	}
}

func namesCVE(a *osvAdvisory) bool {
	for _, list := range [...][]string{a.Aliases, a.Related, a.Upstream} {
		for _, id := range list {
			if strings.HasPrefix(id, "CVE-") {
				return true
			}
		}
	}
	return false
}

// canonicalEVR writes an rpm version as Clair's feeds do, the epoch left
// out when zero ("0:1.2-3" is "1.2-3"); one that does not parse is kept
// verbatim, for the matcher to reject.
func canonicalEVR(s string) string {
	s = strings.TrimSpace(s)
	if v, err := version.ParseRPM(s); err == nil {
		return v.String()
	}
	return s
}

// osvSeverity is the advisory's impact word when its summary starts with
// one ("Important: …"), else its CVSS v3 vector with NVD's band of the
// base score, else Unknown.
func osvSeverity(a *osvAdvisory) (string, loupe.Severity) {
	if w := ImpactOf(a.Summary); w != "" {
		return w, NormalizeImpact(w)
	}
	for _, s := range a.Severity {
		if s.Type != "CVSS_V3" {
			continue
		}
		if score, ok := cvss3Score(s.Score); ok {
			return s.Score, scoreBand(score)
		}
	}
	return "", loupe.Unknown
}

func cvss3Score(vec string) (float64, bool) {
	switch {
	case strings.HasPrefix(vec, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(vec)
		if err == nil {
			return c.BaseScore(), true
		}
	case strings.HasPrefix(vec, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(vec)
		if err == nil {
			return c.BaseScore(), true
		}
	}
	return 0, false
}

// scoreBand maps a CVSS base score to NVD's bands.
func scoreBand(score float64) loupe.Severity {
	switch {
	case score <= 0:
		return loupe.Negligible
	case score < 4:
		return loupe.Low
	case score < 7:
		return loupe.Medium
	case score < 9:
		return loupe.High
	}
	return loupe.Critical
}

// osvLinks joins the advisory's reference URLs, then a link for each CVE
// it names that no reference mentions.
func osvLinks(a *osvAdvisory, cveLink func(string) string) string {
	var b Links
	for _, r := range a.References {
		b.Add(r.URL)
	}
	if cveLink != nil {
		for _, list := range [...][]string{a.Aliases, a.Related, a.Upstream} {
			for _, id := range list {
				if strings.HasPrefix(id, "CVE-") && !b.Mentions(id) {
					b.Add(cveLink(id))
				}
			}
		}
	}
	return b.String()
}

// Links builds a space-separated list of URLs without repeats; URLs with
// white space in them are left out.
type Links struct {
	b    bytes.Buffer
	seen map[string]bool
}

// Add appends u unless it is empty, has white space, or is already there.
func (l *Links) Add(u string) {
	u = strings.TrimSpace(u)
	if u == "" || strings.ContainsAny(u, " \t\r\n") || l.seen[u] {
		return
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[u] = true
	if l.b.Len() > 0 {
		l.b.WriteByte(' ')
	}
	l.b.WriteString(u)
}

// Mentions reports whether some link contains the identifier id, not
// followed by another digit (CVE-2024-1 is not in …CVE-2024-12).
func (l *Links) Mentions(id string) bool {
	s := l.b.String()
	for {
		i := strings.Index(s, id)
		if i < 0 || id == "" {
			return false
		}
		s = s[i+len(id):]
		if s == "" || s[0] < '0' || s[0] > '9' {
			return true
		}
	}
}

// String returns the list.
func (l *Links) String() string { return l.b.String() }
