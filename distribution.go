package loupe

// Distribution is an operating-system release, as Clair reports it: every
// field is always present in JSON.
type Distribution struct {
	ID              string `json:"id"`
	DID             string `json:"did"`
	Name            string `json:"name"`
	Version         string `json:"version"`
	VersionCodeName string `json:"version_code_name"`
	VersionID       string `json:"version_id"`
	Arch            string `json:"arch"`
	// CPE is a CPE 2.3 formatted string, or "".
	CPE        string `json:"cpe"`
	PrettyName string `json:"pretty_name"`
}

// SameAs reports whether d and o describe the same release, ignoring ID.
func (d *Distribution) SameAs(o *Distribution) bool {
	a, b := *d, *o
	a.ID, b.ID = "", ""
	return a == b
}
