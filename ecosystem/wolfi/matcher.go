package wolfi

import (
	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/alpine/secdb"
	"github.com/loupe-dev/loupe/matcher"
)

// Matcher holds the matching rules of one of the two distributions; use
// WolfiMatcher and ChainguardMatcher.
type Matcher struct {
	id string // the distribution's did and namespace
}

var _ matcher.Rules = Matcher{}

// WolfiMatcher returns the "wolfi-matcher" rules.
func WolfiMatcher() Matcher { return Matcher{id: wolfiID} }

// ChainguardMatcher returns the "chainguard-matcher" rules.
func ChainguardMatcher() Matcher { return Matcher{id: chainguardID} }

// Name implements matcher.Rules.
func (m Matcher) Name() string { return m.id + "-matcher" }

func (m Matcher) claims(d *loupe.Distribution) bool {
	return m.id != "" && d != nil && (d.DID == m.id || d.Name == m.id)
}

// VulnerabilityKey implements matcher.Rules.
func (m Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if !m.claims(v.Dist) {
		return matcher.Key{}, false
	}
	return secdb.VulnerabilityKey(m.id, v)
}

// RecordKeys implements matcher.Rules.
func (m Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	if !m.claims(r.Distribution) || r.Package == nil {
		return dst
	}
	return secdb.RecordKeys(dst, m.id, r.Package)
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	return secdb.Prepare(v)
}
