package amazon

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/loupe-dev/loupe"
)

func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "updateinfo-al2.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// summary renders a vulnerability as one line.
func summary(v *loupe.Vulnerability) string {
	return fmt.Sprintf("%s %s %s/%s arch=%q fixed=%q %s/%s", v.Name, Namespace(v.Dist), v.Package.Kind, v.Package.Name,
		v.Package.Arch, v.FixedInVersion, v.Severity, v.NormalizedSeverity)
}

func TestParse(t *testing.T) {
	zw, _ := zstd.NewWriter(nil)
	defer zw.Close()
	for name, body := range map[string][]byte{
		"plain": fixture(t),
		"gzip":  gz(fixture(t)),
		"zstd":  zw.EncodeAll(fixture(t), nil),
	} {
		t.Run(name, func(t *testing.T) {
			vulns, stats, err := parse(context.Background(), bytes.NewReader(body), AL2, "aws-AL2-updater")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vulns {
				got = append(got, summary(v))
				if v.Updater != "aws-AL2-updater" || v.ArchOperation != loupe.ArchOpNone {
					t.Errorf("%s: updater %q, arch op %v", v.Name, v.Updater, v.ArchOperation)
				}
			}
			want := []string{
				`ALAS2-2018-939 amzn:2 binary/kernel arch="" fixed="4.9.76-38.79.amzn2" critical/Critical`,
				`ALAS2-2018-939 amzn:2 binary/kernel-headers arch="" fixed="4.9.76-38.79.amzn2" critical/Critical`,
				`ALAS2-2018-939 amzn:2 binary/kernel-doc arch="" fixed="4.9.76-38.79.amzn2" critical/Critical`,
				`ALAS2-2023-2000 amzn:2 binary/openssl arch="" fixed="1:1.0.2k-24.amzn2.0.7" medium/Medium`,
				`ALAS2-2023-2000 amzn:2 binary/openssl-libs arch="" fixed="1:1.0.2k-24.amzn2.0.7" medium/Medium`,
				// ALAS2-2023-2001 is a bug fix naming no CVE.
				`ALAS2-2024-2500 amzn:2 binary/loupe-tools arch="" fixed="2:3.1-1.lp1" important/High`,
				`ALAS2-2024-2500 amzn:2 binary/libloupe arch="" fixed="2:3.1-1.lp1" important/High`,
				`ALAS2-2024-2500 amzn:2 binary/loupe-nodejs arch="" fixed="18.20.0-1.amzn2" important/High`,
				`ALAS2-2024-2500 amzn:2 binary/loupe-hello arch="" fixed="1.0-1" important/High`,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("vulnerabilities (-want +got):\n%s", diff)
			}
			if stats.Updates != 4 || stats.NotSecurity != 1 || stats.BadPackages != 1 {
				t.Errorf("stats %+v", stats)
			}
			first := vulns[0]
			if diff := cmp.Diff(AL2.Distribution(), first.Dist); diff != "" {
				t.Errorf("distribution (-want +got):\n%s", diff)
			}
			if want := "https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2017-5754 https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2017-5715"; first.Links != want {
				t.Errorf("links %q", first.Links)
			}
			if want := time.Date(2018, 1, 11, 18, 13, 0, 0, time.UTC); !first.Issued.Equal(want) {
				t.Errorf("issued %v", first.Issued)
			}
			if !strings.HasPrefix(first.Description, "Package updates are available for Amazon Linux 2") {
				t.Errorf("description %q", first.Description)
			}
		})
	}
}

func TestParseShapes(t *testing.T) {
	up := `<update type="security"><id>ALAS-2018-1</id><severity>low</severity><pkglist><collection><package name="a" epoch="0" version="1" release="1.amzn1" arch="i686"/></collection></pkglist></update>`
	for _, tc := range []struct {
		name, body string
		want       int
		wantErr    bool
	}{
		{"one", `<updates>` + up + `</updates>`, 1, false},
		{"declared ascii", `<?xml version="1.0" encoding="US-ASCII"?><updates>` + up + `</updates>`, 1, false},
		{"empty", `<updates/>`, 0, false},
		{"no id", `<updates><update><pkglist><collection><package name="a" version="1"/></collection></pkglist></update></updates>`, 0, false},
		{"other element", `<updates><junk><update/></junk>` + up + `</updates>`, 1, false},
		{"not updateinfo", `<repomd/>`, 0, true},
		{"nothing", ``, 0, true},
		{"truncated", `<updates>` + up[:40], 0, true},
		{"bad gzip", "\x1f\x8bgarbage", 0, true},
		{"unknown charset", `<?xml version="1.0" encoding="EBCDIC"?><updates>` + up + `</updates>`, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vulns, _, err := parse(context.Background(), strings.NewReader(tc.body), AL1, "aws-AL1-updater")
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if len(vulns) != tc.want {
				t.Errorf("%d vulnerabilities, want %d", len(vulns), tc.want)
			}
		})
	}
}
