package loupe

// Repository is where packages come from: a package registry, a content
// set, an Alpine repository.
type Repository struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Key  string `json:"key,omitempty"`
	URI  string `json:"uri,omitempty"`
	// CPE is a CPE 2.3 formatted string, or "".
	CPE string `json:"cpe"`
}
