package ubuntu

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/version"
)

// fixtureFiles returns the project's own OSV records in testdata/osv, by
// file name.
func fixtureFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/osv/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := make(map[string][]byte)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// zipOf packs files as OSV.dev's all.zip does: one record per file at the
// top level.
func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range sortedNames(files) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarOf packs files as a tarball of the ubuntu-security-notices
// repository would: under osv/cve/<year>/ (notices under osv/usn/), with
// other files beside them.
func tarOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	write := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.WriteHeader(&tar.Header{Name: "ubuntu-security-notices-main/", Mode: 0o755, Typeflag: tar.TypeDir})
	write("ubuntu-security-notices-main/README.md", []byte("# notices\n"))
	for _, n := range sortedNames(files) {
		dir := "osv/usn/"
		if strings.HasPrefix(n, recordPrefix) {
			dir = "osv/cve/2030/"
		}
		write("ubuntu-security-notices-main/"+dir+n, files[n])
	}
	// A VEX document is not an OSV record, whatever its name says.
	write("ubuntu-security-notices-main/vex/cve/2030/CVE-2030-1001.json", []byte(`{"@context":"https://openvex.dev/ns/v0.2.0"}`))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// arrayOf is the records as one JSON array.
func arrayOf(files map[string][]byte) []byte {
	var parts [][]byte
	for _, n := range sortedNames(files) {
		parts = append(parts, files[n])
	}
	return append(append([]byte("["), bytes.Join(parts, []byte(","))...), ']')
}

type row struct {
	Name, Release, VersionID, Source, Fixed, Severity, Normalized string
}

func rows(vulns []*loupe.Vulnerability) []row {
	var out []row
	for _, v := range vulns {
		out = append(out, row{v.Name, v.Dist.VersionCodeName, v.Dist.VersionID, v.Package.Name, v.FixedInVersion, v.Severity, v.NormalizedSeverity.String()})
	}
	return out
}

// fixtureWant is what the fixtures hold, in parse order: records by file
// name, then each record's releases and source packages sorted.
var fixtureWant = []row{
	// Fixed per release; Ubuntu 20.04 is not listed (not affected), and
	// the FIPS stream is not a release's package.
	{"CVE-2030-1001", "jammy", "22.04", "openssl", "3.0.2-0ubuntu1.15", "high", "High"},
	{"CVE-2030-1001", "noble", "24.04", "openssl", "3.0.13-0ubuntu3.2", "high", "High"},
	// Open everywhere, including the focal entry of the Pro (ESM)
	// archive.
	{"CVE-2030-1002", "focal", "20.04", "glibc", "", "medium", "Medium"},
	{"CVE-2030-1002", "jammy", "22.04", "glibc", "", "medium", "Medium"},
	{"CVE-2030-1002", "noble", "24.04", "glibc", "", "medium", "Medium"},
	// ESM fixes; xenial is listed open in the standard archive and fixed
	// in ESM: one vulnerability, with the fix.
	{"CVE-2030-1003", "bionic", "18.04", "util-linux", "2.31.1-0.4ubuntu3.7+esm1", "low", "Low"},
	{"CVE-2030-1003", "jammy", "22.04", "util-linux", "2.37.2-4ubuntu3.4", "low", "Low"},
	{"CVE-2030-1003", "xenial", "16.04", "util-linux", "2.27.1-6ubuntu3.10+esm1", "low", "Low"},
	// CVE-2030-1004 is withdrawn. A release newer than the table is
	// named by its purl; one with neither purl nor table entry, a
	// real-time kernel stream, and a last_affected range are left out.
	{"CVE-2030-1005", "noble", "24.04", "tar", "1.35+dfsg-3ubuntu0.1", "negligible", "Negligible"},
	{"CVE-2030-1005", "questing", "25.10", "tar", "", "negligible", "Negligible"},
	{"CVE-2030-1005", "zealous", "26.10", "tar", "", "negligible", "Negligible"},
	{"CVE-2030-1006", "jammy", "22.04", "gcc-defaults", "1.193ubuntu1.1", "critical", "Critical"},
	// No Ubuntu priority.
	{"CVE-2030-1007", "jammy", "22.04", "zlib", "1:1.2.11.dfsg-2ubuntu9.2", "", "Unknown"},
}

