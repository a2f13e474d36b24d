package version

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
)

// APK is an Alpine package version, as apk-tools defines it (Alpine,
// Wolfi and Chainguard use the same scheme):
//
//	digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]
//
// Pre-release suffixes (_alpha, _beta, _pre, _rc) sort before the release,
// post-release suffixes (_cvs, _svn, _git, _hg, _p) after it, in those
// orders; "-rN" is the package revision.
//
// The ordering is apk-tools 3's (src/version.c): a dotted component with a
// leading zero compares as a string ("1.05" < "1.5"), the others as
// numbers; "~hash" (a commit hash) compares as a string. apk-tools reads
// numbers into 64 bits and silently wraps longer ones; here numbers of any
// length compare by value.
//
// Written here rather than taken from github.com/knqyf263/go-apk-version
// (what Clair uses): that library follows apk-tools 2, so it accepts
// versions apk-tools 3 rejects ("0.1a1", "1.0-r"), does not know the
// "~hash" component, and allocates on every comparison; this one compares
// without allocating and passes apk-tools 3's own test vectors.
type APK struct {
	s string
}

// ErrInvalidAPK is wrapped by every error ParseAPK returns.
var ErrInvalidAPK = errors.New("invalid apk version")

// ParseAPK parses an apk version. Surrounding white space is ignored; a
// version apk-tools would reject ("1.0bc", "1.0_foo", "1.0-r") is an
// error.
func ParseAPK(s string) (APK, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return APK{}, fmt.Errorf("%w: empty", ErrInvalidAPK)
	}
	t, i := apkFirst(s)
	for t.kind < apkEnd {
		t, i = apkNext(s, i, t.kind)
	}
	if t.kind == apkInvalid {
		if i > len(s) {
			i = len(s)
		}
		return APK{}, fmt.Errorf("%w: %q: unexpected %q at offset %d", ErrInvalidAPK, s, s[i:], i)
	}
	return APK{s: s}, nil
}

// LaxAPK returns s, without surrounding white space, as an APK without
// checking it. Compare then orders it as apk-tools orders any string, valid
// or not: token by token up to the first part that is not valid, which
// sorts below everything that can follow a valid prefix except a
// pre-release suffix, so that "10.2.26.r0" (a typo for "10.2.26-r0") sorts
// just below "10.2.26", and anything without a leading number below every
// valid version. Two versions invalid at the same token are equal.
//
// It is for data that must be compared as the package manager would even
// when it is malformed, such as the fixed versions of a security feed.
func LaxAPK(s string) APK { return APK{s: strings.TrimSpace(s)} }

