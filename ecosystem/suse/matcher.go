package suse

import (
	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/matcher"
)

// Matcher holds the matching rules of SUSE's data, Clair's "suse"
// matcher. Records name binary packages and are filed by release:
// "sles:15" (the major release), "opensuse-leap:15.5", and
// "opensuse-tumbleweed" (every snapshot). An installed package is
// affected when oval.RPMRule says so: its EVR before the fixed one, or
// any EVR when the record has none, and its architecture among the
// record's.
type Matcher struct{}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "suse" }

// namespace is the key a distribution's data is filed under, "" for one
// that is not SUSE's.
func namespace(d *loupe.Distribution) string {
	if d == nil {
		return ""
	}
	version := d.VersionID
	if version == "" {
		version = d.Version
	}
	switch {
	case d.DID == slesID || d.Name == slesName:
		if m := majorOf(version); m != "" {
			return slesID + ":" + m
		}
	case d.DID == leapID || d.DID == oldLeapID || d.Name == leapName:
		if version != "" {
			return leapID + ":" + version
		}
	case d.DID == tumbleweedID || d.Name == tumbleweedName:
		return tumbleweedID
	}
	return ""
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
	return append(dst, matcher.Key{Namespace: ns, Name: r.Package.Name})
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	return oval.RPMRule{}.Prepare(v)
}
