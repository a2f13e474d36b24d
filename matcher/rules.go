package matcher

import "github.com/loupe-dev/loupe"

// Key is where the Index files a vulnerability: the ecosystem's namespace,
// the package name, and whether that name is a source package.
type Key struct {
	Namespace string
	Name      string
	Source    bool
}

// Rules are an ecosystem's matching rules.
type Rules interface {
	// Name is the matcher's name, as the config key matchers.names
	// lists it (for example "debian-matcher").
	Name() string
	// VulnerabilityKey returns the key v is filed under, and false if v
	// is not this ecosystem's.
	VulnerabilityKey(v *loupe.Vulnerability) (Key, bool)
	// RecordKeys appends to dst the keys to look up for an installed
	// package, none if the record is not this ecosystem's.
	RecordKeys(dst []Key, r *loupe.IndexRecord) []Key
	// Prepare parses v's version constraint, once, when the Index is
	// built. An error leaves v out of the Index.
	Prepare(v *loupe.Vulnerability) (Constraint, error)
}

// Constraint decides whether an installed package is affected. bySource
// says whether it was found through its source package's name.
type Constraint interface {
	Affects(r *loupe.IndexRecord, bySource bool) bool
}
