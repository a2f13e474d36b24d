package loupe

import "encoding/json"

// Index states. Clients see IndexFinished or IndexError; the others name
// the steps of an index run.
const (
	StateCheckManifest = "CheckManifest"
	StateFetchLayers   = "FetchLayers"
	StateScanLayers    = "ScanLayers"
	StateCoalesce      = "Coalesce"
	StateIndexManifest = "IndexManifest"
	StateIndexError    = "IndexError"
	StateIndexFinished = "IndexFinished"
	StateTerminal      = "Terminal"
)

// IndexReport is what the indexer found in a manifest. The four maps are
// always encoded as objects, never null.
type IndexReport struct {
	Hash          Digest                    `json:"manifest_hash"`
	State         string                    `json:"state"`
	Packages      map[string]*Package       `json:"packages"`
	Distributions map[string]*Distribution  `json:"distributions"`
	Repositories  map[string]*Repository    `json:"repository"`
	Environments  map[string][]*Environment `json:"environments"`
	Success       bool                      `json:"success"`
	Err           string                    `json:"err"`
}

// MarshalJSON encodes nil maps as empty objects, as Clair does.
func (r *IndexReport) MarshalJSON() ([]byte, error) {
	type plain IndexReport
	c := plain(*r)
	c.Packages = orEmpty(c.Packages)
	c.Distributions = orEmpty(c.Distributions)
	c.Repositories = orEmpty(c.Repositories)
	c.Environments = orEmpty(c.Environments)
	return json.Marshal(&c)
}

// IndexRecord is one (package, distribution, repository) triple of a
// report: the unit that matching works on.
type IndexRecord struct {
	Package      *Package
	Distribution *Distribution
	Repository   *Repository
}

// Records expands the report into IndexRecords: one per package, per
// environment, per repository of that environment (or one with no
// repository). The order is deterministic: by package ID, then environment
// order.
func (r *IndexReport) Records() []IndexRecord {
	ids := sortedKeys(r.Packages)
	out := make([]IndexRecord, 0, len(ids))
	for _, id := range ids {
		pkg := r.Packages[id]
		for _, env := range r.Environments[id] {
			if env == nil {
				continue
			}
			dist := r.Distributions[env.DistributionID]
			if len(env.RepositoryIDs) == 0 {
				out = append(out, IndexRecord{Package: pkg, Distribution: dist})
				continue
			}
			for _, rid := range env.RepositoryIDs {
				out = append(out, IndexRecord{Package: pkg, Distribution: dist, Repository: r.Repositories[rid]})
			}
		}
	}
	return out
}

// orEmpty returns m, or an empty map if m is nil, so that it encodes as {}
// rather than null.
func orEmpty[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
