package osv

import (
	"math"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/loupe-dev/loupe"
)

// advisoryLink is where osv.dev shows an advisory.
const advisoryLink = "https://osv.dev/vulnerability/"

// slabSize is how many vulnerabilities are allocated at once.
const slabSize = 256

// parser turns decoded advisories into one updater's vulnerabilities.
type parser struct {
	updater string
	eco     *ecosystem
	// repo is shared by every vulnerability of the parse.
	repo *loupe.Repository
	slab []loupe.Vulnerability
	out  []*loupe.Vulnerability

	stats struct {
		// Withdrawn and Unaffected count advisories that are withdrawn or
		// have no affected packages at all; Foreign those whose affected
		// packages are all of other ecosystems; Unusable affected
		// packages of this ecosystem that yield nothing (no name, or
		// only GIT ranges and no versions); Ignored ranges or
		// introduced/fixed pairs that do not parse; Malformed files
		// that do not decode.
		Withdrawn, Unaffected, Foreign, Unusable, Ignored, Malformed int
	}
}

// pair is one introduced event and the event that closes it, if any.
type pair struct {
	introduced, fixed, lastAffected, limit string
}

// proto holds what every vulnerability of one advisory shares.
type proto struct {
	description, links string
	issued             time.Time
	severity           string
	normalized         loupe.Severity
}

// advisory appends a's vulnerabilities to p.out.
func (p *parser) advisory(a *advisory) {
	switch {
	case a.Withdrawn != "":
		p.stats.Withdrawn++
		return
	case len(a.Affected) == 0:
		p.stats.Unaffected++
		return
	}
	var (
		base *proto
		ours bool
	)
	for i := range a.Affected {
		af := &a.Affected[i]
		if !sameEcosystem(af.Package.Ecosystem, p.eco.Name) {
			continue
		}
		ours = true
		if af.Package.Name == "" {
			p.stats.Unusable++
			continue
		}
		if base == nil {
			base = newProto(a)
		}
		pr := *base
		if len(af.Severity) > 0 {
			if sev, norm := pickSeverity(af.Severity, ""); sev != "" {
				pr.severity, pr.normalized = sev, norm
			}
		}
		pkg := &loupe.Package{Name: af.Package.Name, Kind: loupe.BinaryPackage}
		before := len(p.out)
		for _, r := range af.Ranges {
			kind := r.Type
			if kind == "ECOSYSTEM" && p.eco.Semver {
				kind = "SEMVER"
			}
			switch kind {
			case "SEMVER":
				for _, pa := range pairs(r.Events) {
					p.semver(a.ID, &pr, pkg, pa)
				}
			case "ECOSYSTEM":
				for _, pa := range pairs(r.Events) {
					v := p.vuln(a.ID, &pr, pkg)
					v.FixedInVersion = pa.query()
				}
			default: // GIT, or unknown: nothing to match against
			}
		}
		if len(p.out) == before {
			if len(af.Versions) == 0 {
				p.stats.Unusable++
				continue
			}
			v := p.vuln(a.ID, &pr, pkg)
			v.FixedInVersion = url.Values{"versions": af.Versions}.Encode()
		}
	}
	if !ours {
		p.stats.Foreign++
	}
}

// semver appends the vulnerability of one SEMVER pair, unless a version
// does not parse or the range is inverted.
func (p *parser) semver(id string, pr *proto, pkg *loupe.Package, pa pair) {
	r := loupe.Range{Lower: loupe.Version{Kind: semverKind}}
	if pa.introduced != "0" {
		lo, ok := parseSemver(pa.introduced)
		if !ok {
			p.stats.Ignored++
			return
		}
		r.Lower = lo
	}
	var ok bool
	switch {
	case pa.fixed != "":
		r.Upper, ok = parseSemver(pa.fixed)
	case pa.lastAffected != "":
		// The next patch release is the first one not affected.
		r.Upper, ok = parseSemver(pa.lastAffected)
		if ok && r.Upper.V[3] == math.MaxInt32 {
			ok = false
		}
		r.Upper.V[3]++
	case pa.limit != "" && pa.limit != "*":
		r.Upper, ok = parseSemver(pa.limit)
	default: // open above
		ok = true
	}
	if !ok || (r.Upper.Kind != "" && r.Lower.Compare(&r.Upper) > 0) {
		p.stats.Ignored++
		return
	}
	v := p.vuln(id, pr, pkg)
	v.Range = &r
	if p.eco.Query {
		v.FixedInVersion = pa.query()
	} else {
		v.FixedInVersion = pa.fixed
	}
}