func TestParseFixtures(t *testing.T) {
	files := fixtureFiles(t)
	for _, tc := range []struct {
		name string
		body func() []byte
	}{
		{"zip", func() []byte { return zipOf(t, files) }},
		{"tar", func() []byte { return tarOf(t, files) }},
		{"tar.gz", func() []byte { return gzipOf(tarOf(t, files)) }},
		{"json array", func() []byte { return arrayOf(files) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(tc.body()))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fixtureWant, rows(vulns)); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
	// A zip fetched to a file is read in place.
	p := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(p, zipOf(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vulns, err := (&Updater{}).Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fixtureWant, rows(vulns)); diff != "" {
		t.Errorf("Parse of a file (-want +got):\n%s", diff)
	}

	// Every other field of one vulnerability.
	v := vulns[0]
	want := &loupe.Vulnerability{
		Updater:            UpdaterName,
		Name:               "CVE-2030-1001",
		Description:        "Fixture: a buffer overflow in the TLS record layer of openssl.",
		Issued:             time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC),
		Links:              "https://ubuntu.com/security/CVE-2030-1001 https://www.cve.org/CVERecord?id=CVE-2030-1001",
		Severity:           "high",
		NormalizedSeverity: loupe.High,
		Package:            &loupe.Package{Name: "openssl", Kind: loupe.SourcePackage},
		Dist: &loupe.Distribution{DID: "ubuntu", Name: "Ubuntu", VersionID: "22.04", VersionCodeName: "jammy",
			Version: "22.04 (Jammy)", PrettyName: "Ubuntu 22.04"},
		FixedInVersion: "3.0.2-0ubuntu1.15",
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("vulnerability (-want +got):\n%s", diff)
	}
	// Every fixed version is a dpkg version.
	for _, v := range vulns {
		if v.FixedInVersion != "" {
			if _, err := version.ParseDpkg(v.FixedInVersion); err != nil {
				t.Errorf("%s %s: fixed version %q: %v", v.Name, v.Package.Name, v.FixedInVersion, err)
			}
		}
	}
}

func TestParseSingleRecord(t *testing.T) {
	b, err := os.ReadFile("testdata/osv/UBUNTU-CVE-2030-1006.json")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(b))
	if err != nil || len(vulns) != 1 || vulns[0].Package.Name != "gcc-defaults" {
		t.Fatalf("Parse = %v, %v", rows(vulns), err)
	}
	// A notice on its own is read and yields nothing.
	b, err = os.ReadFile("testdata/osv/USN-9001-1.json")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err = (&Updater{}).Parse(context.Background(), bytes.NewReader(b))
	if err != nil || len(vulns) != 0 {
		t.Fatalf("Parse of a notice = %v, %v", rows(vulns), err)
	}
}

func TestParseReleaseFilter(t *testing.T) {
	u := &Updater{}
	if err := u.Configure(func(v any) error {
		return json.Unmarshal([]byte(`{"releases": ["jammy", "24.04"]}`), v)
	}); err != nil {
		t.Fatal(err)
	}
	vulns, err := u.Parse(context.Background(), bytes.NewReader(zipOf(t, fixtureFiles(t))))
	if err != nil {
		t.Fatal(err)
	}
	var want []row
	for _, r := range fixtureWant {
		if r.Release == "jammy" || r.Release == "noble" {
			want = append(want, r)
		}
	}
	if diff := cmp.Diff(want, rows(vulns)); diff != "" {
		t.Errorf("Parse with releases (-want +got):\n%s", diff)
	}
}

func TestParseBadInput(t *testing.T) {
	files := fixtureFiles(t)
	good := zipOf(t, files)
	tgz := gzipOf(tarOf(t, files))
	for name, in := range map[string][]byte{
		"empty":         nil,
		"not a feed":    []byte("this is not a feed"),
		"truncated zip": good[:len(good)/2],
		"truncated gz":  tgz[:len(tgz)/2],
		"xz":            {0xfd, '7', 'z', 'X', 'Z', 0, 0, 0},
		"bad json":      []byte(`{"id": "UBUNTU-CVE-1", "affected": [`),
		"json trailer":  []byte(`{"id": "UBUNTU-CVE-1"} {}`),
		"bad array":     []byte(`[{"id": "UBUNTU-CVE-1"}, 7]`),
	} {
		if _, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(in)); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", name)
		}
	}
	// A malformed record in an archive is skipped; the rest is read.
	bad := map[string][]byte{"UBUNTU-CVE-2030-9999.json": []byte(`{"id": 7}`)}
	for n, b := range files {
		bad[n] = b
	}
	vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(zipOf(t, bad)))
	if err != nil || len(vulns) != len(fixtureWant) {
		t.Errorf("archive with a malformed record: %d vulnerabilities, %v", len(vulns), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&Updater{}).Parse(ctx, bytes.NewReader(good)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Parse: err = %v", err)
	}
}

