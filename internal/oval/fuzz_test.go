package oval

import (
	"bytes"
	"context"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(readFixture(f, "definitions.xml"))
	f.Add(readFixture(f, "definitions.xml.bz2"))
	f.Add([]byte(tree(`<criteria operator="OR" negate="true"><criterion test_ref="a"/><criteria><criterion test_ref="b" negate="1"/></criteria></criteria>`)))
	f.Add([]byte(`<oval_definitions><tests><rpminfo_test id="a"><object object_ref="o"/><state state_ref="s"/></rpminfo_test></tests>` +
		`<objects><rpminfo_object id="o"><name>p</name></rpminfo_object></objects>` +
		`<states><rpminfo_state id="s"><evr operation="less than">1:2-3</evr><arch operation="pattern match">x86_64</arch></rpminfo_state></states></oval_definitions>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, def := range doc.Definitions {
			bs, err := doc.Branches(def)
			if err != nil {
				continue
			}
			if len(bs) > MaxBranches {
				t.Fatalf("%d branches", len(bs))
			}
			for _, br := range bs {
				for _, l := range br {
					if ri, ok := l.RPMInfo(); ok && ri.Name == "" {
						t.Fatalf("rpminfo check without a name: %+v", l)
					}
				}
			}
		}
	})
}
