package loupe

import "time"

// Kinds of update operation.
const (
	VulnerabilityUpdate = "vulnerability"
	EnrichmentUpdate    = "enrichment"
)

// UpdateOperation is one run of an updater that changed the stored data.
type UpdateOperation struct {
	// Ref is a UUID in canonical lowercase form.
	Ref     string `json:"ref"`
	Updater string `json:"updater"`
	// Fingerprint is the updater's opaque record of what it fetched.
	Fingerprint string    `json:"fingerprint"`
	Date        time.Time `json:"date"`
	Kind        string    `json:"kind"`
}

// UpdateDiff is what changed between two update operations of one updater.
type UpdateDiff struct {
	Prev    UpdateOperation `json:"prev"`
	Cur     UpdateOperation `json:"cur"`
	Added   []Vulnerability `json:"added"`
	Removed []Vulnerability `json:"removed"`
}

// AffectedManifests maps vulnerabilities to the indexed manifests they
// affect. Each list in VulnerableManifests is sorted most severe first.
type AffectedManifests struct {
	Vulnerabilities     map[string]*Vulnerability `json:"vulnerabilities"`
	VulnerableManifests map[string][]string       `json:"vulnerable_manifests"`
}
