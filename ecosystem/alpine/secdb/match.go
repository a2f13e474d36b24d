package secdb

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
)

// ErrNotAffected is what Prepare returns for a fixed version of "0": the
// package was never affected, so the vulnerability has nothing to match.
var ErrNotAffected = errors.New("fixed in version 0: not affected")

// Prepare parses v's fixed version into the apk matching rule (see the
// package documentation). It is the Prepare of every apk matcher.
func Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	fixed := strings.TrimSpace(v.FixedInVersion)
	switch fixed {
	case "":
		return unfixed{}, nil
	case "0":
		return nil, ErrNotAffected
	}
	f, ok := apkVersion(fixed)
	if !ok {
		return nil, fmt.Errorf("fixed version %q: %w", fixed, version.ErrInvalidAPK)
	}
	return fixedIn{f}, nil
}

// apkVersion reads a version as apk-tools compares it: feeds and old
// databases hold malformed versions ("10.2.26.r0", "4.10-1-r1"), which apk
// compares up to the malformed part (see version.LaxAPK). A version that
// does not even start with a number is refused.
func apkVersion(s string) (version.APK, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return version.APK{}, false
	}
	return version.LaxAPK(s), true
}

// unfixed affects every version.
type unfixed struct{}

func (unfixed) Affects(*loupe.IndexRecord, bool) bool { return true }

// fixedIn affects the versions before the fix.
type fixedIn struct{ fixed version.APK }

// Affects compares the installed package's version: apk subpackages share
// their origin's version, so the binary's version is the source's.
func (c fixedIn) Affects(r *loupe.IndexRecord, _ bool) bool {
	v, ok := apkVersion(r.Package.Version)
	return ok && v.Compare(c.fixed) < 0
}

// RecordKeys appends the keys of an installed apk package in namespace ns:
// its own name, and its origin as a source package (its own name when the
// database names no origin: the package is then its own origin).
func RecordKeys(dst []matcher.Key, ns string, p *loupe.Package) []matcher.Key {
	dst = append(dst, matcher.Key{Namespace: ns, Name: p.Name})
	src := p.Name
	if p.Source != nil && p.Source.Name != "" {
		src = p.Source.Name
	}
	return append(dst, matcher.Key{Namespace: ns, Name: src, Source: true})
}

// VulnerabilityKey returns the key of v in namespace ns.
func VulnerabilityKey(ns string, v *loupe.Vulnerability) (matcher.Key, bool) {
	if ns == "" || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name, Source: v.Package.Kind == loupe.SourcePackage}, true
}
