package ubuntu

import (
	"errors"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
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

// VulnerabilityKey implements matcher.Rules.
func (Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if !isUbuntu(v.Dist) || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	ns := namespace(v.Dist.VersionID, v.Dist.VersionCodeName)
	if ns == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name, Source: v.Package.Kind == loupe.SourcePackage}, true
}

// RecordKeys implements matcher.Rules.
func (Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	if !isUbuntu(r.Distribution) || r.Package == nil {
		return dst
	}
	ns := namespace(r.Distribution.VersionID, r.Distribution.VersionCodeName)
	if ns == "" {
		return dst
	}
	dst = append(dst, matcher.Key{Namespace: ns, Name: r.Package.Name})
	src := r.Package.Name // a package with no Source field is its own source
	if r.Package.Source != nil && r.Package.Source.Name != "" {
		src = r.Package.Source.Name
	}
	return append(dst, matcher.Key{Namespace: ns, Name: src, Source: true})
}

var errNotAffected = errors.New("fixed in version 0: not affected")

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	fixed := strings.TrimSpace(v.FixedInVersion)
	switch fixed {
	case "":
		return unfixed{}, nil
	case "0":
		return nil, errNotAffected
	}
	f, err := version.ParseDpkg(fixed)
	if err != nil {
		return nil, err
	}
	return fixedIn{f}, nil
}

// unfixed affects every version.
type unfixed struct{}

func (unfixed) Affects(*loupe.IndexRecord, bool) bool { return true }

// fixedIn affects versions before the fix. Found through the source
// package, the installed source version is compared: Ubuntu's fixed
// versions are source versions, and a binary's own version may differ
// (an epoch, or a separately versioned binary such as gcc from
// gcc-defaults).
type fixedIn struct{ fixed version.Dpkg }

func (c fixedIn) Affects(r *loupe.IndexRecord, bySource bool) bool {
	installed := r.Package.Version
	if bySource && r.Package.Source != nil && r.Package.Source.Version != "" {
		installed = r.Package.Source.Version
	}
	v, err := version.ParseDpkg(installed)
	if err != nil {
		return false
	}
	return v.Compare(c.fixed) < 0
}
