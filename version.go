package loupe

import (
	"bytes"
	"fmt"
	"strconv"
)

// Version is Clair's normalized version: a kind and ten integers, compared
// slot by slot. Ecosystems that cannot be normalized leave it zero, which
// encodes as "".
type Version struct {
	Kind string
	V    [10]int32
}

// Compare orders versions by kind, then slot by slot.
func (v *Version) Compare(o *Version) int {
	switch {
	case v.Kind < o.Kind:
		return -1
	case v.Kind > o.Kind:
		return 1
	}
	for i := range v.V {
		switch {
		case v.V[i] < o.V[i]:
			return -1
		case v.V[i] > o.V[i]:
			return 1
		}
	}
	return 0
}

// MarshalText encodes "kind:v0.v1.….v9", or "" for a zero Kind.
func (v Version) MarshalText() ([]byte, error) {
	if v.Kind == "" {
		return []byte{}, nil
	}
	b := make([]byte, 0, len(v.Kind)+32)
	b = append(b, v.Kind...)
	b = append(b, ':')
	for i, n := range v.V {
		if i != 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return b, nil
}

// UnmarshalText decodes the form MarshalText writes. Text without a kind
// decodes to the zero Version.
func (v *Version) UnmarshalText(text []byte) error {
	*v = Version{}
	kind, rest, ok := bytes.Cut(text, []byte(":"))
	if !ok {
		return nil
	}
	v.Kind = string(kind)
	for i, f := range bytes.Split(rest, []byte(".")) {
		if i >= len(v.V) {
			return fmt.Errorf("normalized version %q: too many fields", text)
		}
		n, err := strconv.ParseInt(string(f), 10, 32)
		if err != nil {
			return fmt.Errorf("normalized version %q: %w", text, err)
		}
		v.V[i] = int32(n)
	}
	return nil
}

// Range is the half-open range [Lower, Upper) of normalized versions.
type Range struct {
	Lower Version `json:"["`
	Upper Version `json:")"`
}

// Contains reports whether v is in r. A zero bound is open.
func (r *Range) Contains(v *Version) bool {
	if r.Lower.Kind != "" && v.Compare(&r.Lower) < 0 {
		return false
	}
	if r.Upper.Kind != "" && v.Compare(&r.Upper) >= 0 {
		return false
	}
	return true
}
