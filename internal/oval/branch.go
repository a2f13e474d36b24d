package oval

import (
	"errors"
	"fmt"
)

// MaxBranches bounds the branches one definition may expand to. Real
// definitions have at most a few thousand (a kernel CVE across every
// product and package of a SUSE release); a hostile one could otherwise
// ask for an exponential number.
const MaxBranches = 1 << 15

// maxEntries bounds the leaves of all the branches of one definition
// together, for the same reason.
const maxEntries = 1 << 21

// ErrTooManyBranches is returned by Branches for a definition whose
// criteria expand to more than MaxBranches alternatives, or to branches
// too long altogether.
var ErrTooManyBranches = errors.New("criteria expand to too many branches")

// Leaf is one criterion of a branch, with what the document says of it.
type Leaf struct {
	TestRef string
	Comment string
	// Negate says the branch needs the test to be false.
	Negate bool
	// Test is nil when the document does not have the test; Object is
	// nil when the test has no object or the document lacks it; States
	// holds the states the document has of those the test refers to.
	Test   *Test
	Object *Object
	States []*State
}

// Branch is a conjunction of criteria: one alternative under which a
// definition is true. Branches share their leaves: treat them as
// read-only.
type Branch []*Leaf

// Branches returns the alternatives under which def is true: its criteria
// in disjunctive normal form, negations pushed down to the leaves. OR
// gives one branch per alternative of each child; AND, every combination
// of its children's alternatives; ONE and XOR are read as OR (a package
// that satisfies two alternatives is affected anyway). A definition with
// no criteria has no branches.
func (doc *Document) Branches(def *Definition) ([]Branch, error) {
	if def.Criteria == nil {
		return nil, nil
	}
	bs, err := doc.expand(def.Criteria, false)
	if err != nil {
		return nil, fmt.Errorf("definition %s: %w", def.ID, err)
	}
	return bs, nil
}

func (doc *Document) expand(c *Criteria, negated bool) ([]Branch, error) {
	neg := negated != c.Negate
	and := c.Operator == "AND"
	if neg {
		and = !and // De Morgan; ONE and XOR negated are read as AND
	}
	var parts [][]Branch
	for i := range c.Leaves {
		l := &c.Leaves[i]
		parts = append(parts, []Branch{{doc.leaf(l, neg != l.Negate)}})
	}
	for _, sub := range c.Criteria {
		bs, err := doc.expand(sub, neg)
		if err != nil {
			return nil, err
		}
		parts = append(parts, bs)
	}
	if !and {
		var out []Branch
		entries := 0
		for _, bs := range parts {
			if len(out)+len(bs) > MaxBranches {
				return nil, ErrTooManyBranches
			}
			for _, b := range bs {
				entries += len(b)
			}
			if entries > maxEntries {
				return nil, ErrTooManyBranches
			}
			out = append(out, bs...)
		}
		return out, nil
	}
	out := []Branch{nil}
	for _, bs := range parts {
		if len(out)*len(bs) > MaxBranches {
			return nil, ErrTooManyBranches
		}
		entries := 0
		for _, prefix := range out {
			for _, b := range bs {
				entries += len(prefix) + len(b)
			}
		}
		if entries > maxEntries {
			return nil, ErrTooManyBranches
		}
		next := make([]Branch, 0, len(out)*len(bs))
		for _, prefix := range out {
			for _, b := range bs {
				joined := make(Branch, 0, len(prefix)+len(b))
				next = append(next, append(append(joined, prefix...), b...))
			}
		}
		out = next
	}
	return out, nil
}

func (doc *Document) leaf(c *Criterion, negate bool) *Leaf {
	l := &Leaf{TestRef: c.TestRef, Comment: c.Comment, Negate: negate}
	t, ok := doc.Tests[c.TestRef]
	if !ok {
		return l
	}
	l.Test = t
	l.Object = doc.Objects[t.ObjectRef]
	for _, ref := range t.StateRefs {
		if s, ok := doc.States[ref]; ok {
			l.States = append(l.States, s)
		}
	}
	return l
}

// RPMInfo is what an rpminfo test checks of a package: its name, and the
// checks of its states (the first state that makes each).
type RPMInfo struct {
	Name           string
	EVR            *Field
	Arch           *Field
	Version        *Field
	Release        *Field
	SignatureKeyID *Field
	// HasState is false for a test that only checks that the package is
	// installed.
	HasState bool
}

// RPMInfo returns the rpminfo check of l, and false when l is not an
// rpminfo test with a named object (its test or object missing, another
// kind of test, or a state the document lacks).
func (l *Leaf) RPMInfo() (RPMInfo, bool) {
	if l.Test == nil || l.Test.Kind != "rpminfo_test" || l.Object == nil || l.Object.Name == "" {
		return RPMInfo{}, false
	}
	if len(l.States) < len(l.Test.StateRefs) {
		return RPMInfo{}, false
	}
	ri := RPMInfo{Name: l.Object.Name, HasState: len(l.States) > 0}
	for _, s := range l.States {
		for _, f := range []struct {
			dst **Field
			src *Field
		}{
			{&ri.EVR, s.EVR}, {&ri.Arch, s.Arch}, {&ri.Version, s.Version},
			{&ri.Release, s.Release}, {&ri.SignatureKeyID, s.SignatureKeyID},
		} {
			if *f.dst == nil {
				*f.dst = f.src
			}
		}
	}
	return ri, true
}
