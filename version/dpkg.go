package version

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Dpkg is a Debian package version, [epoch:]upstream[-revision], as
// defined by deb-version(7).
//
// Written here rather than taken from a library: the common Go library
// allocates through regular expressions on every parse, accepts non-ASCII
// letters, and overflows on long digit runs, which dpkg itself compares
// correctly.
type Dpkg struct {
	Epoch    uint64
	Upstream string
	Revision string
}

// ErrInvalidDpkg is wrapped by every error ParseDpkg returns.
var ErrInvalidDpkg = errors.New("invalid dpkg version")

// ParseDpkg parses a Debian version. Surrounding white space is ignored.
func ParseDpkg(s string) (Dpkg, error) {
	var v Dpkg
	s = strings.TrimSpace(s)
	if s == "" {
		return v, fmt.Errorf("%w: empty", ErrInvalidDpkg)
	}
	rest := s
	if e, r, ok := strings.Cut(s, ":"); ok {
		if e == "" {
			return v, fmt.Errorf("%w: %q: empty epoch", ErrInvalidDpkg, s)
		}
		n, err := strconv.ParseUint(e, 10, 32)
		if err != nil {
			return v, fmt.Errorf("%w: %q: bad epoch", ErrInvalidDpkg, s)
		}
		v.Epoch, rest = n, r
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.Upstream, v.Revision = rest[:i], rest[i+1:]
		if v.Revision == "" {
			return v, fmt.Errorf("%w: %q: empty revision", ErrInvalidDpkg, s)
		}
	} else {
		v.Upstream = rest
	}
	if v.Upstream == "" {
		return v, fmt.Errorf("%w: %q: empty upstream version", ErrInvalidDpkg, s)
	}
	for i := 0; i < len(v.Upstream); i++ {
		c := v.Upstream[i]
		if !isAlnum(c) && !strings.ContainsRune(".+~-:_", rune(c)) {
			return v, fmt.Errorf("%w: %q: invalid character %q in upstream version", ErrInvalidDpkg, s, c)
		}
	}
	for i := 0; i < len(v.Revision); i++ {
		c := v.Revision[i]
		if !isAlnum(c) && !strings.ContainsRune(".+~_", rune(c)) {
			return v, fmt.Errorf("%w: %q: invalid character %q in revision", ErrInvalidDpkg, s, c)
		}
	}
	return v, nil
}

// String returns the canonical form: the epoch is omitted when zero.
func (v Dpkg) String() string { return formatEVR(v.Epoch, v.Upstream, v.Revision) }

// Compare returns -1, 0 or +1 as v sorts before, equal to or after o.
func (v Dpkg) Compare(o Dpkg) int {
	switch {
	case v.Epoch < o.Epoch:
		return -1
	case v.Epoch > o.Epoch:
		return 1
	}
	if c := verrevcmp(v.Upstream, o.Upstream); c != 0 {
		return c
	}
	return verrevcmp(v.Revision, o.Revision)
}

// CompareDpkg parses and compares two Debian versions.
func CompareDpkg(a, b string) (int, error) {
	va, err := ParseDpkg(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseDpkg(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// dpkgOrder is the weight of a character in the non-digit parts: '~' sorts
// before everything, even the end of the string; letters before other
// characters.
func dpkgOrder(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's comparison of an upstream version or revision:
// alternating runs of non-digits (compared by dpkgOrder) and digits
// (compared numerically, without limit on length).
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			var ac, bc int
			if i < len(a) {
				ac = dpkgOrder(a[i])
			}
			if j < len(b) {
				bc = dpkgOrder(b[j])
			}
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// formatEVR writes epoch:version-release as dpkg and rpm both do, the
// epoch left out when zero and the release when empty.
func formatEVR(epoch uint64, version, release string) string {
	var b strings.Builder
	if epoch != 0 {
		b.WriteString(strconv.FormatUint(epoch, 10))
		b.WriteByte(':')
	}
	b.WriteString(version)
	if release != "" {
		b.WriteByte('-')
		b.WriteString(release)
	}
	return b.String()
}
