package oval

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// synthetic renders an OVAL document shaped like one year of Oracle's
// ELSA feed: defs definitions, each for one release and two
// architectures, with pkgs packages that are each tested for an EVR and a
// signature key.
func synthetic(defs, pkgs int) []byte {
	var d, tests, objs, states strings.Builder
	test := func(id, obj, state, comment string) {
		fmt.Fprintf(&tests, `<rpminfo_test xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:tst:%s" version="501" comment="%s" check="at least one">
<object object_ref="oval:bench:obj:%s"/>
<state state_ref="oval:bench:ste:%s"/>
</rpminfo_test>
`, id, comment, obj, state)
	}
	for i := range defs {
		fmt.Fprintf(&d, `<definition id="oval:bench:def:%d" version="501" class="patch">
<metadata>
<title>ELSA-2024-%04d:  package security update (IMPORTANT)</title>
<affected family="unix"><platform>Oracle Linux 9</platform></affected>
<reference source="elsa" ref_id="ELSA-2024-%04d" ref_url="https://linux.oracle.com/errata/ELSA-2024-%04d.html"/>
<reference source="CVE" ref_id="CVE-2024-%d" ref_url="https://linux.oracle.com/cve/CVE-2024-%d.html"/>
<description>[1.2-3]
- Fix CVE-2024-%d: a flaw in the package that lets an attacker do things they should not.
- Rebuild with the usual changelog text that makes these descriptions long.</description>
<advisory><severity>IMPORTANT</severity><rights>Copyright 2024 Oracle, Inc.</rights><issued date="2024-01-02"/>
<cve cvss3="7.5/CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" href="https://linux.oracle.com/cve/CVE-2024-%d.html" public="20240101">CVE-2024-%d</cve>
<affected_cpe_list><cpe>cpe:/a:oracle:linux:9::baseos_latest</cpe><cpe>cpe:/a:oracle:linux:9::appstream</cpe></affected_cpe_list>
</advisory>
</metadata>
<criteria operator="AND">
<criterion test_ref="oval:bench:tst:%d0" comment="Oracle Linux 9 is installed"/>
<criteria operator="OR">
`, i, i, i, i, i, i, i, i, i, i)
		test(fmt.Sprintf("%d0", i), "release", "v9", "Oracle Linux 9 is installed")
		for a, arch := range []string{"aarch64", "x86_64"} {
			fmt.Fprintf(&d, `<criteria operator="AND">
<criterion test_ref="oval:bench:tst:%d%d1" comment="Oracle Linux arch is %s"/>
<criteria operator="OR">
`, i, a, arch)
			test(fmt.Sprintf("%d%d1", i, a), "release", arch, "Oracle Linux arch is "+arch)
			for p := range pkgs {
				id := fmt.Sprintf("%d_%d_%d", i, a, p)
				fmt.Fprintf(&d, `<criteria operator="AND">
<criterion test_ref="oval:bench:tst:%se" comment="pkg%d-%d is earlier than 0:1.2-3.el9"/>
<criterion test_ref="oval:bench:tst:%ss" comment="pkg%d-%d is signed with the Oracle Linux 9 key"/>
</criteria>
`, id, i, p, id, i, p)
				obj := fmt.Sprintf("%d_%d", i, p)
				test(id+"e", obj, "evr", fmt.Sprintf("pkg%d-%d is earlier than 0:1.2-3.el9", i, p))
				test(id+"s", obj, "key", fmt.Sprintf("pkg%d-%d is signed with the Oracle Linux 9 key", i, p))
				if a == 0 {
					fmt.Fprintf(&objs, `<rpminfo_object xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:obj:%s" version="501">
<name>pkg%d-%d</name>
</rpminfo_object>
`, obj, i, p)
				}
			}
			d.WriteString("</criteria>\n</criteria>\n")
		}
		d.WriteString("</criteria>\n</criteria>\n</definition>\n")
	}
	objs.WriteString(`<rpminfo_object xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:obj:release" version="501"><name>oraclelinux-release</name></rpminfo_object>
`)
	for _, s := range []string{
		`<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:ste:v9" version="501"><version operation="pattern match">^9</version></rpminfo_state>`,
		`<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:ste:aarch64" version="501"><arch operation="pattern match">aarch64</arch></rpminfo_state>`,
		`<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:ste:x86_64" version="501"><arch operation="pattern match">x86_64</arch></rpminfo_state>`,
		`<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:ste:evr" version="501"><evr datatype="evr_string" operation="less than">0:1.2-3.el9</evr></rpminfo_state>`,
		`<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:bench:ste:key" version="501"><signature_keyid operation="equals">432a6b4e2a1d0f8f</signature_keyid></rpminfo_state>`,
	} {
		states.WriteString(s + "\n")
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5">
<generator><oval:product_name>Loupe benchmark</oval:product_name></generator>
<definitions>
` + d.String() + "</definitions>\n<tests>\n" + tests.String() + "</tests>\n<objects>\n" + objs.String() + "</objects>\n<states>\n" + states.String() + "</states>\n</oval_definitions>\n")
}

// BenchmarkOVALParse measures parsing an ELSA-shaped document of about
// 10 MB ("parse"), and parsing it and expanding every definition's
// branches ("branches"), in bytes of XML per second.
func BenchmarkOVALParse(b *testing.B) {
	doc := synthetic(300, 12)
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(context.Background(), bytes.NewReader(doc)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("branches", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			d, err := Parse(context.Background(), bytes.NewReader(doc))
			if err != nil {
				b.Fatal(err)
			}
			for _, def := range d.Definitions {
				if _, err := d.Branches(def); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func TestSynthetic(t *testing.T) {
	doc, err := Parse(context.Background(), bytes.NewReader(synthetic(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := doc.Branches(doc.Definitions[2])
	if err != nil || len(bs) != 8 {
		t.Fatalf("%d branches, %v", len(bs), err)
	}
	if ri, ok := bs[7][2].RPMInfo(); !ok || ri.Name != "pkg2-3" || ri.EVR.Value != "0:1.2-3.el9" {
		t.Errorf("last package check = %+v, %v", ri, ok)
	}
}
