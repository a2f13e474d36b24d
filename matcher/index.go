package matcher

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"

	"github.com/loupe-dev/loupe"
)

// Index is an immutable, in-memory index of vulnerabilities.
type Index struct {
	rules   []Rules
	entries map[Key][]entry
	// Version identifies the data the Index was built from; reports are
	// cacheable by (manifest, Version).
	Version string
	// Initialized is set when the Index was built from a store in which
	// vulnerability data had landed: before that, an empty report would
	// be a lie.
	Initialized bool
	// Count is the number of vulnerabilities indexed; Unclaimed those no
	// Rules claimed; Invalid those whose constraint failed to parse.
	Count, Unclaimed, Invalid int
}

type entry struct {
	v *loupe.Vulnerability
	c Constraint
}

// NewIndex files vulns under the keys rules give them. The first Rules to
// claim a vulnerability owns it. It takes ownership of vulns: repeated
// values in them are replaced by shared copies, so they must not be
// modified afterwards.
func NewIndex(ctx context.Context, rules []Rules, vulns []*loupe.Vulnerability, version string) *Index {
	ix := &Index{rules: rules, entries: make(map[Key][]entry), Version: version}
	in := newInterner()
	for _, v := range vulns {
		in.vuln(v)
		claimed := false
		for _, r := range rules {
			k, ok := r.VulnerabilityKey(v)
			if !ok {
				continue
			}
			claimed = true
			c, err := r.Prepare(v)
			if err != nil {
				ix.Invalid++
				slog.DebugContext(ctx, "vulnerability left out of index", "updater", v.Updater, "name", v.Name, "reason", err)
				break
			}
			ix.entries[k] = append(ix.entries[k], entry{v: v, c: c})
			ix.Count++
			break
		}
		if !claimed {
			ix.Unclaimed++
		}
	}
	if ix.Invalid > 0 {
		slog.WarnContext(ctx, "vulnerabilities with unparsable versions left out of index", "count", ix.Invalid)
	}
	return ix
}

// Match returns the vulnerability report for an index report.
func (ix *Index) Match(ctx context.Context, ir *loupe.IndexReport) *loupe.VulnerabilityReport {
	vr := &loupe.VulnerabilityReport{
		Hash:                   ir.Hash,
		Packages:               ir.Packages,
		Distributions:          ir.Distributions,
		Repositories:           ir.Repositories,
		Environments:           ir.Environments,
		Vulnerabilities:        make(map[string]*loupe.Vulnerability),
		PackageVulnerabilities: make(map[string][]string),
		Enrichments:            make(map[string][]json.RawMessage),
	}
	var keys []Key
	for _, rec := range ir.Records() {
		for _, r := range ix.rules {
			keys = r.RecordKeys(keys[:0], &rec)
			for _, k := range keys {
				for _, e := range ix.entries[k] {
					if !e.c.Affects(&rec, k.Source) {
						continue
					}
					vr.Vulnerabilities[e.v.ID] = e.v
					pid := rec.Package.ID
					if !slices.Contains(vr.PackageVulnerabilities[pid], e.v.ID) {
						vr.PackageVulnerabilities[pid] = append(vr.PackageVulnerabilities[pid], e.v.ID)
					}
				}
			}
		}
	}
	for pid, ids := range vr.PackageVulnerabilities {
		slices.SortFunc(ids, func(a, b string) int {
			va, vb := vr.Vulnerabilities[a], vr.Vulnerabilities[b]
			return cmp.Or(
				cmp.Compare(vb.NormalizedSeverity, va.NormalizedSeverity),
				cmp.Compare(va.Name, vb.Name),
				compareIDs(a, b),
			)
		})
		vr.PackageVulnerabilities[pid] = ids
	}
	return vr
}

func compareIDs(a, b string) int {
	na, erra := strconv.ParseInt(a, 10, 64)
	nb, errb := strconv.ParseInt(b, 10, 64)
	if erra == nil && errb == nil {
		return cmp.Compare(na, nb)
	}
	return cmp.Compare(a, b)
}
