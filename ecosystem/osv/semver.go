package osv

import (
	"math"
	"strings"

	"github.com/loupe-dev/loupe"
)

// semverKind is the normalized-version kind of SemVer versions.
const semverKind = "semver"

// parseSemver normalizes a SemVer version as Clair does: slot 0 (the
// epoch) is 0 and slots 1–3 are major, minor and patch; pre-release and
// build metadata are dropped. It is lenient the way OSV data needs: a
// leading "v" is allowed, and a missing minor or patch is 0. Anything
// else, or a number that does not fit an int32, is not a version.
func parseSemver(s string) (loupe.Version, bool) {
	v := loupe.Version{Kind: semverKind}
	s = strings.TrimPrefix(s, "v")
	for i := 1; i <= 3; i++ {
		n, rest, ok := number(s)
		if !ok {
			return loupe.Version{}, false
		}
		v.V[i] = n
		s = rest
		if s == "" || s[0] == '-' || s[0] == '+' {
			return v, true
		}
		if s[0] != '.' || i == 3 {
			return loupe.Version{}, false
		}
		s = s[1:]
	}
	return loupe.Version{}, false // unreachable
}

// number reads a run of decimal digits that fits an int32.
func number(s string) (int32, string, bool) {
	var n int64
	i := 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
		if n > math.MaxInt32 {
			return 0, s, false
		}
	}
	if i == 0 {
		return 0, s, false
	}
	return int32(n), s[i:], true
}
