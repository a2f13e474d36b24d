package debian

import (
	"errors"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
)

// Matcher holds Debian's matching rules: tracker data speaks in source
// packages, keyed by release codename; an installed package is affected
// when its source package's version sorts before the fixed version, or
// when there is no fix.
//
// Unlike Clair, the comparison uses the source version when the match was
// made by source name: a binary's own version can carry an epoch or a
// binNMU suffix ("1:2.38.1-5+b1" from source "2.38.1-5") that the tracker's
// versions, which are source versions, do not.
type Matcher struct{}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "debian-matcher" }

func isDebian(d *loupe.Distribution) bool {
	return d != nil && (d.DID == "debian" || d.Name == "Debian GNU/Linux")
}

// rules are Debian's SourceRules.
var rules = SourceRules{Namespace: func(d *loupe.Distribution) string {
	if !isDebian(d) {
		return ""
	}
	return namespace(d)
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

// SourceRules are the matching rules of the dpkg distributions whose data
// speaks in source packages and source versions (Debian, Ubuntu), given
// how a distribution's data is keyed. A vulnerability is keyed by its
// namespace and its package's name, as a source package when its kind is
// source; an installed package is looked up by its own name and by its
// source's (a package with no source is its own). A fixed version of "0"
// means not affected and is left out of the index; an empty one means
// every version is affected; otherwise a package is affected when its
// version, its source's when found through the source, sorts before the
// fix in dpkg's ordering.
type SourceRules struct {
	// Namespace keys a distribution's data ("debian:bookworm"); "" for a
	// distribution the rules are not for.
	Namespace func(*loupe.Distribution) string
}

// VulnerabilityKey is matcher.Rules' VulnerabilityKey.
func (r SourceRules) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if v.Dist == nil || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	ns := r.Namespace(v.Dist)
	if ns == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name, Source: v.Package.Kind == loupe.SourcePackage}, true
}

// RecordKeys is matcher.Rules' RecordKeys.
func (r SourceRules) RecordKeys(dst []matcher.Key, rec *loupe.IndexRecord) []matcher.Key {
	if rec.Distribution == nil || rec.Package == nil {
		return dst
	}
	ns := r.Namespace(rec.Distribution)
	if ns == "" {
		return dst
	}
	dst = append(dst, matcher.Key{Namespace: ns, Name: rec.Package.Name})
	src := rec.Package.Name // a package with no Source field is its own source
	if rec.Package.Source != nil && rec.Package.Source.Name != "" {
		src = rec.Package.Source.Name
	}
	return append(dst, matcher.Key{Namespace: ns, Name: src, Source: true})
}

var errNotAffected = errors.New("fixed in version 0: not affected")

// Prepare is matcher.Rules' Prepare.
func (SourceRules) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
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

// fixedIn affects versions before the fix.
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
