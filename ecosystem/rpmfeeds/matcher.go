package rpmfeeds

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
)

// Matcher is one distribution's matching rules (see the package
// documentation). Make it with NewMatcher; the zero Matcher claims
// nothing.
type Matcher struct {
	name      string
	did       string
	namespace func(*loupe.Distribution) string
}

var _ matcher.Rules = Matcher{}

// NewMatcher returns the rules named name (as matchers.names lists it)
// for the distribution whose DID is did. namespace returns the namespace
// of a distribution of that DID, "" when it cannot tell; it is applied
// to vulnerabilities' and installed packages' distributions alike.
func NewMatcher(name, did string, namespace func(*loupe.Distribution) string) Matcher {
	return Matcher{name: name, did: did, namespace: namespace}
}

// Name implements matcher.Rules.
func (m Matcher) Name() string { return m.name }

func (m Matcher) ns(d *loupe.Distribution) string {
	if m.did == "" || m.namespace == nil || d == nil || d.DID != m.did {
		return ""
	}
	return m.namespace(d)
}

// VulnerabilityKey implements matcher.Rules.
func (m Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	ns := m.ns(v.Dist)
	if ns == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name, Source: v.Package.Kind == loupe.SourcePackage}, true
}

// RecordKeys implements matcher.Rules.
func (m Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	if r.Package == nil || r.Package.Name == "" {
		return dst
	}
	ns := m.ns(r.Distribution)
	if ns == "" {
		return dst
	}
	src := r.Package.Name // a package with no source rpm is its own source
	if r.Package.Source != nil && r.Package.Source.Name != "" {
		src = r.Package.Source.Name
	}
	return append(dst,
		matcher.Key{Namespace: ns, Name: r.Package.Name},
		matcher.Key{Namespace: ns, Name: src, Source: true})
}

// Prepare implements matcher.Rules.
func (Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	return NewConstraint(v)
}

// Constraint is the version, module and architecture condition of one
// vulnerability.
type Constraint struct {
	fixed    version.RPM
	hasFixed bool
	module   string
	archOp   loupe.ArchOp
	arch     string
	archRE   *regexp.Regexp
}

var _ matcher.Constraint = (*Constraint)(nil)

// NewConstraint parses v's fixed version ("" means unfixed) and compiles
// its architecture pattern, once.
func NewConstraint(v *loupe.Vulnerability) (*Constraint, error) {
	c := &Constraint{archOp: v.ArchOperation}
	if v.Package != nil {
		c.module, c.arch = v.Package.Module, v.Package.Arch
	}
	if fixed := strings.TrimSpace(v.FixedInVersion); fixed != "" {
		f, err := version.ParseRPM(fixed)
		if err != nil {
			return nil, err
		}
		c.fixed, c.hasFixed = f, true
	}
	if c.arch != "" {
		switch c.archOp {
		case loupe.ArchOpEquals, loupe.ArchOpNotEquals:
		case loupe.ArchOpPatternMatch:
			re, err := regexp.Compile(c.arch)
			if err != nil {
				return nil, fmt.Errorf("architecture pattern %q: %w", c.arch, err)
			}
			c.archRE = re
		default:
			return nil, errors.New("architecture without an operation")
		}
	}
	return c, nil
}

// Affects implements matcher.Constraint.
func (c *Constraint) Affects(r *loupe.IndexRecord, bySource bool) bool {
	p := r.Package
	if p.Module != c.module || !c.archOK(p.Arch) {
		return false
	}
	if !c.hasFixed {
		return true
	}
	installed, ok := InstalledVersion(p, bySource)
	return ok && installed.Compare(c.fixed) < 0
}

func (c *Constraint) archOK(have string) bool {
	switch {
	case c.arch == "":
		return true
	case have == "":
		return false
	}
	switch c.archOp {
	case loupe.ArchOpEquals:
		return have == c.arch
	case loupe.ArchOpNotEquals:
		return have != c.arch
	case loupe.ArchOpPatternMatch:
		return c.archRE.MatchString(have)
	}
	return false
}

// InstalledVersion returns the version of p to compare with a fixed
// version: its own EVR, or, when bySource and p records its source's
// version, that version-release with p's own epoch. ok is false when the
// version does not parse.
func InstalledVersion(p *loupe.Package, bySource bool) (v version.RPM, ok bool) {
	own, err := version.ParseRPM(p.Version)
	if bySource && p.Source != nil && p.Source.Version != "" {
		src, serr := version.ParseRPM(p.Source.Version)
		if serr == nil {
			if src.Epoch == 0 && err == nil {
				src.Epoch = own.Epoch
			}
			return src, true
		}
	}
	return own, err == nil
}