func TestEcosystemAndPurl(t *testing.T) {
	for eco, want := range map[string]string{
		"Ubuntu:22.04:LTS":                     "22.04",
		"Ubuntu:25.04":                         "25.04",
		"Ubuntu:Pro:18.04:LTS":                 "18.04",
		"Ubuntu:Pro:FIPS:20.04:LTS":            "",
		"Ubuntu:Pro:FIPS-updates:22.04:LTS":    "",
		"Ubuntu:Pro:22.04:LTS:Realtime:Kernel": "",
		"Ubuntu":                               "",
		"Ubuntu:jammy":                         "",
		"Debian:12":                            "",
		"ubuntu:22.04":                         "",
	} {
		got, ok := ecosystemVersion(eco)
		if got != want || ok != (want != "") {
			t.Errorf("ecosystemVersion(%q) = %q, %v; want %q", eco, got, ok, want)
		}
	}
	for purl, want := range map[string]string{
		"pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=source&distro=jammy":               "jammy",
		"pkg:deb/ubuntu/glibc@2.31-0ubuntu9.18+esm1?arch=source&distro=esm-infra/focal": "focal",
		"pkg:deb/ubuntu/unzip@6.0-9ubuntu1.6?arch=source&distro=trusty/esm":             "trusty",
		"pkg:deb/ubuntu/eglibc@2.19?arch=source&distro=esm-infra-legacy/trusty":         "trusty",
		"pkg:deb/ubuntu/netty@1:4.1.48-9ubuntu0.1~esm1?distro=esm-apps/noble":           "noble",
		"pkg:deb/ubuntu/x@1?arch=source":                                                "",
		"pkg:deb/ubuntu/x@1":                                                            "",
		"pkg:deb/ubuntu/x@1?distro=Jammy%20Jellyfish":                                   "",
	} {
		if got := purlCodename(purl); got != want {
			t.Errorf("purlCodename(%q) = %q, want %q", purl, got, want)
		}
	}
}

func TestNormalizePriority(t *testing.T) {
	for in, want := range map[string]loupe.Severity{
		"negligible": loupe.Negligible, "low": loupe.Low, "medium": loupe.Medium, "High": loupe.High,
		"critical": loupe.Critical, "untriaged": loupe.Unknown, "": loupe.Unknown,
	} {
		if got := NormalizePriority(in); got != want {
			t.Errorf("NormalizePriority(%q) = %v, want %v", in, got, want)
		}
	}
}

// realSamples returns the Ubuntu OSV records in ../shared/data, when they
// are there.
func realSamples(t testing.TB) map[string][]byte {
	const root = "../../../shared/data/vunnel-fixtures/tests/unit/providers/ubuntu/test-fixtures"
	out := make(map[string][]byte)
	for _, pat := range []string{root + "/osv/cve/*/*.json", root + "/osv-esm-cases/cve/*/*.json", root + "/osv/usn/*.json"} {
		paths, _ := filepath.Glob(pat)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimPrefix(p, root+"/")] = b
		}
	}
	if len(out) == 0 {
		t.Skip("real Ubuntu OSV samples not available")
	}
	return out
}

