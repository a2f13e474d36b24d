package loupe

import (
	"fmt"
	"regexp"
)

// ArchOp says how a vulnerability's package architecture is compared with
// an installed package's. The zero ArchOp is omitted from JSON.
type ArchOp uint8

// Architecture operations.
const (
	ArchOpNone ArchOp = iota
	ArchOpEquals
	ArchOpNotEquals
	ArchOpPatternMatch
)

var archOpNames = [...]string{"invalid", "equals", "not equals", "pattern match"}

// String returns the JSON name of o.
func (o ArchOp) String() string {
	if int(o) < len(archOpNames) {
		return archOpNames[o]
	}
	return fmt.Sprintf("ArchOp(%d)", uint8(o))
}

// Cmp reports whether the installed architecture have satisfies the
// vulnerability's architecture want under o. An empty want matches
// anything; an empty have matches only an empty want.
func (o ArchOp) Cmp(have, want string) bool {
	switch {
	case want == "":
		return true
	case have == "":
		return false
	}
	switch o {
	case ArchOpEquals:
		return have == want
	case ArchOpNotEquals:
		return have != want
	case ArchOpPatternMatch:
		re, err := regexp.Compile(want)
		return err == nil && re.MatchString(have)
	}
	return false
}

// MarshalText implements encoding.TextMarshaler.
func (o ArchOp) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; an unknown name
// decodes to ArchOpNone, as Clair does.
func (o *ArchOp) UnmarshalText(b []byte) error {
	*o = ArchOpNone
	for i, n := range archOpNames {
		if n == string(b) && i != 0 {
			*o = ArchOp(i)
		}
	}
	return nil
}
