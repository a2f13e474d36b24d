package alma

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/version"
)

// erratum is the part of an errata.full.json record Parse reads.
type erratum struct {
	ID          string          `json:"id"`
	IssuedDate  json.RawMessage `json:"issued_date"`
	Severity    string          `json:"severity"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Type        string          `json:"type"`
	Packages    []struct {
		Name    string        `json:"name"`
		Epoch   rpmfeeds.Text `json:"epoch"`
		Version string        `json:"version"`
		Release string        `json:"release"`
		Arch    string        `json:"arch"`
		Module  string        `json:"module"`
	} `json:"packages"`
	Modules []struct {
		Name   string `json:"name"`
		Stream string `json:"stream"`
	} `json:"modules"`
	References []struct {
		Href string `json:"href"`
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"references"`
}

// Stats counts what Parse read and left out.
type Stats struct {
	// Errata is the number of errata read.
	Errata int
	// Malformed errata did not decode, or had no id.
	Malformed int
	// NotSecurity counts errata that are neither security errata nor
	// name a CVE (bug fixes, enhancements): left out.
	NotSecurity int
	// BadPackages counts package entries with no name or version.
	BadPackages int
	// ModuleUnknown counts modular packages whose stream the erratum does
	// not say: left out.
	ModuleUnknown int
	// OSV counts the vulnerabilities read from OSV records.
	OSV rpmfeeds.OSVStats
}

// Parse implements updater.Updater (see the package documentation). It
// also reads AlmaLinux's OSV records (the osv-database repository's, or
// OSV.dev's), one after another or in a list, for the release of their
// ecosystem ("AlmaLinux:9").
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	vulns, stats, err := parse(ctx, body, u.release)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Name(), err)
	}
	if stats.Malformed+stats.BadPackages+stats.ModuleUnknown+stats.OSV.Malformed+stats.OSV.ModuleUnknown > 0 {
		slog.WarnContext(ctx, "alma errata partly skipped", "updater", u.Name(),
			"errata", stats.Errata, "malformed", stats.Malformed, "bad_packages", stats.BadPackages,
			"module_unknown", stats.ModuleUnknown+stats.OSV.ModuleUnknown,
			"osv_advisories", stats.OSV.Advisories, "osv_malformed", stats.OSV.Malformed)
	}
	return vulns, nil
}

func parse(ctx context.Context, body io.Reader, release string) ([]*loupe.Vulnerability, Stats, error) {
	p := &parser{
		release: release,
		dist:    Distribution(release),
		osv: rpmfeeds.NewOSVParser(rpmfeeds.OSVOptions{
			Updater:    "alma-" + release + "-updater",
			Ecosystem:  "AlmaLinux",
			Kind:       loupe.BinaryPackage,
			Dist:       Distribution,
			RequireCVE: true,
		}),
	}
	dec := json.NewDecoder(body)
	for {
		if err := ctx.Err(); err != nil {
			return nil, p.stats, err
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, p.stats, err
		}
		if err := p.value(ctx, dec, tok); err != nil {
			return nil, p.stats, err
		}
	}
	osv, ostats := p.osv.Result()
	p.stats.OSV = ostats
	for _, v := range osv {
		// Records of other releases are their updaters'.
		if v.Dist.VersionID == release {
			p.out = append(p.out, v)
		}
	}
	return p.out, p.stats, nil
}

type parser struct {
	release string
	dist    *loupe.Distribution
	osv     *rpmfeeds.OSVParser
	stats   Stats
	out     []*loupe.Vulnerability
}

// value reads a top-level value whose first token dec has read: the
// errata document ({"schema_version": …, "data": […]}), or OSV.
func (p *parser) value(ctx context.Context, dec *json.Decoder, first json.Token) error {
	if first != json.Delim('{') {
		return p.osv.Value(ctx, dec, first, nil)
	}
	if !dec.More() {
		_, err := dec.Token()
		return err
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	key, _ := tok.(string)
	if key != "schema_version" && key != "data" {
		return p.osv.Value(ctx, dec, first, &key)
	}
	for {
		if key == "data" {
			if err := p.data(ctx, dec); err != nil {
				return fmt.Errorf("errata: %w", err)
			}
		} else {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("errata: %w", err)
			}
		}
		if !dec.More() {
			break
		}
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("errata: %w", err)
		}
		key, _ = tok.(string)
	}
	_, err = dec.Token() // '}'
	return err
}

// data reads the errata list.
func (p *parser) data(ctx context.Context, dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("data: want a list, have %v", tok)
	}
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		p.stats.Errata++
		var e erratum
		if err := json.Unmarshal(raw, &e); err != nil || e.ID == "" {
			p.stats.Malformed++
			if err == nil {
				err = errors.New("no id")
			}
			slog.WarnContext(ctx, "alma erratum skipped", "id", e.ID, "reason", err)
			continue
		}
		p.erratum(&e)
	}
	_, err = dec.Token() // ']'
	return err
}

// group is the packages of an erratum that become one vulnerability.
type group struct {
	name, evr, module string
}

