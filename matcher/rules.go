package matcher

import (
	"hash/fnv"

	"github.com/loupe-dev/loupe"
)

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

// Hash is a 64-bit hash of k (FNV-1a), the form indexers store record
// keys in to find the manifests a vulnerability may affect. Collisions
// only add candidates, which exact matching then rules out.
func (k Key) Hash() uint64 {
	h := fnv.New64a()
	h.Write([]byte(k.Namespace))
	h.Write([]byte{0})
	h.Write([]byte(k.Name))
	if k.Source {
		h.Write([]byte{0, 's'})
	} else {
		h.Write([]byte{0, 'b'})
	}
	return h.Sum64()
}

// RecordKeys returns the hashes of the keys of every record of ir, under
// every rule: what an indexer stores with a report.
func RecordKeys(rules []Rules, ir *loupe.IndexReport) []uint64 {
	seen := make(map[uint64]bool)
	var keys []Key
	out := []uint64{}
	for _, rec := range ir.Records() {
		for _, r := range rules {
			keys = r.RecordKeys(keys[:0], &rec)
			for _, k := range keys {
				if h := k.Hash(); !seen[h] {
					seen[h] = true
					out = append(out, h)
				}
			}
		}
	}
	return out
}
