package photon

import (
	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/matcher"
)

// Matcher holds Photon OS's matching rules, Clair's "photon" matcher.
// Records are filed by release ("photon:5.0") and package name. Photon's
// data names packages sometimes by spec (source) name and sometimes by
// subpackage: a CVE listed for "curl" alone affects "curl-libs" too. So,
// unlike Clair, an installed package is looked up by its own name and by
// its source package's, and compared with oval.RPMRule (its own EVR when
// the record names it, its source's otherwise).
type Matcher struct{}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "photon" }

// namespace is the key a distribution's data is filed under, "" for one
// that is not Photon.
func namespace(d *loupe.Distribution) string {
	if d == nil || d.DID != did {
		return ""
	}
	r := release(d.Version)
	if r == "" {
		r = release(d.VersionID)
	}
	if r == "" {
		return ""
	}
	return did + ":" + r
}

// VulnerabilityKey implements matcher.Rules.
func (Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	ns := namespace(v.Dist)
	if ns == "" || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name}, true
}

// RecordKeys implements matcher.Rules.
func (Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	ns := namespace(r.Distribution)
	if ns == "" || r.Package == nil || r.Package.Name == "" {
		return dst
	}
	dst = append(dst, matcher.Key{Namespace: ns, Name: r.Package.Name})
	if s := r.Package.Source; s != nil && s.Name != "" && s.Name != r.Package.Name {
		dst = append(dst, matcher.Key{Namespace: ns, Name: s.Name})
	}
	return dst
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	return oval.RPMRule{}.Prepare(v)
}
