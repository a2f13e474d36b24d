package mariner

import (
	"context"
	"log/slog"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
)

// Vulnerabilities turns a CBL-Mariner or Azure Linux OVAL document into
// vulnerability records on dist, for the updater named updaterName.
//
// Microsoft writes one definition per (CVE, package): its criteria are
// EVR bounds on one package, named as its spec (source package) is:
// "less than" the fixed build, "less than or equal" the last affected one
// when no fix exists yet (patchable "false"), and sometimes "greater
// than" a lower bound. They make one record, with those bounds (see
// oval.Bounds.Set). Definitions marked patchable "Not Applicable" (the
// CVE does not apply, or no longer does) make none.
//
// name is the CVE (the definition's reference), description and severity
// the definition's, issued its advisory date, links its references.
func Vulnerabilities(ctx context.Context, updaterName string, dist *loupe.Distribution, doc *oval.Document) []*loupe.Vulnerability {
	var out []*loupe.Vulnerability
	skipped := 0
	for _, def := range doc.Definitions {
		if strings.EqualFold(strings.TrimSpace(def.Patchable), "Not Applicable") {
			continue
		}
		branches, err := doc.Branches(def)
		if err != nil {
			skipped++
			slog.WarnContext(ctx, "mariner: skipping definition", "definition", def.ID, "reason", err)
			continue
		}
		out = append(out, definitionRecords(updaterName, dist, def, branches)...)
	}
	if skipped > 0 {
		slog.WarnContext(ctx, "mariner: definitions left out", "updater", updaterName, "count", skipped)
	}
	return out
}

type recordKey struct {
	name   string
	bounds oval.Bounds
}

func definitionRecords(updaterName string, dist *loupe.Distribution, def *oval.Definition, branches []oval.Branch) []*loupe.Vulnerability {
	seen := make(map[recordKey]bool)
	var keys []recordKey
	for _, b := range branches {
		for _, k := range readBranch(b) {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	name := strings.TrimSpace(def.Title)
	for _, r := range def.References {
		if id := strings.TrimSpace(r.RefID); id != "" {
			name = id
			break
		}
	}
	severity := strings.TrimSpace(def.Severity)
	if severity == "" {
		severity = strings.TrimSpace(def.Advisory.Severity)
	}
	proto := loupe.Vulnerability{
		Updater:            updaterName,
		Name:               name,
		Description:        def.Description,
		Issued:             def.AdvisoryDate,
		Links:              def.Links(),
		Severity:           severity,
		NormalizedSeverity: NormalizeSeverity(severity),
		Dist:               dist,
	}
	out := make([]*loupe.Vulnerability, 0, len(keys))
	for _, k := range keys {
		v := proto
		v.Package = &loupe.Package{Name: k.name, Kind: loupe.SourcePackage}
		k.bounds.Set(&v)
		out = append(out, &v)
	}
	return out
}

// readBranch returns the records of one branch: the EVR checks of each
// package, joined. A branch with a check Bounds cannot hold, or a negated
// one, makes none.
func readBranch(b oval.Branch) []recordKey {
	var order []string
	bounds := make(map[string]*oval.Bounds)
	for _, l := range b {
		ri, ok := l.RPMInfo()
		if !ok {
			continue
		}
		if l.Negate {
			return nil
		}
		bd, seen := bounds[ri.Name]
		if !seen {
			bd = new(oval.Bounds)
			bounds[ri.Name] = bd
			order = append(order, ri.Name)
		}
		if ri.EVR != nil && !bd.Add(ri.EVR) {
			return nil
		}
	}
	out := make([]recordKey, 0, len(order))
	for _, n := range order {
		out = append(out, recordKey{name: n, bounds: *bounds[n]})
	}
	return out
}

// NormalizeSeverity maps a severity of Microsoft's data (Critical, High,
// Medium, Low, and rarely Negligible) to the normalized one of the same
// name; anything else is Unknown.
func NormalizeSeverity(s string) loupe.Severity {
	sev, err := loupe.ParseSeverity(strings.TrimSpace(s))
	if err != nil {
		return loupe.Unknown
	}
	return sev
}
