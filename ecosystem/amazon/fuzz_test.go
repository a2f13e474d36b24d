package amazon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
)

// updateinfo writes an updateinfo.xml of n synthetic advisories, each
// with two CVE references and six packages (three names on x86_64 and
// aarch64, and the source rpm), as Amazon Linux 2's are written.
func updateinfo(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<updates>\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  <update author="linux-security@amazon.com" from="linux-security@amazon.com" status="final" type="security" version="1.4">
    <id>ALAS2-2024-%d</id>
    <title>Amazon Linux 2 2017.12 - ALAS2-2024-%d: medium priority package update for pkg%d</title>
    <issued date="2024-01-%02d 10:00:00" />
    <updated date="2024-01-%02d 12:00:00" />
    <severity>medium</severity>
    <description>Package updates are available for Amazon Linux 2 that fix the following vulnerabilities:
CVE-2024-%d:
	A flaw was found in pkg%d that allows an attacker to do something unpleasant.
CVE-2024-%d:
	Another flaw was found in pkg%d.
</description>
    <references>
      <reference href="https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2024-%d" id="CVE-2024-%d" title="" type="cve" />
      <reference href="https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2024-%d" id="CVE-2024-%d" title="" type="cve" />
    </references>
    <pkglist>
      <collection short="amazon-linux-2">
        <name>Amazon Linux 2</name>
`, i, i, i, 1+i%28, 1+i%28, 10000+2*i, i, 10001+2*i, i, 10000+2*i, 10000+2*i, 10001+2*i, 10001+2*i)
		for _, arch := range []string{"x86_64", "aarch64"} {
			for j := 0; j < 3; j++ {
				fmt.Fprintf(&b, `        <package arch="%[1]s" epoch="%[2]d" name="pkg%[3]d-%[4]d" release="%[5]d.amzn2.0.%[6]d" version="1.%[7]d">
          <filename>Packages/pkg%[3]d-%[4]d-1.%[7]d-%[5]d.amzn2.0.%[6]d.%[1]s.rpm</filename>
        </package>
`, arch, i%2, i, j, 1+i%9, j, i%40)
			}
		}
		fmt.Fprintf(&b, `        <package arch="src" epoch="0" name="pkg%[1]d" release="1.amzn2" version="1.0"><filename>SRPMS/pkg%[1]d-1.0-1.amzn2.src.rpm</filename></package>
      </collection>
    </pkglist>
  </update>
`, i)
	}
	b.WriteString("</updates>\n")
	return b.Bytes()
}

// BenchmarkALASParse measures Parse throughput on 3000 synthetic
// advisories (7 MB of XML), as XML and gzipped as served; MB/s is of
// the XML in both.
func BenchmarkALASParse(b *testing.B) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	doc := updateinfo(3000)
	run := func(b *testing.B, body []byte) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		var n int
		for b.Loop() {
			vulns, err := NewUpdater(AL2).Parse(context.Background(), bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			n = len(vulns)
		}
		b.ReportMetric(float64(n), "vulns")
	}
	b.Run("synthetic-3000-xml", func(b *testing.B) { run(b, doc) })
	b.Run("synthetic-3000-gzip", func(b *testing.B) { run(b, gz(doc)) })
}

func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add(updateinfo(2))
	f.Add(gz(updateinfo(1)))
	f.Add([]byte(`<updates><update type="security"><id>A</id><issued date="2024-01-01"/><pkglist><collection><package name="a" epoch="x" version="1"/><package name="b" epoch="1" version="1" release="2" arch="src"/></collection></pkglist></update></updates>`))
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	f.Fuzz(func(t *testing.T, b []byte) {
		vulns, err := NewUpdater(AL2023).Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, v := range vulns {
			if v.Name == "" || v.Package == nil || v.Package.Name == "" || v.Package.Kind != "binary" || Namespace(v.Dist) != "amzn:2023" {
				t.Fatalf("incomplete vulnerability %+v", v)
			}
			if _, ok := Matcher().VulnerabilityKey(v); !ok {
				t.Fatalf("matcher does not claim %+v", v)
			}
			if _, err := Matcher().Prepare(v); err != nil {
				t.Fatalf("fixed version %q: %v", v.FixedInVersion, err)
			}
		}
	})
}
