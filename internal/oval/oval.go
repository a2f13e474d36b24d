package oval

import (
	"strings"
	"time"
)

// Document is what Parse keeps of an OVAL definitions document.
type Document struct {
	Definitions []*Definition
	// Tests, Objects and States are keyed by ID. When the document
	// repeats an ID, the first one counts.
	Tests   map[string]*Test
	Objects map[string]*Object
	States  map[string]*State
}

// Definition is one OVAL definition: an advisory, or a CVE, and the
// criteria under which a system is affected.
type Definition struct {
	ID    string
	Class string // "patch", "vulnerability", …

	Title       string
	Description string
	// Platforms are the metadata's affected platforms ("Oracle Linux 8").
	Platforms  []string
	References []Reference
	Advisory   Advisory
	// Severity, Patchable and AdvisoryDate are metadata children Azure
	// Linux writes outside the advisory element.
	Severity     string
	Patchable    string
	AdvisoryDate time.Time

	// Criteria is the root of the criteria tree; nil when there is none.
	Criteria *Criteria
}

// Reference is a metadata reference.
type Reference struct {
	Source string
	RefID  string
	URL    string
}

// Advisory is the advisory element of Red Hat-style metadata.
type Advisory struct {
	Severity string
	Issued   time.Time
	Updated  time.Time
	CVEs     []CVE
	// Bugs are the hrefs of the bugzilla elements.
	Bugs []string
	// AffectedCPEs is the affected_cpe_list.
	AffectedCPEs []string
}

// CVE is an advisory's cve element.
type CVE struct {
	ID     string
	Href   string
	CVSS3  string
	Impact string
}

// Criteria is a node of a criteria tree: an operator over its children,
// possibly negated.
type Criteria struct {
	Operator string // "AND" (the default), "OR", "ONE" or "XOR"
	Negate   bool
	Criteria []*Criteria
	Leaves   []Criterion
}

// Criterion is a leaf of a criteria tree.
type Criterion struct {
	TestRef string
	Comment string
	Negate  bool
}

// Test is an OVAL test. (Its comment is not kept: criteria carry the same
// text, and the feeds' documents have hundreds of thousands of tests.)
type Test struct {
	ID    string
	Kind  string // the element name: "rpminfo_test", "family_test", …
	Check string
	// ObjectRef and StateRefs are empty for tests with no object or
	// state.
	ObjectRef string
	StateRefs []string
}

// Object is an OVAL object. Only rpminfo objects carry a Name.
type Object struct {
	ID   string
	Kind string
	// Name is the package name; empty when the object names it through
	// a variable, which no feed Loupe reads does.
	Name string
}

// State is an OVAL state: the entity checks of rpminfo and family
// states. A nil Field is a check the state does not make.
type State struct {
	ID             string
	Kind           string
	EVR            *Field
	Arch           *Field
	Version        *Field
	Release        *Field
	SignatureKeyID *Field
	Family         *Field
}

// Field is one entity check of a state.
type Field struct {
	// Operation is as written ("less than", "pattern match", …), or
	// "equals", OVAL's default, when absent.
	Operation string
	Datatype  string
	Value     string
}

// Operations this package interprets.
const (
	OpEquals         = "equals"
	OpNotEqual       = "not equal"
	OpLessThan       = "less than"
	OpLessOrEqual    = "less than or equal"
	OpGreaterThan    = "greater than"
	OpGreaterOrEqual = "greater than or equal"
	OpPatternMatch   = "pattern match"
)

// Links returns the definition's URLs, space-separated, without
// repeats, in the order Clair lists them: references, then bugzilla
// entries, then the advisory's CVE pages.
func (d *Definition) Links() string {
	seen := make(map[string]bool)
	var out []string
	add := func(u string) {
		u = strings.TrimSpace(u)
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, r := range d.References {
		add(r.URL)
	}
	for _, b := range d.Advisory.Bugs {
		add(b)
	}
	for _, c := range d.Advisory.CVEs {
		add(c.Href)
	}
	return strings.Join(out, " ")
}
