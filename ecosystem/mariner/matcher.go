package mariner

import (
	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/matcher"
)

// Matcher holds the matching rules of CBL-Mariner's and Azure Linux's
// data, which Clair does not have: records name source packages (spec
// names) and are filed by release ("mariner:2.0", "azurelinux:3.0"). An
// installed package is looked up by its source package's name and by its
// own, and is affected when oval.RPMRule says so: its EVR (its source
// package's, with its own epoch, when the record names the source) within
// the record's bounds.
type Matcher struct{}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "mariner" }

// namespace is the key a distribution's data is filed under, "" for one
// that is neither CBL-Mariner nor Azure Linux.
func namespace(d *loupe.Distribution) string {
	if d == nil || (d.DID != marinerID && d.DID != azureLinuxID) {
		return ""
	}
	v := release(d.VersionID)
	if v == "" {
		v = release(d.Version)
	}
	if v == "" {
		return ""
	}
	return d.DID + ":" + v
}

// VulnerabilityKey implements matcher.Rules.
func (Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	ns := namespace(v.Dist)
	if ns == "" || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name, Source: true}, true
}

// RecordKeys implements matcher.Rules.
func (Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	ns := namespace(r.Distribution)
	if ns == "" || r.Package == nil || r.Package.Name == "" {
		return dst
	}
	dst = append(dst, matcher.Key{Namespace: ns, Name: r.Package.Name, Source: true})
	if s := r.Package.Source; s != nil && s.Name != "" && s.Name != r.Package.Name {
		dst = append(dst, matcher.Key{Namespace: ns, Name: s.Name, Source: true})
	}
	return dst
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	return oval.RPMRule{}.Prepare(v)
}
