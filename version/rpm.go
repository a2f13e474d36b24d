package version

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// RPM is an rpm package version, [epoch:]version[-release], compared as
// rpm compares package EVRs: epochs numerically, then version and release
// each by rpmvercmp.
//
// Written here rather than taken from a library: the common Go library
// (github.com/knqyf263/go-rpm-version) runs regular expressions on every
// comparison, so it allocates where this package promises not to, and
// rpmvercmp itself is a short loop.
//
// An absent release compares as the empty string, which sorts before every
// release that has an alphanumeric segment. rpm's dependency-range check
// instead skips the release when either side lacks one; that is not a total
// order (1.0 would equal both 1.0-1 and 1.0-2), and vulnerability feeds give
// full EVRs, so the total order is kept here.
type RPM struct {
	Epoch   uint64
	Version string
	Release string
}

// ErrInvalidRPM is wrapped by every error ParseRPM returns.
var ErrInvalidRPM = errors.New("invalid rpm version")

// ParseRPM parses "[E:]V[-R]". As in rpm, the release is everything after
// the last '-'. The epoch must be a decimal number that fits in 32 bits (the
// type of rpm's EPOCH tag); version and release must be non-empty when
// present and consist of printable ASCII other than ':'. Surrounding white
// space is ignored.
func ParseRPM(s string) (RPM, error) {
	var v RPM
	s = strings.TrimSpace(s)
	if s == "" {
		return v, fmt.Errorf("%w: empty", ErrInvalidRPM)
	}
	rest := s
	if e, r, ok := strings.Cut(s, ":"); ok {
		if e == "" {
			return v, fmt.Errorf("%w: %q: empty epoch", ErrInvalidRPM, s)
		}
		n, err := strconv.ParseUint(e, 10, 32)
		if err != nil {
			return v, fmt.Errorf("%w: %q: bad epoch", ErrInvalidRPM, s)
		}
		v.Epoch, rest = n, r
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.Version, v.Release = rest[:i], rest[i+1:]
		if v.Release == "" {
			return v, fmt.Errorf("%w: %q: empty release", ErrInvalidRPM, s)
		}
	} else {
		v.Version = rest
	}
	if v.Version == "" {
		return v, fmt.Errorf("%w: %q: empty version", ErrInvalidRPM, s)
	}
	for _, part := range [...]string{v.Version, v.Release} {
		for i := 0; i < len(part); i++ {
			if c := part[i]; c <= ' ' || c >= 0x7f || c == ':' {
				return v, fmt.Errorf("%w: %q: invalid character %q", ErrInvalidRPM, s, c)
			}
		}
	}
	return v, nil
}

// String returns the canonical form: the epoch is omitted when zero.
func (v RPM) String() string { return formatEVR(v.Epoch, v.Version, v.Release) }

// Compare returns -1, 0 or +1 as v sorts before, equal to or after o.
func (v RPM) Compare(o RPM) int {
	switch {
	case v.Epoch < o.Epoch:
		return -1
	case v.Epoch > o.Epoch:
		return 1
	}
	if c := Rpmvercmp(v.Version, o.Version); c != 0 {
		return c
	}
	return Rpmvercmp(v.Release, o.Release)
}

// CompareRPM parses and compares two rpm versions.
func CompareRPM(a, b string) (int, error) {
	va, err := ParseRPM(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseRPM(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// Rpmvercmp compares two version (or release) strings as rpm's rpmvercmp
// does, returning -1, 0 or +1.
//
// The strings are split into segments: runs of ASCII digits, runs of ASCII
// letters, and the single characters '~' and '^'; every other byte only
// separates segments. Segments are compared in turn. '~' sorts before
// anything, even the end of the string (1.0~rc1 < 1.0). '^' sorts after the
// end of the string but before any other segment (1.0 < 1.0^git1 < 1.0.1).
// A numeric segment sorts after an alphabetic one; numeric segments compare
// as numbers of any length (leading zeros ignored), alphabetic ones
// byte-wise. When all segments agree, the string with segments left over
// is the greater.
func Rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isRPMSegment(a[i]) {
			i++
		}
		for j < len(b) && !isRPMSegment(b[j]) {
			j++
		}
		ac, bc := byteAt(a, i), byteAt(b, j)
		if ac == '~' || bc == '~' {
			if ac != '~' {
				return 1
			}
			if bc != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if ac == '^' || bc == '^' {
			switch {
			case i == len(a):
				return -1
			case j == len(b):
				return 1
			case ac != '^':
				return 1
			case bc != '^':
				return -1
			}
			i++
			j++
			continue
		}
		if i == len(a) || j == len(b) {
			break
		}
		si, sj := i, j
		if isDigit(ac) {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			if j == sj {
				return 1 // numeric beats alphabetic
			}
			for si < i && a[si] == '0' {
				si++
			}
			for sj < j && b[sj] == '0' {
				sj++
			}
			if la, lb := i-si, j-sj; la != lb {
				if la > lb {
					return 1
				}
				return -1
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
			if j == sj {
				return -1 // alphabetic loses to numeric
			}
		}
		if c := strings.Compare(a[si:i], b[sj:j]); c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

func isRPMSegment(c byte) bool { return isAlnum(c) || c == '~' || c == '^' }

// byteAt returns s[i], or 0 past the end, standing for C's terminating NUL.
func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}