// TestParseRealSamples parses Canonical's real records and checks the
// count against an independent reading of them.
func TestParseRealSamples(t *testing.T) {
	files := realSamples(t)
	vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(zipOf(t, files)))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, b := range files {
		var r struct {
			ID        string
			Withdrawn string
			Affected  []struct {
				Package struct{ Ecosystem, Name string }
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.ID, "UBUNTU-CVE-") || r.Withdrawn != "" {
			continue
		}
		// One per (release, source package), the Pro (ESM) archive
		// counting as its release, other Pro streams not at all.
		releases := map[string]bool{}
		for _, a := range r.Affected {
			parts := strings.Split(a.Package.Ecosystem, ":")
			if parts[1] == "Pro" {
				parts = parts[1:]
			}
			if len(parts) > 3 || (len(parts) == 3 && parts[2] != "LTS") || strings.HasPrefix(parts[1], "FIPS") {
				continue
			}
			releases[parts[1]+"/"+a.Package.Name] = true
		}
		want += len(releases)
	}
	if len(vulns) != want || want == 0 {
		t.Errorf("Parse returned %d vulnerabilities, the samples hold %d", len(vulns), want)
	}
	// Spot checks of facts in the samples.
	found := map[string]string{}
	for _, v := range vulns {
		found[v.Name+" "+v.Dist.VersionCodeName+" "+v.Package.Name] = v.FixedInVersion
		if v.Dist.VersionID == "" || codenameOf(v.Dist.VersionID) != v.Dist.VersionCodeName {
			t.Errorf("%s: release %+v does not agree with the table", v.Name, v.Dist)
		}
	}
	for k, fixed := range map[string]string{
		"CVE-2021-3782 bionic wayland":  "1.16.0-1ubuntu1.1~18.04.4",
		"CVE-2021-3782 xenial wayland":  "1.12.0-1~ubuntu16.04.3+esm1",
		"CVE-2016-20013 noble glibc":    "",
		"CVE-2016-20013 trusty eglibc":  "",
		"CVE-2022-24823 jammy netty":    "1:4.1.48-4+deb11u2ubuntu0.1~esm1",
		"CVE-2022-24823 resolute netty": "",
		"CVE-2014-9913 trusty unzip":    "6.0-9ubuntu1.6",
	} {
		got, ok := found[k]
		if !ok || got != fixed {
			t.Errorf("%s: fixed %q (present %v), want %q", k, got, ok, fixed)
		}
	}
}

func FuzzParse(f *testing.F) {
	files := fixtureFiles(f)
	for _, n := range sortedNames(files) {
		f.Add(files[n])
	}
	f.Add(arrayOf(files))
	f.Add(zipOf(f, map[string][]byte{"UBUNTU-CVE-2030-1001.json": files["UBUNTU-CVE-2030-1001.json"]}))
	f.Add([]byte(`{"id":"UBUNTU-CVE-1","affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1"},{"fixed":"~~"}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, v := range vulns {
			if v.Package == nil || v.Package.Name == "" || v.Dist == nil || v.Dist.VersionCodeName == "" || v.Dist.VersionID == "" || v.Name == "" {
				t.Fatalf("incomplete vulnerability %+v", v)
			}
			k := v.Name + "\x00" + v.Dist.VersionCodeName + "\x00" + v.Package.Name
			if seen[k] {
				t.Fatalf("duplicate vulnerability %q", k)
			}
			seen[k] = true
			if _, ok := (Matcher{}).VulnerabilityKey(v); !ok {
				t.Fatalf("matcher does not claim %+v", v)
			}
		}
	})
}

// BenchmarkUbuntuOSVParse measures Parse throughput: on the project's
// fixtures, and on Canonical's real records when ../shared/data is there.
// MB/s is of the feed as fetched (compressed); json-MB/s of the records
// it holds.
func BenchmarkUbuntuOSVParse(b *testing.B) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	run := func(b *testing.B, files map[string][]byte, body []byte) {
		var raw int
		for _, f := range files {
			raw += len(f)
		}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(raw)*float64(b.N)/b.Elapsed().Seconds()/1e6, "json-MB/s")
	}
	b.Run("fixtures-zip", func(b *testing.B) { f := fixtureFiles(b); run(b, f, zipOf(b, f)) })
	b.Run("fixtures-tar.gz", func(b *testing.B) { f := fixtureFiles(b); run(b, f, gzipOf(tarOf(b, f))) })
	b.Run("real-zip", func(b *testing.B) { f := realSamples(b); run(b, f, zipOf(b, f)) })
	b.Run("real-tar.gz", func(b *testing.B) { f := realSamples(b); run(b, f, gzipOf(tarOf(b, f))) })
}
