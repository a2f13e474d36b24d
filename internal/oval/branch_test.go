package oval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// describe renders a branch as its leaves' test refs, "!" before negated
// ones.
func describe(bs []Branch) []string {
	var out []string
	for _, b := range bs {
		var parts []string
		for _, l := range b {
			s := strings.TrimPrefix(l.TestRef, "oval:test:tst:")
			if l.Negate {
				s = "!" + s
			}
			parts = append(parts, s)
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func TestBranches(t *testing.T) {
	doc, err := Parse(context.Background(), bytes.NewReader(readFixture(t, "definitions.xml")))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{
		// AND(1, OR(AND(2, OR(AND(3, 4), AND(5, 6))), AND(7, 3)))
		{"1 2 3 4", "1 2 5 6", "1 7 3"},
		// NOT OR(8, NOT missing) = AND(NOT 8, missing)
		{"!8 missing"},
		{"9 10 11"},
		nil,
	} {
		bs, err := doc.Branches(doc.Definitions[i])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, describe(bs)); diff != "" {
			t.Errorf("definition %d branches (-want +got):\n%s", i+1, diff)
		}
	}

	bs, _ := doc.Branches(doc.Definitions[0])
	ri, ok := bs[0][2].RPMInfo()
	if !ok || ri.Name != "widget" || ri.EVR.Value != "2:1.2-3.el9" || ri.Arch != nil || !ri.HasState {
		t.Errorf("widget check = %+v, %v", ri, ok)
	}
	if ri, ok := bs[0][1].RPMInfo(); !ok || ri.Name != "testlinux-release" || ri.Arch.Value != "aarch64" || ri.Arch.Operation != OpPatternMatch {
		t.Errorf("arch check = %+v, %v", ri, ok)
	}
	bs, _ = doc.Branches(doc.Definitions[1])
	if l := bs[0][1]; l.Test != nil || l.Comment != "gadget is earlier than 0:2.0-1" {
		t.Errorf("missing test leaf = %+v", l)
	}
	if _, ok := bs[0][1].RPMInfo(); ok {
		t.Error("a leaf whose test is missing has an rpminfo check")
	}
	bs, _ = doc.Branches(doc.Definitions[2])
	for i, l := range bs[0] {
		// Another kind of test; a name given by a variable; a family
		// test: none is an rpminfo check Loupe can read.
		if ri, ok := l.RPMInfo(); ok {
			t.Errorf("leaf %d has rpminfo check %+v", i, ri)
		}
	}
	if fam := bs[0][2]; fam.Test.Kind != "family_test" || fam.States[0].Family.Value != "unix" {
		t.Errorf("family leaf = %+v", fam)
	}
}

// tree builds a document whose one definition has the given criteria.
func tree(criteria string) string {
	return `<oval_definitions><definitions><definition id="d"><metadata/>` + criteria + `</definition></definitions></oval_definitions>`
}

func TestBranchesLogic(t *testing.T) {
	for _, tc := range []struct {
		criteria string
		want     []string
	}{
		{`<criteria operator="OR"><criterion test_ref="a"/><criterion test_ref="b"/></criteria>`, []string{"a", "b"}},
		{`<criteria operator="and"><criterion test_ref="a"/><criterion test_ref="b"/></criteria>`, []string{"a b"}},
		{`<criteria operator="AND" negate="true"><criterion test_ref="a"/><criterion test_ref="b"/></criteria>`, []string{"!a", "!b"}},
		{`<criteria operator="AND"><criterion test_ref="a" negate="true"/><criteria negate="true" operator="OR"><criterion test_ref="b"/><criterion test_ref="c" negate="true"/></criteria></criteria>`, []string{"!a !b c"}},
		{`<criteria operator="ONE"><criterion test_ref="a"/><criterion test_ref="b"/></criteria>`, []string{"a", "b"}},
		// An empty OR is false, an empty AND true.
		{`<criteria operator="AND"><criterion test_ref="a"/><criteria operator="OR"/></criteria>`, nil},
		{`<criteria operator="AND"/>`, []string{""}},
	} {
		doc, err := Parse(context.Background(), strings.NewReader(tree(tc.criteria)))
		if err != nil {
			t.Fatal(err)
		}
		bs, err := doc.Branches(doc.Definitions[0])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, describe(bs)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.criteria, diff)
		}
	}
}

func TestBranchesLimit(t *testing.T) {
	// AND of 20 ORs of 2: 2^20 branches.
	var b strings.Builder
	b.WriteString(`<criteria operator="AND">`)
	for i := range 20 {
		fmt.Fprintf(&b, `<criteria operator="OR"><criterion test_ref="a%d"/><criterion test_ref="b%d"/></criteria>`, i, i)
	}
	b.WriteString(`</criteria>`)
	doc, err := Parse(context.Background(), strings.NewReader(tree(b.String())))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Branches(doc.Definitions[0]); !errors.Is(err, ErrTooManyBranches) {
		t.Errorf("err = %v, want ErrTooManyBranches", err)
	}
}