// vuln appends a new vulnerability of the advisory and package.
func (p *parser) vuln(id string, pr *proto, pkg *loupe.Package) *loupe.Vulnerability {
	if len(p.slab) == 0 {
		p.slab = make([]loupe.Vulnerability, slabSize)
	}
	v := &p.slab[0]
	p.slab = p.slab[1:]
	*v = loupe.Vulnerability{
		Updater:            p.updater,
		Name:               id,
		Description:        pr.description,
		Issued:             pr.issued,
		Links:              pr.links,
		Severity:           pr.severity,
		NormalizedSeverity: pr.normalized,
		Package:            pkg,
		Repo:               p.repo,
	}
	p.out = append(p.out, v)
	return v
}

// newProto computes what the vulnerabilities of a share.
func newProto(a *advisory) *proto {
	pr := &proto{description: a.Summary, links: links(a)}
	if strings.TrimSpace(pr.description) == "" {
		pr.description = a.Details
	}
	if t, err := time.Parse(time.RFC3339, a.Published); err == nil {
		pr.issued = t.UTC()
	}
	pr.severity, pr.normalized = pickSeverity(a.Severity, a.Database.Severity)
	return pr
}

// links joins the advisory's reference URLs, its osv.dev page and its
// aliases' osv.dev pages, dropping duplicates and anything with a space
// in it.
func links(a *advisory) string {
	seen := make([]string, 0, len(a.References)+1+len(a.Aliases))
	add := func(u string) {
		u = strings.TrimSpace(u)
		if u == "" || strings.ContainsFunc(u, unicode.IsSpace) {
			return
		}
		for _, s := range seen {
			if s == u {
				return
			}
		}
		seen = append(seen, u)
	}
	for _, r := range a.References {
		add(r.URL)
	}
	add(advisoryLink + url.PathEscape(a.ID))
	for _, al := range a.Aliases {
		if al != "" {
			add(advisoryLink + url.PathEscape(al))
		}
	}
	return strings.Join(seen, " ")
}

// sameEcosystem reports whether an affected package's ecosystem, which
// may carry a ":suffix" (a release, a registry), is eco.
func sameEcosystem(pkgEco, eco string) bool {
	name, _, _ := strings.Cut(pkgEco, ":")
	return strings.EqualFold(name, eco)
}

// pairs splits a range's events, in their order, into introduced events
// and the fixed, last_affected or limit event that follows each. An
// introduced event followed by another introduced event, or by nothing,
// is open above; a closing event with no introduced event open is
// ignored, as the OSV evaluation algorithm does.
func pairs(events []event) []pair {
	var (
		out  []pair
		cur  pair
		open bool
	)
	for _, ev := range events {
		switch {
		case ev.Introduced != "":
			if open {
				out = append(out, cur)
			}
			cur, open = pair{introduced: ev.Introduced}, true
		case !open:
		case ev.Fixed != "":
			cur.fixed = ev.Fixed
		case ev.LastAffected != "":
			cur.lastAffected = ev.LastAffected
		case ev.Limit != "":
			cur.limit = ev.Limit
		default:
			continue
		}
		if open && ev.Introduced == "" {
			out = append(out, cur)
			open = false
		}
	}
	if open {
		out = append(out, cur)
	}
	return out
}

// query encodes a pair as Clair's language matchers read FixedInVersion:
// url.Values with introduced (left out when it is "0"), fixed,
// lastAffected and limit (left out when it is "*"), keys sorted as
// url.Values.Encode sorts them. An introduced-0 pair with no upper bound
// is "", which matchers read as "every version".
func (pa pair) query() string {
	q := make(url.Values, 2)
	if pa.introduced != "0" && pa.introduced != "" {
		q.Set("introduced", pa.introduced)
	}
	if pa.fixed != "" {
		q.Set("fixed", pa.fixed)
	}
	if pa.lastAffected != "" {
		q.Set("lastAffected", pa.lastAffected)
	}
	if pa.limit != "" && pa.limit != "*" {
		q.Set("limit", pa.limit)
	}
	return q.Encode()
}
