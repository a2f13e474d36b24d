package oval

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
)

// Bounds are the versions of a package a vulnerability record covers, as
// EVR strings; empty ones do not bound.
type Bounds struct {
	Fixed        string // affected before it ("less than")
	LastAffected string // affected up to it ("less than or equal")
	After        string // affected after it ("greater than")
	Introduced   string // affected from it ("greater than or equal")
}

// Query keys of a FixedInVersion that carries a lower bound.
const (
	keyFixed       = "fixed"
	keyAfter       = "greater_than"
	keyIntroduced  = "introduced"
	maxBoundLength = 256
)

// Add folds an EVR check into b, and reports false for an operation that
// bounds nothing Bounds can say (equals, not equal, patterns). A bound
// already set is kept.
func (b *Bounds) Add(f *Field) bool {
	if f == nil || f.Value == "" {
		return false
	}
	var dst *string
	switch f.Operation {
	case OpLessThan:
		dst = &b.Fixed
	case OpLessOrEqual:
		dst = &b.LastAffected
	case OpGreaterThan:
		dst = &b.After
	case OpGreaterOrEqual:
		dst = &b.Introduced
	default:
		return false
	}
	if *dst == "" {
		*dst = f.Value
	}
	return true
}

// Set writes b into v as Clair's rpm rule reads it: FixedInVersion is the
// fixed version, and with no fix the package's Version is the last
// affected one. A lower bound, which Clair's records never have, turns
// FixedInVersion into a URL query ("fixed=…&greater_than=…"), the form
// Clair uses for ranges and Quay reads the fixed version from. v.Package
// must be set.
func (b Bounds) Set(v *loupe.Vulnerability) {
	v.FixedInVersion = b.Fixed
	if b.Fixed == "" {
		v.Package.Version = b.LastAffected
	}
	if b.After == "" && b.Introduced == "" {
		return
	}
	var q strings.Builder
	for _, kv := range [...][2]string{{keyFixed, b.Fixed}, {keyAfter, b.After}, {keyIntroduced, b.Introduced}} {
		if kv[1] == "" {
			continue
		}
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(kv[0])
		q.WriteByte('=')
		queryEscape(&q, kv[1])
	}
	v.FixedInVersion = q.String()
}

// queryEscape writes s percent-encoded for a query value, leaving the
// characters of EVRs that need no escaping (':' among them) as they are,
// so that the value stays readable.
func queryEscape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_', c == '~', c == ':', c == '^':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

// BoundsOf reads back what Set wrote.
func BoundsOf(v *loupe.Vulnerability) (Bounds, error) {
	var b Bounds
	fixed := strings.TrimSpace(v.FixedInVersion)
	if strings.Contains(fixed, "=") {
		q, err := url.ParseQuery(fixed)
		if err != nil {
			return b, fmt.Errorf("fixed_in_version %q: %w", fixed, err)
		}
		b.Fixed, b.After, b.Introduced = q.Get(keyFixed), q.Get(keyAfter), q.Get(keyIntroduced)
	} else {
		b.Fixed = fixed
	}
	if b.Fixed == "" && v.Package != nil {
		b.LastAffected = strings.TrimSpace(v.Package.Version)
	}
	return b, nil
}

// RPMRule is the matching rule of records made from rpminfo tests (and of
// Photon's, which have the same shape). A record affects an installed
// package when:
//
//   - its module stream is the package's ("" with "");
//   - its architecture, if it has one, fits the package's, under its
//     ArchOperation (equals, not equals, or an unanchored pattern);
//   - the package's EVR, compared as rpm does, lies within its Bounds:
//     before the fixed version, or at or before the last affected one, or
//     anywhere when it has neither, and after its lower bound.
//
// The EVR compared is the package's own when the record names it, and its
// source package's when the record names the source (with the binary's
// epoch, which a source rpm's file name does not carry).
type RPMRule struct {
	// PlatformArch says records name the platform's architecture, not
	// the package's own (Oracle writes it as a test of its release
	// package): a noarch package fits every platform, and a 32-bit x86
	// one (multilib) fits x86_64.
	PlatformArch bool
}

// ErrNoPackage is returned by Prepare for a record without a package name.
var ErrNoPackage = errors.New("vulnerability names no package")

