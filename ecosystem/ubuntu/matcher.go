package ubuntu

import (
	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/matcher"
)

// Matcher holds Ubuntu's matching rules. Ubuntu's data speaks in source
// packages and releases; the matcher keys it by codename
// ("ubuntu:jammy") and source package name, and finds it from every
// installed binary package through the binary's source. An installed
// package is affected when its source version sorts before the fixed
// version in dpkg's ordering, or when there is no fix.
//
// Vulnerabilities keyed by binary package name (Clair's OVAL data, for
// example from an imported bundle) match by the binary's name and
// version. A fixed version of "0" means not affected: such a
// vulnerability is left out of the index. Clair's Ubuntu matcher reads it
// as "affected"; Ubuntu's data never writes it.
type Matcher struct{}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "ubuntu-matcher" }

func isUbuntu(d *loupe.Distribution) bool {
	return d != nil && (d.DID == "ubuntu" || d.Name == "Ubuntu")
}

// rules are Ubuntu's debian.SourceRules: keyed by codename.
var rules = debian.SourceRules{Namespace: func(d *loupe.Distribution) string {
	if !isUbuntu(d) {
		return ""
	}
	return namespace(d.VersionID, d.VersionCodeName)
}}

// VulnerabilityKey implements matcher.Rules.
func (Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	return rules.VulnerabilityKey(v)
}

// RecordKeys implements matcher.Rules.
func (Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	return rules.RecordKeys(dst, r)
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) { return rules.Prepare(v) }
