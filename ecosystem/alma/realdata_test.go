package alma

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds/rpmfeedstest"
)

// realDir holds vunnel's AlmaLinux samples: records of AlmaLinux's OSV
// database, one per file, under almalinux8/ and almalinux9/. Never
// committed; tests skip without it.
var realDir = filepath.Join("..", "..", "..", "shared", "data", "vunnel-fixtures", "tests", "unit", "providers", "alma", "test-fixtures", "osv-database", "advisories")

func realSamples(tb testing.TB) []byte {
	tb.Helper()
	paths, _ := filepath.Glob(filepath.Join(realDir, "almalinux*", "*.json"))
	if len(paths) == 0 {
		tb.Skip("no real AlmaLinux samples in ../shared/data")
	}
	var b bytes.Buffer
	for _, p := range paths {
		d, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(d)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestRealSamples(t *testing.T) {
	body := realSamples(t)
	var got []string
	for _, release := range []string{"8", "9"} {
		u := NewUpdater(release)
		vulns, err := u.Parse(context.Background(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vulns {
			if _, ok := Matcher().VulnerabilityKey(v); !ok {
				t.Errorf("%s not claimed", v.Name)
			}
			if _, err := Matcher().Prepare(v); err != nil {
				t.Errorf("%s: %v", v.Name, err)
			}
			if v.Package.Name == "mariadb" || v.Package.Name == "python3-requests" || v.Package.Name == "libtiff" || v.Package.Name == "avahi" {
				got = append(got, summary(v))
			}
		}
		if release == "8" && len(vulns) != 3 || release == "9" && len(vulns) != 13 {
			t.Errorf("AlmaLinux %s: %d vulnerabilities", release, len(vulns))
		}
	}
	want := []string{
		`ALSA-2023:4520 almalinux:8 binary/python3-requests [] module="" fixed="2.20.0-3.el8_8" Moderate/Medium`,
		// An epoch, and a module stream from the synopsis.
		`ALSA-2023:5259 almalinux:8 binary/mariadb [] module="mariadb:10.3" fixed="3:10.3.39-1.module_el8.8.0+3609+204d4ab0" Moderate/Medium`,
		`ALSA-2022:8194 almalinux:9 binary/libtiff [] module="" fixed="4.4.0-2.el9" Moderate/Medium`,
		`ALSA-2024:2433 almalinux:9 binary/avahi [] module="" fixed="0.8-20.el9" Moderate/Medium`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}

	vulns, err := NewUpdater("8").Parse(context.Background(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	const mod = ".module_el8.8.0+3500+aaaaaaaa"
	ir := rpmfeedstest.Report(want89,
		rpmfeedstest.Pkg("mariadb", "3:10.3.35-1"+mod, "x86_64", "mariadb:10.3", "mariadb", "10.3.35-1"+mod),
		rpmfeedstest.Pkg("mariadb", "3:10.3.35-1"+mod, "x86_64", "mariadb:10.5", "mariadb", "10.3.35-1"+mod),
		// ALBA-2021:4378, a bug fix that names no CVE, is left out.
		rpmfeedstest.Pkg("krb5-libs", "1.18.2-13.el8", "x86_64", "", "krb5", "1.18.2-13.el8"),
	)
	gotm := rpmfeedstest.Match(t, Matcher(), vulns, ir)
	wantm := map[string][]string{
		"mariadb 3:10.3.35-1" + mod: {"ALSA-2023:5259"},
	}
	if diff := cmp.Diff(wantm, gotm); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
}

// errataDocument writes an errata.full.json of n errata, each with three
// binary packages on four architectures, one in ten modular.
func errataDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"schema_version":"1.0","data":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		title, rel, module := fmt.Sprintf("Important: pkg%d security update", i), "el9_3", ""
		if i%10 == 0 {
			title, rel = fmt.Sprintf("Moderate: mod%d:1 security update", i), "module_el9.3.0+66+6d1e4b2f"
			module = fmt.Sprintf(`,"module":"mod%d:1:9030020240201120000:rhel9:x86_64"`, i)
		}
		fmt.Fprintf(&b, `{"id":"ALSA-2024:%d","issued_date":%d,"updated_date":%d,"severity":"Important","title":%q,"description":"Package %d is a fixture.\n\nSecurity Fix(es):\n\n* a flaw (CVE-2024-%d)","type":"security","packages":[`,
			i, 1700000000+i, 1700000000+i, title, i, 10000+i)
		k := 0
		for j := 0; j < 3; j++ {
			for _, arch := range []string{"x86_64", "aarch64", "ppc64le", "s390x"} {
				if k > 0 {
					b.WriteString(",")
				}
				k++
				fmt.Fprintf(&b, `{"name":"pkg%d-%d","epoch":"0","version":"1.%d","release":"%d.%s","arch":%q,"src":"pkg%d-1.%d-%d.%s.src.rpm","filename":"pkg%d-%d-1.%d-%d.%s.%s.rpm","checksum":"d02fc1640496c6b160680668c7082350371dc946b267813ab6d5de6615c738f1","checksum_type":"sha256","reboot_suggested":0%s}`,
					i, j, i%50, 1+i%9, rel, arch, i, i%50, 1+i%9, rel, i, j, i%50, 1+i%9, rel, arch, module)
			}
		}
		fmt.Fprintf(&b, `],"modules":[],"references":[{"id":"ALSA-2024-%d","type":"self","href":"https://errata.almalinux.org/9/ALSA-2024-%d.html"},{"id":"CVE-2024-%d","type":"cve","href":"https://vulners.com/cve/CVE-2024-%d"}]}`, i, i, 10000+i, 10000+i)
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// BenchmarkAlmaErrataParse measures Parse throughput on 3000 synthetic
// errata (about the size of AlmaLinux 9's errata.full.json), and on the
// real OSV samples when ../shared/data is there.
func BenchmarkAlmaErrataParse(b *testing.B) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	run := func(b *testing.B, release string, doc []byte) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		var n int
		for b.Loop() {
			vulns, err := NewUpdater(release).Parse(context.Background(), bytes.NewReader(doc))
			if err != nil {
				b.Fatal(err)
			}
			n = len(vulns)
		}
		b.ReportMetric(float64(n), "vulns")
	}
	b.Run("synthetic-3000", func(b *testing.B) { run(b, "9", errataDocument(3000)) })
	b.Run("real-osv-samples", func(b *testing.B) { run(b, "8", realSamples(b)) })
}

func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add(errataDocument(2))
	f.Add([]byte(`{"id":"ALSA-2024:9","related":["CVE-2024-9"],"summary":"Low: m:1 a","affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-2.module_el9"}]}]}]}`))
	f.Add([]byte(`{"data":[{"id":"X","type":"security","issued_date":{"$date":1},"packages":[{"name":"a","epoch":7,"version":"1","release":"1.module_el9","arch":"x86_64","module":"a"}],"modules":[{"name":"a","stream":"1"}]}]}`))
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	f.Fuzz(func(t *testing.T, b []byte) {
		vulns, err := NewUpdater("9").Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, v := range vulns {
			if v.Name == "" || v.Package == nil || v.Package.Name == "" || v.Package.Kind != "binary" || v.Dist == nil || Namespace(v.Dist) != "almalinux:9" {
				t.Fatalf("incomplete vulnerability %+v", v)
			}
			if _, ok := Matcher().VulnerabilityKey(v); !ok {
				t.Fatalf("matcher does not claim %+v", v)
			}
			_, _ = Matcher().Prepare(v)
		}
	})
}