func (p *parser) erratum(e *erratum) {
	cves := false
	for _, r := range e.References {
		cves = cves || strings.EqualFold(r.Type, "cve")
	}
	if !strings.EqualFold(e.Type, "security") && !cves {
		p.stats.NotSecurity++
		return
	}
	proto := loupe.Vulnerability{
		Updater:     "alma-" + p.release + "-updater",
		Name:        e.ID,
		Description: strings.TrimSpace(e.Description),
		Issued:      issued(e.IssuedDate),
		Dist:        p.dist,
	}
	if proto.Description == "" {
		proto.Description = strings.TrimSpace(e.Title)
	}
	proto.Severity = strings.TrimSpace(e.Severity)
	proto.NormalizedSeverity = rpmfeeds.NormalizeImpact(proto.Severity)
	if proto.NormalizedSeverity == loupe.Unknown {
		if w := rpmfeeds.ImpactOf(e.Title); w != "" {
			proto.Severity, proto.NormalizedSeverity = w, rpmfeeds.NormalizeImpact(w)
		}
	}
	var links rpmfeeds.Links
	self := false
	for _, r := range e.References {
		links.Add(r.Href)
		self = self || strings.EqualFold(r.Type, "self")
	}
	if !self {
		links.Add("https://errata.almalinux.org/" + p.release + "/" + strings.ReplaceAll(e.ID, ":", "-") + ".html")
	}
	proto.Links = links.String()

	var order []group
	arches := map[group][]string{}
	var streams []string // the erratum's module streams, when a package does not say its own
	streamsDone := false
	for _, pk := range e.Packages {
		if pk.Arch == "src" {
			continue
		}
		name, ver, rel := strings.TrimSpace(pk.Name), strings.TrimSpace(pk.Version), strings.TrimSpace(pk.Release)
		if name == "" || ver == "" {
			p.stats.BadPackages++
			continue
		}
		evr := ver
		if rel != "" {
			evr += "-" + rel
		}
		if ep := strings.TrimSpace(string(pk.Epoch)); ep != "" && ep != "0" {
			evr = ep + ":" + evr
		}
		if v, err := version.ParseRPM(evr); err == nil {
			evr = v.String()
		}
		var mods []string
		switch {
		case pk.Module != "":
			mods = []string{moduleStream(pk.Module)}
		case rpmfeeds.IsModular(rel):
			if !streamsDone {
				streams, streamsDone = erratumStreams(e), true
			}
			if len(streams) == 0 {
				p.stats.ModuleUnknown++
				continue
			}
			mods = streams
		default:
			mods = []string{""}
		}
		for _, m := range mods {
			g := group{name, evr, m}
			if _, ok := arches[g]; !ok {
				order = append(order, g)
			}
			if a := strings.TrimSpace(pk.Arch); !slices.Contains(arches[g], a) {
				arches[g] = append(arches[g], a)
			}
		}
	}
	for _, g := range order {
		v := proto
		v.Package = &loupe.Package{Name: g.name, Kind: loupe.BinaryPackage, Module: g.module}
		v.FixedInVersion = g.evr
		v.Package.Arch, v.ArchOperation = archOf(arches[g])
		p.out = append(p.out, &v)
	}
}

// moduleStream returns the "name:stream" of a module's
// "name:stream:version:context:arch".
func moduleStream(m string) string {
	parts := strings.SplitN(strings.TrimSpace(m), ":", 3)
	if len(parts) < 2 {
		return m
	}
	return parts[0] + ":" + parts[1]
}

// erratumStreams returns the module streams an erratum lists, else those
// its title names.
func erratumStreams(e *erratum) []string {
	var out []string
	for _, m := range e.Modules {
		if m.Name == "" || m.Stream == "" {
			continue
		}
		if s := m.Name + ":" + m.Stream; !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = rpmfeeds.ModulesOf(e.Title)
	}
	return out
}

// archOf returns the architecture of a vulnerability fixed on arches:
// one with ArchOpEquals, several as a pattern ("^(?:aarch64|x86_64)$"),
// none (or an empty one among them) as any.
func archOf(arches []string) (string, loupe.ArchOp) {
	switch {
	case len(arches) == 0 || slices.Contains(arches, ""):
		return "", loupe.ArchOpNone
	case len(arches) == 1:
		return arches[0], loupe.ArchOpEquals
	}
	sorted := slices.Clone(arches)
	slices.Sort(sorted)
	var b bytes.Buffer
	b.WriteString("^(?:")
	for i, a := range sorted {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(regexp.QuoteMeta(a))
	}
	b.WriteString(")$")
	return b.String(), loupe.ArchOpPatternMatch
}

// issued reads issued_date: seconds since the epoch (errata.full.json),
// milliseconds (a number that large), or {"$date": milliseconds} (the
// older errata.json).
func issued(raw json.RawMessage) time.Time {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var d struct {
			Date json.Number `json:"$date"`
		}
		if json.Unmarshal(raw, &d) != nil || d.Date == "" {
			return time.Time{}
		}
		ms, err := d.Date.Int64()
		if err != nil {
			return time.Time{}
		}
		return time.UnixMilli(ms).UTC()
	}
	s, err := n.Int64()
	switch {
	case err != nil || s <= 0:
		return time.Time{}
	case s > 1e11:
		return time.UnixMilli(s).UTC()
	}
	return time.Unix(s, 0).UTC()
}