// CompareAPK parses and compares two versions.
func CompareAPK(a, b string) (int, error) {
	va, err := ParseAPK(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseAPK(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// String returns the version as it was parsed, without surrounding white
// space.
func (v APK) String() string { return v.s }

// Compare returns -1, 0 or +1 as v sorts before, with or after w. Versions
// that differ only in leading zeros of numbers compared by value ("01" and
// "1" before the first dot, or in a suffix or revision number) are equal.
// The zero APK, like every APK without a leading number, sorts before
// every valid version.
func (v APK) Compare(w APK) int {
	a, b := v.s, w.s
	ta, i := apkFirst(a)
	tb, j := apkFirst(b)
	for ta.kind == tb.kind && ta.kind < apkEnd {
		if r := apkTokenCompare(a, b, ta, tb); r != 0 {
			return r
		}
		ta, i = apkNext(a, i, ta.kind)
		tb, j = apkNext(b, j, tb.kind)
	}
	// One version ran out, or the two differ in shape here: the one that
	// goes on is newer, unless it goes on with a pre-release suffix. The
	// kinds are ordered so that a later kind means an older version: "1.0"
	// (end) < "1.0-r1" (revision) < "1.0_p1" (suffix) < "1.0a" (letter) <
	// "1.0.1" (digit).
	switch {
	case ta.kind == tb.kind:
		return 0
	case ta.kind == apkSuffix && ta.suffix < apkSuffixNone:
		return -1
	case tb.kind == apkSuffix && tb.suffix < apkSuffixNone:
		return 1
	case ta.kind > tb.kind:
		return -1
	default:
		return 1
	}
}

// apkKind is the kind of a version token, in apk-tools' order: a token may
// only follow one of a lower kind (digits may follow digits).
type apkKind uint8

const (
	apkInitial  apkKind = iota // the leading number
	apkDigit                   // .N
	apkLetter                  // one lower-case letter after a number
	apkSuffix                  // _name
	apkSuffixNo                // the number after _name
	apkHash                    // ~hexdigits
	apkRevision                // -rN
	apkEnd
	apkInvalid
)

// Suffix ranks: pre-release suffixes sort below apkSuffixNone, post-release
// ones above it.
const (
	apkSuffixAlpha = iota + 1
	apkSuffixBeta
	apkSuffixPre
	apkSuffixRC
	apkSuffixNone
	apkSuffixCVS
	apkSuffixSVN
	apkSuffixGit
	apkSuffixHg
	apkSuffixP
)

// apkToken is one token of a version: its kind, the bytes [start, end) of
// its value (digits without the dot, the letter, the hash without the
// tilde, the revision number without "-r"), and a suffix's rank.
type apkToken struct {
	kind       apkKind
	suffix     int8
	start, end int
}

// apkFirst reads the leading number of s.
func apkFirst(s string) (apkToken, int) {
	end := apkDigits(s, 0)
	if end == 0 {
		return apkToken{kind: apkInvalid}, 0
	}
	return apkToken{kind: apkInitial, start: 0, end: end}, end
}

// apkNext reads the token at s[i:], which follows a token of kind prev,
// and returns it with the offset after it.
func apkNext(s string, i int, prev apkKind) (apkToken, int) {
	if i >= len(s) {
		return apkToken{kind: apkEnd}, i
	}
	invalid := apkToken{kind: apkInvalid}
	switch c := s[i]; {
	case 'a' <= c && c <= 'z':
		if prev > apkDigit {
			return invalid, i
		}
		return apkToken{kind: apkLetter, start: i, end: i + 1}, i + 1
	case c == '.' || ('0' <= c && c <= '9'):
		kind := apkDigit
		switch {
		case c == '.':
			if prev > apkDigit {
				return invalid, i
			}
			i++
		case prev == apkSuffix:
			kind = apkSuffixNo
		case prev > apkDigit:
			return invalid, i
		}
		end := apkDigits(s, i)
		if end == i {
			return invalid, i
		}
		return apkToken{kind: kind, start: i, end: end}, end
	case c == '_':
		if prev > apkSuffixNo {
			return invalid, i
		}
		start := i + 1
		end := start
		for end < len(s) && 'a' <= s[end] && s[end] <= 'z' {
			end++
		}
		rank := apkSuffixRank(s[start:end])
		if rank == 0 {
			return invalid, i
		}
		return apkToken{kind: apkSuffix, suffix: rank, start: start, end: end}, end
	case c == '~':
		if prev >= apkHash {
			return invalid, i
		}
		start := i + 1
		end := start
		for end < len(s) && apkIsHex(s[end]) {
			end++
		}
		if end == start {
			return invalid, i
		}
		return apkToken{kind: apkHash, start: start, end: end}, end
	case c == '-':
		if prev >= apkRevision || !strings.HasPrefix(s[i:], "-r") {
			return invalid, i
		}
		start := i + 2
		end := apkDigits(s, start)
		if end == start {
			return invalid, i
		}
		return apkToken{kind: apkRevision, start: start, end: end}, end
	}
	return invalid, i
}

// apkDigits returns the offset of the first non-digit at or after i.
func apkDigits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

func apkIsHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f')
}

func apkSuffixRank(name string) int8 {
	switch name {
	case "alpha":
		return apkSuffixAlpha
	case "beta":
		return apkSuffixBeta
	case "pre":
		return apkSuffixPre
	case "rc":
		return apkSuffixRC
	case "cvs":
		return apkSuffixCVS
	case "svn":
		return apkSuffixSVN
	case "git":
		return apkSuffixGit
	case "hg":
		return apkSuffixHg
	case "p":
		return apkSuffixP
	}
	return 0
}

// apkTokenCompare compares two tokens of the same kind.
func apkTokenCompare(a, b string, ta, tb apkToken) int {
	va, vb := a[ta.start:ta.end], b[tb.start:tb.end]
	switch ta.kind {
	case apkDigit:
		if va[0] == '0' || vb[0] == '0' {
			return strings.Compare(va, vb)
		}
		return apkCompareNumbers(va, vb)
	case apkInitial, apkSuffixNo, apkRevision:
		return apkCompareNumbers(va, vb)
	case apkSuffix:
		return cmp.Compare(int(ta.suffix), int(tb.suffix))
	default: // letter, hash
		return strings.Compare(va, vb)
	}
}

// apkCompareNumbers compares two runs of decimal digits by value, whatever
// their length.
func apkCompareNumbers(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}
