package loupe

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Digest algorithms Loupe accepts, as in Clair: nothing else parses.
const (
	SHA256 = "sha256"
	SHA512 = "sha512"
)

// ErrBadDigest is wrapped by every error ParseDigest returns.
var ErrBadDigest = errors.New("bad digest")

// Digest is a content address of the form "algorithm:hex". The zero Digest
// is valid as a value and encodes as the empty string.
type Digest struct {
	repr string // normalized "algo:hex", lowercase
}

// ParseDigest parses "sha256:<64 hex>" or "sha512:<128 hex>". Hex digits are
// accepted in either case and normalized to lowercase.
func ParseDigest(s string) (Digest, error) {
	algo, sum, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, fmt.Errorf("%w: %q: missing algorithm", ErrBadDigest, s)
	}
	var want int
	switch algo {
	case SHA256:
		want = sha256.Size * 2
	case SHA512:
		want = sha512.Size * 2
	default:
		return Digest{}, fmt.Errorf("%w: %q: unknown algorithm %q", ErrBadDigest, s, algo)
	}
	if len(sum) != want {
		return Digest{}, fmt.Errorf("%w: %q: want %d hex digits, have %d", ErrBadDigest, s, want, len(sum))
	}
	sum = strings.ToLower(sum)
	if _, err := hex.DecodeString(sum); err != nil {
		return Digest{}, fmt.Errorf("%w: %q: not hex", ErrBadDigest, s)
	}
	return Digest{repr: algo + ":" + sum}, nil
}

// MustParseDigest is ParseDigest for constants in tests and examples; it
// panics on a bad digest.
func MustParseDigest(s string) Digest {
	d, err := ParseDigest(s)
	if err != nil {
		panic(err)
	}
	return d
}

// NewDigest returns the digest of the given algorithm over sum, the raw hash
// output.
func NewDigest(algo string, sum []byte) (Digest, error) {
	return ParseDigest(algo + ":" + hex.EncodeToString(sum))
}

// String returns the "algorithm:hex" form, or "" for the zero Digest.
func (d Digest) String() string { return d.repr }

// IsZero reports whether d is the zero Digest.
func (d Digest) IsZero() bool { return d.repr == "" }

// Algorithm returns "sha256" or "sha512", or "" for the zero Digest.
func (d Digest) Algorithm() string {
	algo, _, _ := strings.Cut(d.repr, ":")
	return algo
}

// Hex returns the lowercase hex checksum.
func (d Digest) Hex() string {
	_, sum, _ := strings.Cut(d.repr, ":")
	return sum
}

// Hash returns a new hash.Hash of d's algorithm, or nil for the zero Digest.
func (d Digest) Hash() hash.Hash {
	switch d.Algorithm() {
	case SHA256:
		return sha256.New()
	case SHA512:
		return sha512.New()
	}
	return nil
}

// Matches reports whether sum, the output of d.Hash(), equals d's checksum.
func (d Digest) Matches(sum []byte) bool {
	return hex.EncodeToString(sum) == d.Hex()
}

// MarshalText implements encoding.TextMarshaler.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.repr), nil }

// UnmarshalText implements encoding.TextUnmarshaler. The empty string
// decodes to the zero Digest.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Digest{}
		return nil
	}
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
