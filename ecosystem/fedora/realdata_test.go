package fedora

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/version"
)

// realDir holds vunnel's Fedora samples: Bodhi updates, one per file
// (input/, merge-input/), and what vunnel made of them (snapshots/).
// Never committed; tests skip without it.
var realDir = filepath.Join("..", "..", "..", "shared", "data", "vunnel-fixtures", "tests", "unit", "providers", "fedora", "test-fixtures")

func realSamples(tb testing.TB) []byte {
	tb.Helper()
	var paths []string
	for _, dir := range []string{"input", "merge-input"} {
		p, _ := filepath.Glob(filepath.Join(realDir, dir, "*.json"))
		paths = append(paths, p...)
	}
	if len(paths) == 0 {
		tb.Skip("no real Fedora samples in ../shared/data")
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

// TestRealSamples parses vunnel's Bodhi samples and checks every fix
// vunnel found in them against Loupe's: same release, source package,
// version and advisory, and the CVE linked. EPEL's updates, which vunnel
// files under "fedora:<EPEL release>", are not Fedora's and are left out.
func TestRealSamples(t *testing.T) {
	vulns, stats, err := parse(context.Background(), bytes.NewReader(realSamples(t)))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Malformed != 0 || stats.BadBuilds != 0 || stats.Skipped != 2 {
		t.Errorf("stats %+v", stats)
	}
	have := map[string]string{} // "ns advisory name fixed" -> links
	for _, v := range vulns {
		have[fmt.Sprintf("%s %s %s %s", Namespace(v.Dist), v.Name, v.Package.Name, v.FixedInVersion)] = v.Links
		if _, err := Matcher().Prepare(v); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
	snaps, _ := filepath.Glob(filepath.Join(realDir, "snapshots", "*", "*", "*.json"))
	checked := 0
	for _, p := range snaps {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var snap struct {
			Item struct {
				Vulnerability struct {
					Name    string
					FixedIn []struct {
						Name, Version, NamespaceName string
						VendorAdvisory               struct {
							AdvisorySummary []struct{ ID string }
						}
					}
				}
			} `json:"item"`
		}
		if err := json.Unmarshal(b, &snap); err != nil {
			t.Fatal(err)
		}
		v := snap.Item.Vulnerability
		for _, f := range v.FixedIn {
			if len(f.VendorAdvisory.AdvisorySummary) == 0 {
				continue
			}
			adv := f.VendorAdvisory.AdvisorySummary[0].ID
			if strings.HasPrefix(adv, "FEDORA-EPEL-") {
				continue
			}
			fixed, err := version.ParseRPM(f.Version)
			if err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("%s %s %s %s", f.NamespaceName, adv, f.Name, fixed)
			links, ok := have[key]
			switch {
			case !ok:
				t.Errorf("vunnel's %s (%s) not found", key, v.Name)
			case !strings.Contains(links, v.Name):
				t.Errorf("%s: %s not linked: %s", key, v.Name, links)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no snapshot checked")
	}
}

// bodhiPages writes n synthetic updates as Bodhi lists them, in pages of
// 100, each with two builds, three bugs and the comments Bodhi includes.
func bodhiPages(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		if i%100 == 0 {
			if i > 0 {
				b.WriteString("]}\n")
			}
			b.WriteString(`{"updates":[`)
		} else {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"alias":"FEDORA-2024-%010x","autokarma":true,"autotime":true,"bugs":[{"bug_id":%d,"parent":false,"security":true,"title":"CVE-2024-%d pkg%d: a flaw [fedora-all]"},{"bug_id":%d,"parent":false,"security":true,"title":"CVE-2024-%d pkg%d: another flaw [fedora-40]"},{"bug_id":%d,"parent":false,"security":false,"title":"pkg%d-1.%d is available"}],"builds":[{"epoch":%d,"nvr":"pkg%d-1.%d-1.fc40","release_id":5,"signed":true,"type":"rpm"},{"epoch":0,"nvr":"pkg%d-compat-1.%d-1.fc40","release_id":5,"signed":true,"type":"rpm"}],"close_bugs":true,"comments":[{"id":%d,"karma":0,"text":"This update has been submitted for testing by packager.","timestamp":"2024-02-10 08:00:00","user":{"id":91,"name":"bodhi","avatar":"https://seccdn.libravatar.org/avatar/0"}},{"id":%d,"karma":1,"text":"Works for me.","timestamp":"2024-02-11 08:00:00","user":{"id":92,"name":"tester","avatar":"https://seccdn.libravatar.org/avatar/1"}}],"content_type":"rpm","critpath":false,"date_approved":null,"date_modified":null,"date_pushed":"2024-02-12 01:00:00","date_stable":"2024-02-12 01:00:00","date_submitted":"2024-02-10 08:00:00","date_testing":"2024-02-11 01:00:00","display_name":"","karma":1,"notes":"Update to 1.%d, fixing two flaws.","release":{"branch":"f40","dist_tag":"f40","id_prefix":"FEDORA","long_name":"Fedora 40","name":"F40","state":"current","version":"40"},"request":null,"severity":"medium","stable_karma":3,"status":"stable","suggest":"unspecified","title":"pkg%d-1.%d-1.fc40 pkg%d-compat-1.%d-1.fc40","type":"security","unstable_karma":-3,"url":"https://bodhi.fedoraproject.org/updates/FEDORA-2024-%010x","user":{"id":90,"name":"packager"}}`,
			i, 2000000+3*i, 10000+i, i, 2000001+3*i, 20000+i, i, 2000002+3*i, i, i%50, i%3, i, i%50, i, i%50, 4*i, 4*i+1, i%50, i, i%50, i, i%50, i)
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// BenchmarkFedoraParse measures Parse throughput on 3000 synthetic Bodhi
// updates in pages (about one release's security updates), and on the
// real samples when ../shared/data is there.
func BenchmarkFedoraParse(b *testing.B) {
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
	b.Run("synthetic-3000", func(b *testing.B) { run(b, bodhiPages(3000)) })
	b.Run("real-samples", func(b *testing.B) { run(b, realSamples(b)) })
}

func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add(bodhiPages(2))
	f.Add([]byte(`[{"alias":"A","release":{"version":"40"},"builds":[{"nvr":"a-1-1","epoch":"1"}]},{"alias":"B","release":{"version":"40"},"builds":[{"nvr":"a--1"}]}]`))
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
			// Fixed versions are checked when parsed.
			if _, err := Matcher().Prepare(v); err != nil {
				t.Fatalf("fixed version %q: %v", v.FixedInVersion, err)
			}
		}
	})
}
