package osv

import (
	"encoding/json"

	"go.yaml.in/yaml/v3"
)

// advisory is the part of an OSV record Loupe uses. The same struct
// decodes JSON and YAML; dates stay text so that both decoders treat them
// alike.
type advisory struct {
	ID         string      `json:"id" yaml:"id"`
	Published  string      `json:"published" yaml:"published"`
	Withdrawn  string      `json:"withdrawn" yaml:"withdrawn"`
	Aliases    []string    `json:"aliases" yaml:"aliases"`
	Summary    string      `json:"summary" yaml:"summary"`
	Details    string      `json:"details" yaml:"details"`
	Severity   []severity  `json:"severity" yaml:"severity"`
	Affected   []affected  `json:"affected" yaml:"affected"`
	References []reference `json:"references" yaml:"references"`
	Database   dbSpecific  `json:"database_specific" yaml:"database_specific"`
}

type severity struct {
	Type  string `json:"type" yaml:"type"`
	Score string `json:"score" yaml:"score"`
}

type affected struct {
	Package struct {
		Ecosystem string `json:"ecosystem" yaml:"ecosystem"`
		Name      string `json:"name" yaml:"name"`
	} `json:"package" yaml:"package"`
	// Severity is the per-package severity some databases give instead
	// of the top-level one.
	Severity []severity `json:"severity" yaml:"severity"`
	Ranges   []struct {
		Type   string  `json:"type" yaml:"type"`
		Events []event `json:"events" yaml:"events"`
	} `json:"ranges" yaml:"ranges"`
	Versions []string `json:"versions" yaml:"versions"`
}

type event struct {
	Introduced   string `json:"introduced" yaml:"introduced"`
	Fixed        string `json:"fixed" yaml:"fixed"`
	LastAffected string `json:"last_affected" yaml:"last_affected"`
	Limit        string `json:"limit" yaml:"limit"`
}

type reference struct {
	URL string `json:"url" yaml:"url"`
}

// dbSpecific is database_specific, which is free-form: only a string
// "severity" member is kept, and anything else (another shape, another
// type) is ignored rather than failing the advisory.
type dbSpecific struct {
	Severity string
}

func (d *dbSpecific) UnmarshalJSON(b []byte) error {
	var m struct {
		Severity json.RawMessage `json:"severity"`
	}
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	_ = json.Unmarshal(m.Severity, &d.Severity)
	return nil
}

func (d *dbSpecific) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "severity" && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
			d.Severity = v.Value
		}
	}
	return nil
}
