package rhel

import (
	"archive/tar"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
)

// realCSAF is Red Hat's CSAF samples in the shared data (vunnel's test
// fixtures): security advisories, and a copy of the layout of Red Hat's
// tree (archive_latest.txt, changes.csv, deletions.csv).
const realCSAF = "../../../shared/data/vunnel-fixtures/tests/unit/providers/rhel/test-fixtures/csaf"

func realAdvisories(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"advisories/*.json", "advisories/*/*.json", "server/*/*.json"} {
		m, _ := filepath.Glob(filepath.Join(realCSAF, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("Red Hat CSAF samples not available")
	}
	return files
}

// TestRealAdvisories parses every real advisory and checks each record
// against the document with a separate, naive reading of it.
func TestRealAdvisories(t *testing.T) {
	u, _ := NewUpdater(Config{MinYear: -1})
	for _, name := range realAdvisories(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			vulns, stats, err := u.parse(context.Background(), bytes.NewReader(b))
			if err != nil || stats.Documents != 1 || stats.Products != 0 {
				t.Fatalf("%v, stats %+v", err, stats)
			}
			if len(vulns) == 0 {
				t.Fatal("no vulnerabilities")
			}
			for _, v := range vulns {
				if !strings.HasPrefix(v.Name, "CVE-") || v.Description == "" || v.Issued.IsZero() || v.NormalizedSeverity == loupe.Unknown ||
					!strings.HasPrefix(v.Severity, "CVSS:3") || !strings.Contains(v.Links, "https://access.redhat.com/errata/RHSA-") {
					t.Errorf("incomplete: %s", summary(v))
				}
				if _, err := version.ParseRPM(v.FixedInVersion); err != nil {
					t.Errorf("%s: %v", summary(v), err)
				}
				if _, ok := parseCPE(v.Repo.CPE); !ok {
					t.Errorf("%s: bad product", summary(v))
				}
				// Every record comes from a purl of the document.
				_, ver, _ := strings.Cut(v.FixedInVersion, ":")
				needle := "pkg:rpm/redhat/" + v.Package.Name + "@" + strings.ReplaceAll(ver, "+", "%2B")
				if !bytes.Contains(b, []byte(needle)) {
					t.Errorf("%s: %s not in the document", summary(v), needle)
				}
			}
		})
	}
}

func TestRealAdvisoryDetails(t *testing.T) {
	realAdvisories(t)
	u, _ := NewUpdater(Config{MinYear: -1})
	read := func(name string) []string {
		b, err := os.ReadFile(filepath.Join(realCSAF, name))
		if err != nil {
			t.Fatal(err)
		}
		vulns, err := u.Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vulns {
			out = append(out, summary(v))
		}
		return out
	}
	const els6 = "cpe:2.3:o:redhat:rhel_els:6:*:*:*:*:*:*:*"
	// Epochs; the source rpm is marked not affected while its binaries
	// are fixed: the binaries keep their records. bind-chroot and the
	// others listed not affected have none.
	got := read("advisories/2025/rhsa-2025_23414.json")
	want := []string{
		`CVE-2021-25220 binary/bind mod="" arch="i686|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=Medium`,
		`CVE-2021-25220 binary/bind-libs mod="" arch="i686|s390|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=Medium`,
		`CVE-2021-25220 binary/bind-sdb mod="" arch="i686|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=Medium`,
		`CVE-2021-25220 binary/bind-utils mod="" arch="i686|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=Medium`,
		`CVE-2025-40778 binary/bind mod="" arch="i686|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=High`,
		`CVE-2025-40778 binary/bind-libs mod="" arch="i686|s390|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=High`,
		`CVE-2025-40778 binary/bind-sdb mod="" arch="i686|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=High`,
		`CVE-2025-40778 binary/bind-utils mod="" arch="i686|s390x|x86_64" ` + els6 + ` fixed="32:9.8.2-0.68.rc1.el6_10.17" sev=High`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rhsa-2025_23414 (-want +got):\n%s", diff)
	}
	// Sources only (the sample lists no binaries): source records.
	got = read("advisories/2024/rhsa-2024_6163.json")
	// The same build in AppStream, BaseOS and CRB: one record for any
	// edition of RHEL 9.
	want = []string{
		`CVE-2024-8088 source/python3.9 mod="" arch="" cpe:2.3:*:redhat:enterprise_linux:9:*:*:*:*:*:*:* fixed="0:3.9.18-3.el9_4.5" sev=Medium`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rhsa-2024_6163 (-want +got):\n%s", diff)
	}
	// Module streams.
	for name, stream := range map[string]string{"advisories/rhsa-2023_7025.json": "ruby:2.5", "advisories/rhsa-2023_3821.json": "ruby:2.7", "advisories/rhsa-2024_1431.json": "ruby:3.1"} {
		for _, s := range read(name) {
			if !strings.Contains(s, `mod="`+stream+`"`) {
				t.Errorf("%s: %s is not in stream %s", name, s, stream)
			}
		}
	}
}

