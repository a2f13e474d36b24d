package suse

import (
	"context"
	"log/slog"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
)

// Vulnerabilities turns a SUSE OVAL document into vulnerability records
// on dist, for the updater named updaterName.
//
// SUSE writes one definition per CVE. Each branch of its criteria (see
// oval.Document.Branches) is a product ("SUSE Linux Enterprise Server 15
// SP1-LTSS is installed", a test of a *-release package's version) and a
// package test:
//
//   - an EVR bound ("kernel-default is <4.12.14-150.72.1", with the
//     architectures it holds for): the package is affected below it;
//   - version "0" ("python3-cryptography is not affected"): it never is,
//     and the branch makes no record;
//   - no state, in the "-affected" documents: it is affected, unfixed.
//
// The product is not kept: Clair's SUSE distributions are major releases
// and each document covers one, so a package fixed at different builds
// in different service packs has a record for each. Records that only
// differ by product are one.
func Vulnerabilities(ctx context.Context, updaterName string, dist *loupe.Distribution, doc *oval.Document) []*loupe.Vulnerability {
	var out []*loupe.Vulnerability
	skipped := 0
	for _, def := range doc.Definitions {
		branches, err := doc.Branches(def)
		if err != nil {
			skipped++
			slog.WarnContext(ctx, "suse: skipping definition", "definition", def.ID, "reason", err)
			continue
		}
		out = append(out, definitionRecords(updaterName, dist, def, branches)...)
	}
	if skipped > 0 {
		slog.WarnContext(ctx, "suse: definitions left out", "updater", updaterName, "count", skipped)
	}
	return out
}

type recordKey struct {
	name   string
	arch   string
	archOp loupe.ArchOp
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
	severity := strings.TrimSpace(def.Advisory.Severity)
	proto := loupe.Vulnerability{
		Updater:            updaterName,
		Name:               strings.TrimSpace(def.Title),
		Description:        def.Description,
		Issued:             def.Advisory.Issued,
		Links:              def.Links(),
		Severity:           severity,
		NormalizedSeverity: NormalizeSeverity(severity),
		Dist:               dist,
	}
	out := make([]*loupe.Vulnerability, 0, len(keys))
	for _, k := range keys {
		v := proto
		v.Package = &loupe.Package{Name: k.name, Kind: loupe.BinaryPackage, Arch: k.arch}
		if k.arch != "" {
			v.ArchOperation = k.archOp
		}
		k.bounds.Set(&v)
		out = append(out, &v)
	}
	return out
}

// readBranch returns the records one branch makes: none when it says a
// package is not affected, or holds a check Loupe cannot express.
func readBranch(b oval.Branch) []recordKey {
	var out []recordKey
	for _, l := range b {
		ri, ok := l.RPMInfo()
		if !ok {
			continue // a test the document lacks, or another kind
		}
		if isProduct(ri) {
			continue
		}
		if l.Negate {
			return nil
		}
		k := recordKey{name: ri.Name}
		switch {
		case ri.EVR != nil:
			if !k.bounds.Add(ri.EVR) {
				return nil
			}
		case ri.Version != nil:
			// "==0": not affected. Any other version is a check
			// Loupe cannot express.
			return nil
		case ri.Release != nil || ri.SignatureKeyID != nil:
			continue // nothing an index report can be matched on
		}
		// With no version check, installed is affected: unfixed.
		if ri.Arch != nil {
			op, ok := oval.ArchOp(ri.Arch.Operation)
			if !ok {
				return nil
			}
			k.arch, k.archOp = ri.Arch.Value, op
		}
		out = append(out, k)
	}
	return out
}

// isProduct reports whether a check is of the installed product: the
// version of its *-release package.
func isProduct(ri oval.RPMInfo) bool {
	return ri.EVR == nil && ri.Version != nil && strings.HasSuffix(strings.ToLower(ri.Name), "-release") && ri.Version.Value != "0"
}

// NormalizeSeverity maps a SUSE severity to a normalized one, as Clair
// does: Low is Low, Moderate Medium, Important High, Critical Critical,
// anything else ("None", empty) Unknown. Case is ignored.
func NormalizeSeverity(s string) loupe.Severity {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return loupe.Low
	case "moderate":
		return loupe.Medium
	case "important":
		return loupe.High
	case "critical":
		return loupe.Critical
	}
	return loupe.Unknown
}
