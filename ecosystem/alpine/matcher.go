package alpine

import (
	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/alpine/secdb"
	"github.com/loupe-dev/loupe/matcher"
)

// Matcher holds Alpine's matching rules, Clair's "alpine-matcher": secdb
// data speaks in origin (source) packages and is keyed by release
// ("alpine:v3.18", "alpine:edge"); an installed package is affected when
// its version sorts before the fixed version by apk's ordering, or when
// there is no fix; a fixed version of "0" affects nothing.
type Matcher struct{}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "alpine-matcher" }

// VulnerabilityKey implements matcher.Rules.
func (Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if !isAlpine(v.Dist) {
		return matcher.Key{}, false
	}
	return secdb.VulnerabilityKey(namespace(v.Dist), v)
}

// RecordKeys implements matcher.Rules.
func (Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	if !isAlpine(r.Distribution) || r.Package == nil {
		return dst
	}
	ns := namespace(r.Distribution)
	if ns == "" {
		return dst
	}
	return secdb.RecordKeys(dst, ns, r.Package)
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	return secdb.Prepare(v)
}
