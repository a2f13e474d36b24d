package oracle

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/version"
)

// Parse implements updater.Updater.
func (u *Updater) Parse(ctx context.Context, r io.Reader) ([]*loupe.Vulnerability, error) {
	doc, err := oval.Parse(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("oracle: %w", err)
	}
	return Vulnerabilities(ctx, u.Name(), doc), nil
}

// Comments of the criteria whose test, object or state a document lacks
// (as in truncated copies) are read instead; Oracle writes them in fixed
// forms.
var (
	commentPlatform = regexp.MustCompile(`^Oracle Linux (\d+) is installed$`)
	commentArch     = regexp.MustCompile(`^Oracle Linux arch is (\S+)$`)
	commentEarlier  = regexp.MustCompile(`^(\S+) is earlier than (\S+)$`)
	commentKsplice  = regexp.MustCompile(` is ksplice-based$`)
	// commentModule is how Oracle (like Red Hat) names the module
	// stream a definition is about; its test checks a dnf file.
	commentModule = regexp.MustCompile(`^Module (\S+) is enabled$`)
	platformName  = regexp.MustCompile(`^Oracle Linux (\d+)$`)
	releaseMajor  = regexp.MustCompile(`(\d+)`)
)

// Vulnerabilities turns an ELSA document into vulnerability records, for
// the updater named updaterName.
//
// Each definition is read branch by branch (see oval.Document.Branches):
// a branch names the release ("Oracle Linux 8 is installed", a test of
// oraclelinux-release), maybe the architecture (a test of the release
// package's arch) and the module stream, and the packages, each earlier
// than its fixed EVR (and signed with Oracle's key, which an index report
// cannot tell and is not checked). Each package of a branch is one
// record, on the branch's release, or on each of the definition's
// platforms when the branch names none. A package fixed at the same EVR
// on every architecture the definition names gets one record with no
// architecture.
//
// Left out: definitions whose affected CPEs are all userspace_ksplice,
// and branches that require a release pattern (the ksplice userspace
// builds, which containers do not run), a negated check, or an EVR check
// other than "less than".
func Vulnerabilities(ctx context.Context, updaterName string, doc *oval.Document) []*loupe.Vulnerability {
	var out []*loupe.Vulnerability
	skipped := 0
	for _, def := range doc.Definitions {
		if kspliceOnly(def) {
			continue
		}
		branches, err := doc.Branches(def)
		if err != nil {
			skipped++
			slog.WarnContext(ctx, "oracle: skipping definition", "definition", def.ID, "reason", err)
			continue
		}
		out = append(out, definitionRecords(updaterName, def, branches)...)
	}
	if skipped > 0 {
		slog.WarnContext(ctx, "oracle: definitions left out", "updater", updaterName, "count", skipped)
	}
	return out
}

// kspliceOnly reports whether every CPE a definition affects is a ksplice
// userspace one.
func kspliceOnly(def *oval.Definition) bool {
	cpes := def.Advisory.AffectedCPEs
	if len(cpes) == 0 {
		return false
	}
	for _, c := range cpes {
		if !strings.Contains(c, ":userspace_ksplice") {
			return false
		}
	}
	return true
}

// branchInfo is what one branch says.
type branchInfo struct {
	major  string
	arch   string
	archOp loupe.ArchOp
	module string
	pkgs   []pkgCheck
}

type pkgCheck struct {
	name   string
	bounds oval.Bounds
}

// readBranch interprets a branch; false when it is left out.
func readBranch(b oval.Branch) (branchInfo, bool) {
	var bi branchInfo
	for _, l := range b {
		if m := commentModule.FindStringSubmatch(l.Comment); m != nil {
			if l.Negate {
				return bi, false
			}
			bi.module = m[1]
			continue
		}
		ri, ok := l.RPMInfo()
		if !ok {
			if l.Test != nil && l.Test.Kind != "rpminfo_test" {
				continue // a test of another kind: nothing Oracle uses
			}
			// The test, or its object or state, is missing.
			if !readComment(&bi, l) {
				return bi, false
			}
			continue
		}
		switch {
		case ri.Release != nil:
			return bi, false // ksplice-based builds
		case ri.EVR != nil:
			if l.Negate {
				return bi, false
			}
			var bd oval.Bounds
			if ri.EVR.Operation != oval.OpLessThan || !bd.Add(ri.EVR) {
				return bi, false
			}
			bi.pkgs = append(bi.pkgs, pkgCheck{name: ri.Name, bounds: bd})
		case ri.Arch != nil:
			if l.Negate {
				return bi, false
			}
			op, ok := oval.ArchOp(ri.Arch.Operation)
			if !ok {
				return bi, false
			}
			bi.arch, bi.archOp = ri.Arch.Value, op
		case ri.Version != nil && strings.HasSuffix(ri.Name, "-release"):
			// The release: "^8" of oraclelinux-release.
			if l.Negate {
				return bi, false
			}
			if m := releaseMajor.FindString(ri.Version.Value); m != "" {
				bi.major = strings.TrimLeft(m, "0")
			}
		}
		// A signature check, or an installed check, says nothing
		// an index report can be matched on.
	}
	return bi, true
}

