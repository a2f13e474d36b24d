package oracle

import (
	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/matcher"
)

// Matcher holds Oracle Linux's matching rules, Clair's "oracle" matcher.
// ELSA data names binary packages per major release ("ol:8"); an
// installed package is affected when its EVR sorts before the fixed one
// (epochs first, as rpm compares them), its module stream is the
// record's, and, for a record of one architecture, the image's
// architecture is that one (see oval.RPMRule: the architecture Oracle
// names is the platform's, so a noarch package fits every one).
type Matcher struct{}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "oracle" }

func isOracle(d *loupe.Distribution) bool {
	return d != nil && (d.DID == did || d.Name == name)
}

// namespace is the key Oracle data is filed under: "ol:" and the major
// release.
func namespace(d *loupe.Distribution) string {
	m := majorOf(d.VersionID)
	if m == "" {
		m = majorOf(d.Version)
	}
	if m == "" {
		return ""
	}
	return did + ":" + m
}

// VulnerabilityKey implements matcher.Rules.
func (Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if !isOracle(v.Dist) || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	ns := namespace(v.Dist)
	if ns == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name}, true
}

// RecordKeys implements matcher.Rules.
func (Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	if !isOracle(r.Distribution) || r.Package == nil || r.Package.Name == "" {
		return dst
	}
	ns := namespace(r.Distribution)
	if ns == "" {
		return dst
	}
	return append(dst, matcher.Key{Namespace: ns, Name: r.Package.Name})
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	return oval.RPMRule{PlatformArch: true}.Prepare(v)
}
