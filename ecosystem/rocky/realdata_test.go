package rocky

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

// realDir holds vunnel's Rocky Linux samples: records of Rocky Linux's
// OSV API, one per file. Never committed; tests skip without it.
var realDir = filepath.Join("..", "..", "..", "shared", "data", "vunnel-fixtures", "tests", "unit", "providers", "rocky", "test-fixtures", "osv")

func realSamples(tb testing.TB) []byte {
	tb.Helper()
	paths, _ := filepath.Glob(filepath.Join(realDir, "*.json"))
	if len(paths) == 0 {
		tb.Skip("no real Rocky Linux samples in ../shared/data")
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
	vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(realSamples(t)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vulns {
		got = append(got, summary(v))
		if _, ok := Matcher().VulnerabilityKey(v); !ok {
			t.Errorf("%s not claimed", v.Name)
		}
		if _, err := Matcher().Prepare(v); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
	want := []string{
		// An epoch.
		`RLSA-2021:3891 rocky:8 source/java-11-openjdk module="" fixed="1:11.0.13.0.8-1.el8_4" Important/High`,
		`RLSA-2023:3220 rocky:8 source/firefox module="" fixed="102.11.0-2.el8_7" Important/High`,
		// A module stream, from the synopsis.
		`RLSA-2024:3671 rocky:9 source/ruby module="ruby:3.3" fixed="3.3.1-2.module+el9.4.0+20787+4c237fd3" Moderate/Medium`,
		`RLSA-2024:3671 rocky:9 source/rubygem-mysql2 module="ruby:3.3" fixed="0.5.5-1.module+el9.4.0+20787+4c237fd3" Moderate/Medium`,
		`RLSA-2024:3671 rocky:9 source/rubygem-pg module="ruby:3.3" fixed="1.5.4-1.module+el9.4.0+20787+4c237fd3" Moderate/Medium`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	ir := report(rocky94Dist,
		pkg("ruby-libs", "3.3.0-1.module+el9.4.0+20000+aaaaaaaa", "x86_64", "ruby:3.3", "ruby", "3.3.0-1.module+el9.4.0+20000+aaaaaaaa"),
		pkg("ruby-libs", "3.1.4-1.module+el9.4.0+20000+aaaaaaaa", "x86_64", "ruby:3.1", "ruby", "3.1.4-1.module+el9.4.0+20000+aaaaaaaa"),
	)
	gotm := rpmfeedstest.Match(t, Matcher(), vulns, ir)
	if diff := cmp.Diff(map[string][]string{"ruby-libs 3.3.0-1.module+el9.4.0+20000+aaaaaaaa": {"RLSA-2024:3671"}}, gotm); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
}

// osvPages writes n synthetic advisories as Fetch keeps them: pages of
// 100, each advisory fixing three source packages, one in ten modular.
func osvPages(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		if i%100 == 0 {
			if i > 0 {
				b.WriteString("]}\n")
			}
			b.WriteString(`{"advisories":[`)
		} else {
			b.WriteString(",")
		}
		summary, rel := fmt.Sprintf("Important: pkg%d security update", i), "el9_3"
		if i%10 == 0 {
			summary, rel = fmt.Sprintf("Moderate: mod%d:1.%d security update", i, i%7), "module+el9.3.0+16866+be0dbea7"
		}
		fmt.Fprintf(&b, `{"schema_version":"1.7.0","id":"RLSA-2024:%d","modified":"2024-02-01T10:00:00Z","published":"2024-01-30T09:15:00Z","upstream":["CVE-2024-%d","CVE-2024-%d"],"summary":%q,"details":"Package %d is a fixture.\n\nSecurity Fix(es):\n\n* a flaw (CVE-2024-%d)\n\nFor more details about the security issue(s), including the impact, a CVSS score, acknowledgments, and other related information, refer to the CVE page(s) listed in the References section.","affected":[`,
			i, 10000+i, 20000+i, summary, i, 10000+i)
		for j := 0; j < 3; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"package":{"ecosystem":"Rocky Linux:%d","name":"pkg%d-%d","purl":"pkg:rpm/rocky-linux/pkg%d-%d?distro=rocky-linux-9&epoch=0"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0:1.%d.%d-%d.%s"}],"database_specific":{"yum_repository":"AppStream"}}]}`,
				8+i%2, i, j, i, j, i%50, j, 1+i%9, rel)
		}
		fmt.Fprintf(&b, `],"references":[{"type":"ADVISORY","url":"https://errata.rockylinux.org/RLSA-2024:%d"},{"type":"REPORT","url":"https://bugzilla.redhat.com/show_bug.cgi?id=%d"}],"credits":[{"name":"Rocky Enterprise Software Foundation"},{"name":"Red Hat"}]}`, i, 2000000+i)
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// BenchmarkRockyParse measures Parse throughput on 4000 synthetic
// advisories in pages (about the size of Rocky Linux's feed), and on the
// real samples when ../shared/data is there.
func BenchmarkRockyParse(b *testing.B) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	run := func(b *testing.B, doc []byte) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		var n int
		for b.Loop() {
			vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(doc))
			if err != nil {
				b.Fatal(err)
			}
			n = len(vulns)
		}
		b.ReportMetric(float64(n), "vulns")
	}
	b.Run("synthetic-4000", func(b *testing.B) { run(b, osvPages(4000)) })
	b.Run("real-samples", func(b *testing.B) { run(b, realSamples(b)) })
}

func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add(osvPages(3))
	f.Add([]byte(`[{"id":"A","upstream":["CVE-2024-1"],"summary":"Low: m:1 x","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:2-3.module+el9"},{"introduced":"5"}]}]}]}]`))
	f.Add([]byte(`{"advisories":[{"id":"B","withdrawn":"x"}]} {"id":"C"} []`))
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	f.Fuzz(func(t *testing.T, b []byte) {
		vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, v := range vulns {
			if v.Name == "" || v.Package == nil || v.Package.Name == "" || v.Package.Kind != "source" || v.Dist == nil {
				t.Fatalf("incomplete vulnerability %+v", v)
			}
			if _, ok := Matcher().VulnerabilityKey(v); !ok {
				t.Fatalf("matcher does not claim %+v", v)
			}
			// Prepare may reject a fixed version; it must not panic.
			_, _ = Matcher().Prepare(v)
		}
	})
}