// TestRealMatching matches images against every real advisory.
func TestRealMatching(t *testing.T) {
	var vulns []*loupe.Vulnerability
	u, _ := NewUpdater(Config{MinYear: -1})
	for _, name := range realAdvisories(t) {
		b, _ := os.ReadFile(name)
		vs, err := u.Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		vulns = append(vulns, vs...)
	}
	for i, v := range vulns {
		v.ID = string(rune('A'+i/676)) + string(rune('A'+i/26%26)) + string(rune('A'+i%26))
	}
	ctx := context.Background()
	// A mirror of ELS content under its own ID: Red Hat's mapping (here,
	// a local one) names its product.
	m := Matcher{Repo2CPE: mapping(t, `{"data": {"acme-els6-mirror": {"cpes": ["cpe:/o:redhat:rhel_els:6"]}}}`)}
	ix := matcher.NewIndex(ctx, []matcher.Rules{m}, vulns, "real")
	if ix.Count != len(vulns) {
		t.Fatalf("%d of %d vulnerabilities indexed", ix.Count, len(vulns))
	}
	for _, tc := range []struct {
		name string
		ir   *loupe.IndexReport
		want map[string][]string
	}{{
		name: "RHEL 8 ruby streams",
		ir: report(Distribution(8), []string{"rhel-8-for-x86_64-baseos-rpms", "rhel-8-for-x86_64-appstream-rpms"},
			rpm("ruby", "2.5.9-110.module+el8.6.0+15956+aa803e7a", "x86_64", "ruby", "ruby:2.5"),
			rpm("ruby", "2.7.8-139.module+el8.8.0+18745+f1bef313", "x86_64", "ruby", "ruby:2.7"),
			rpm("ruby", "3.1.2-141.module+el8.7.0+17209+0a2e5b1a", "aarch64", "ruby", "ruby:3.1"),
			rpm("ruby", "2.5.5-105.el8", "x86_64", "ruby", "")),
		want: map[string][]string{
			"ruby@2.5.9-110.module+el8.6.0+15956+aa803e7a.x86_64": {
				"CVE-2021-33621 0:2.5.9-111.module+el8.9.0+19193+435404ae",
				"CVE-2022-28739 0:2.5.9-111.module+el8.9.0+19193+435404ae",
				"CVE-2023-28755 0:2.5.9-111.module+el8.9.0+19193+435404ae",
				"CVE-2023-28756 0:2.5.9-111.module+el8.9.0+19193+435404ae",
			},
			"ruby@3.1.2-141.module+el8.7.0+17209+0a2e5b1a.aarch64": {
				"CVE-2021-33621 0:3.1.4-142.module+el8.9.0+21471+7d1e4a35",
				"CVE-2023-28755 0:3.1.4-142.module+el8.9.0+21471+7d1e4a35",
				"CVE-2023-28756 0:3.1.4-142.module+el8.9.0+21471+7d1e4a35",
				"CVE-2023-36617 0:3.1.4-142.module+el8.9.0+21471+7d1e4a35",
			},
		},
	}, {
		name: "RHEL 6 ELS bind",
		ir: report(Distribution(6), []string{"acme-els6-mirror"},
			rpm("bind-libs", "32:9.8.2-0.68.rc1.el6_10.16", "x86_64", "bind", ""),
			rpm("bind-libs", "32:9.8.2-0.68.rc1.el6_10.17", "i686", "bind", ""),
			rpm("bind-chroot", "32:9.8.2-0.68.rc1.el6_10.16", "x86_64", "bind", "")),
		want: map[string][]string{
			"bind-libs@32:9.8.2-0.68.rc1.el6_10.16.x86_64": {"CVE-2021-25220 32:9.8.2-0.68.rc1.el6_10.17", "CVE-2025-40778 32:9.8.2-0.68.rc1.el6_10.17"},
		},
	}, {
		name: "RHEL 9 sudo and python",
		ir: report(Distribution(9), []string{"rhel-9-for-x86_64-baseos-rpms", "rhel-9-for-x86_64-appstream-rpms"},
			rpm("sudo", "1.9.5p2-9.el9", "x86_64", "sudo", ""),
			rpm("python3-libs", "3.9.18-3.el9_4.3", "x86_64", "python3.9", ""),
			rpm("tigervnc-license", "1.13.1-3.el9_3.3", "noarch", "tigervnc", "")),
		want: map[string][]string{
			"sudo@1.9.5p2-9.el9.x86_64": {"CVE-2023-28486 0:1.9.5p2-10.el9_3", "CVE-2023-28487 0:1.9.5p2-10.el9_3", "CVE-2023-42465 0:1.9.5p2-10.el9_3"},
			"python3-libs@3.9.18-3.el9_4.3.x86_64": {
				"CVE-2024-8088 0:3.9.18-3.el9_4.5", "CVE-2024-8088 0:3.9.19-8.el9",
			},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, matches(ix.Match(ctx, tc.ir))); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRealTree fetches from a copy of the sample tree: its
// archive_latest.txt, changes.csv and deletions.csv as Red Hat writes
// them, the archive rebuilt from the samples (the sample's is a stand-in).
func TestRealTree(t *testing.T) {
	realAdvisories(t)
	server := filepath.Join(realCSAF, "server")
	latest, err := os.ReadFile(filepath.Join(server, "archive_latest.txt"))
	if err != nil {
		t.Skip(err)
	}
	archive := strings.TrimSpace(string(latest))
	files := map[string][]byte{"archive_latest.txt": latest}
	for _, n := range []string{"changes.csv", "deletions.csv", "2024/rhsa-2024_0010.json"} {
		b, err := os.ReadFile(filepath.Join(server, n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range []string{"rhsa-2023_7025.json", "2024/rhsa-2024_6163.json"} {
		b, _ := os.ReadFile(filepath.Join(realCSAF, "advisories", n))
		if !strings.Contains(n, "/") {
			n = "2023/" + n
		}
		writeEntry(tw, n, b)
	}
	tw.Close()
	files[archive] = layertest.Zstd(buf.Bytes())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer ts.Close()
	u, _ := NewUpdater(Config{URL: ts.URL, CacheDir: t.TempDir(), MinYear: -1})
	body, _, err := u.Fetch(context.Background(), ts.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	vulns, err := u.Parse(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, v := range vulns {
		names[v.Name] = true
	}
	// The archive's two advisories, and the one changes.csv lists.
	for _, n := range []string{"CVE-2021-33621", "CVE-2024-8088", "CVE-2023-5367"} {
		if !names[n] {
			t.Errorf("%s missing", n)
		}
	}
}