// readComment interprets a criterion whose test (or the test's object or
// state) the document lacks.
func readComment(bi *branchInfo, l *oval.Leaf) bool {
	c := strings.TrimSpace(l.Comment)
	switch {
	case commentKsplice.MatchString(c):
		return false
	case l.Negate:
		return !(commentPlatform.MatchString(c) || commentArch.MatchString(c) || commentEarlier.MatchString(c))
	}
	if m := commentPlatform.FindStringSubmatch(c); m != nil {
		bi.major = strings.TrimLeft(m[1], "0")
	} else if m := commentArch.FindStringSubmatch(c); m != nil {
		bi.arch, bi.archOp = m[1], loupe.ArchOpEquals
	} else if m := commentEarlier.FindStringSubmatch(c); m != nil {
		bi.pkgs = append(bi.pkgs, pkgCheck{name: m[1], bounds: oval.Bounds{Fixed: m[2]}})
	}
	return true
}

// pkgKey is a package on a release and architecture: one record, unless
// the definition's architectures all share it.
type pkgKey struct {
	major, name, module string
	arch                archKey
}

// recordKey identifies a record within a definition.
type recordKey struct {
	major, name, module string
	bounds              oval.Bounds
}

type archKey struct {
	arch string
	op   loupe.ArchOp
}

func definitionRecords(updaterName string, def *oval.Definition, branches []oval.Branch) []*loupe.Vulnerability {
	var platforms []string
	for _, p := range def.Platforms {
		if m := platformName.FindStringSubmatch(strings.TrimSpace(p)); m != nil {
			platforms = append(platforms, strings.TrimLeft(m[1], "0"))
		}
	}
	// Alternatives for one package on one release and architecture
	// ("earlier than 110-1.el8" or "earlier than 110-1.0.1.el8", after
	// a rebuild) join as OVAL's OR does: the later fix bounds.
	fixes := make(map[pkgKey]oval.Bounds)
	var pkgOrder []pkgKey
	archesOf := make(map[string]map[archKey]bool) // by release
	for _, b := range branches {
		bi, ok := readBranch(b)
		if !ok || len(bi.pkgs) == 0 {
			continue
		}
		majors := platforms
		if bi.major != "" {
			majors = []string{bi.major}
		}
		ak := archKey{bi.arch, bi.archOp}
		for _, major := range majors {
			if bi.arch != "" {
				if archesOf[major] == nil {
					archesOf[major] = make(map[archKey]bool)
				}
				archesOf[major][ak] = true
			}
			for _, p := range bi.pkgs {
				k := pkgKey{major: major, name: p.name, module: bi.module, arch: ak}
				prev, seen := fixes[k]
				switch {
				case !seen:
					pkgOrder = append(pkgOrder, k)
					fixes[k] = p.bounds
				case later(p.bounds.Fixed, prev.Fixed):
					fixes[k] = p.bounds
				}
			}
		}
	}
	groups := make(map[recordKey]map[archKey]bool)
	var order []recordKey
	for _, pk := range pkgOrder {
		k := recordKey{major: pk.major, name: pk.name, module: pk.module, bounds: fixes[pk]}
		if groups[k] == nil {
			groups[k] = make(map[archKey]bool)
			order = append(order, k)
		}
		groups[k][pk.arch] = true
	}
	if len(order) == 0 {
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
	}
	dists := make(map[string]*loupe.Distribution)
	var out []*loupe.Vulnerability
	for _, k := range order {
		d, ok := dists[k.major]
		if !ok {
			d = distributionOf(k.major)
			dists[k.major] = d
		}
		if d == nil {
			continue
		}
		arches := groups[k]
		if arches[archKey{}] || coversAll(arches, archesOf[k.major]) {
			arches = map[archKey]bool{{}: true}
		}
		for _, a := range sortedArches(arches) {
			v := proto
			v.Dist = d
			v.Package = &loupe.Package{Name: k.name, Kind: loupe.BinaryPackage, Module: k.module, Arch: a.arch}
			if a.arch != "" {
				v.ArchOperation = a.op
			}
			k.bounds.Set(&v)
			out = append(out, &v)
		}
	}
	return out
}

// later reports whether EVR a sorts after b; an unparsable one does not.
func later(a, b string) bool {
	c, err := version.CompareRPM(a, b)
	return err == nil && c > 0
}

// coversAll reports whether have holds every one of all, of which there
// are at least two (a definition for one architecture stays specific).
func coversAll(have, all map[archKey]bool) bool {
	if len(all) < 2 {
		return false
	}
	for a := range all {
		if !have[a] {
			return false
		}
	}
	return true
}

func sortedArches(m map[archKey]bool) []archKey {
	out := make([]archKey, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b archKey) int {
		return cmp.Or(cmp.Compare(a.arch, b.arch), cmp.Compare(a.op, b.op))
	})
	return out
}

// NormalizeSeverity maps an ELSA severity to a normalized one, as Clair
// does: LOW is Low, MODERATE Medium, IMPORTANT High, CRITICAL Critical,
// anything else ("N/A") Unknown. Case is ignored.
func NormalizeSeverity(s string) loupe.Severity {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "LOW":
		return loupe.Low
	case "MODERATE":
		return loupe.Medium
	case "IMPORTANT":
		return loupe.High
	case "CRITICAL":
		return loupe.Critical
	}
	return loupe.Unknown
}