// Prepare returns the constraint of v under r.
func (r RPMRule) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	if v.Package == nil || v.Package.Name == "" {
		return nil, ErrNoPackage
	}
	b, err := BoundsOf(v)
	if err != nil {
		return nil, err
	}
	c := &rpmConstraint{name: v.Package.Name, module: v.Package.Module, platform: r.PlatformArch}
	for _, x := range []struct {
		s   string
		dst **version.RPM
	}{
		{b.Fixed, &c.fixed}, {b.LastAffected, &c.last}, {b.After, &c.after}, {b.Introduced, &c.introduced},
	} {
		if x.s == "" {
			continue
		}
		if len(x.s) > maxBoundLength {
			return nil, fmt.Errorf("version %.32q…: too long", x.s)
		}
		ev, err := version.ParseRPM(x.s)
		if err != nil {
			return nil, err
		}
		*x.dst = &ev
	}
	if want := v.Package.Arch; want != "" {
		c.arch, c.archOp = want, v.ArchOperation
		switch c.archOp {
		case loupe.ArchOpPatternMatch:
			if len(want) > maxBoundLength {
				return nil, fmt.Errorf("arch pattern %.32q…: too long", want)
			}
			re, err := regexp.Compile(want)
			if err != nil {
				return nil, fmt.Errorf("arch pattern %q: %w", want, err)
			}
			c.archRE = re
		case loupe.ArchOpEquals, loupe.ArchOpNotEquals:
		default:
			c.archOp = loupe.ArchOpEquals
		}
	}
	return c, nil
}

type rpmConstraint struct {
	name, module string
	fixed, last  *version.RPM
	after        *version.RPM
	introduced   *version.RPM

	arch     string
	archOp   loupe.ArchOp
	archRE   *regexp.Regexp
	platform bool
}

func (c *rpmConstraint) Affects(r *loupe.IndexRecord, _ bool) bool {
	p := r.Package
	if p == nil || p.Module != c.module || !c.archFits(p.Arch) {
		return false
	}
	v, err := version.ParseRPM(c.installed(p))
	if err != nil {
		return false
	}
	switch {
	case c.fixed != nil:
		if v.Compare(*c.fixed) >= 0 {
			return false
		}
	case c.last != nil:
		if v.Compare(*c.last) > 0 {
			return false
		}
	}
	if c.after != nil && v.Compare(*c.after) <= 0 {
		return false
	}
	if c.introduced != nil && v.Compare(*c.introduced) < 0 {
		return false
	}
	return true
}

// installed returns the EVR of p to compare: its own, unless the record
// names its source package.
func (c *rpmConstraint) installed(p *loupe.Package) string {
	if p.Name == c.name || p.Source == nil || p.Source.Version == "" {
		return p.Version
	}
	src := p.Source.Version
	if strings.Contains(src, ":") {
		return src
	}
	if epoch, _, ok := strings.Cut(p.Version, ":"); ok {
		return epoch + ":" + src
	}
	return src
}

func (c *rpmConstraint) archFits(have string) bool {
	if c.arch == "" {
		return true
	}
	if have == "" {
		return false
	}
	if c.platform {
		if have == "noarch" {
			return true
		}
		if c.archIs(have) {
			return true
		}
		return isX86_32(have) && c.archIs("x86_64")
	}
	return c.archIs(have)
}

func (c *rpmConstraint) archIs(have string) bool {
	switch c.archOp {
	case loupe.ArchOpNotEquals:
		return have != c.arch
	case loupe.ArchOpPatternMatch:
		return c.archRE.MatchString(have)
	}
	return have == c.arch
}

func isX86_32(a string) bool {
	return len(a) == 4 && a[0] == 'i' && a[2] == '8' && a[3] == '6' && '3' <= a[1] && a[1] <= '6'
}

// ArchOp maps an OVAL operation on an architecture to Clair's ArchOp;
// false for one it has none for.
func ArchOp(op string) (loupe.ArchOp, bool) {
	switch op {
	case OpEquals:
		return loupe.ArchOpEquals, true
	case OpNotEqual:
		return loupe.ArchOpNotEquals, true
	case OpPatternMatch:
		return loupe.ArchOpPatternMatch, true
	}
	return loupe.ArchOpNone, false
}
