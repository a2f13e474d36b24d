package rhel

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

// fixtureTar returns a tar of the VEX fixtures, laid out as in Red Hat's
// archive (YYYY/cve-….json).
func fixtureTar(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	root := "testdata/vex"
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		return writeEntry(tw, filepath.ToSlash(rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixtureVulns parses the VEX fixtures and numbers the vulnerabilities,
// as a store would.
func fixtureVulns(t testing.TB) []*loupe.Vulnerability {
	t.Helper()
	u, err := NewUpdater(Config{})
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := u.Parse(context.Background(), bytes.NewReader(fixtureTar(t)))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vulns {
		v.ID = strconv.Itoa(i + 1)
	}
	return vulns
}

// summary is one line per vulnerability: name, package (kind, module,
// arch), product and fixed version.
func summary(v *loupe.Vulnerability) string {
	p := v.Package
	return fmt.Sprintf("%s %s/%s mod=%q arch=%q %s fixed=%q sev=%v", v.Name, p.Kind, p.Name, p.Module, p.Arch, v.Repo.Name, v.FixedInVersion, v.NormalizedSeverity)
}

func TestParseFixtures(t *testing.T) {
	vulns := fixtureVulns(t)
	var got []string
	for _, v := range vulns {
		got = append(got, summary(v))
		if v.Updater != UpdaterName || v.Repo.Key != RepositoryKey || v.Repo.CPE != v.Repo.Name {
			t.Errorf("%s: updater %q, repository %+v", v.Name, v.Updater, v.Repo)
		}
		if (v.Package.Arch != "") != (v.ArchOperation == loupe.ArchOpPatternMatch) {
			t.Errorf("%s: arch %q with arch op %v", v.Name, v.Package.Arch, v.ArchOperation)
		}
	}
	const (
		baseos9   = "cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*"
		anyRHEL9  = "cpe:2.3:*:redhat:enterprise_linux:9:*:*:*:*:*:*:*"
		app8      = "cpe:2.3:a:redhat:enterprise_linux:8:*:appstream:*:*:*:*:*"
		eus92     = "cpe:2.3:o:redhat:rhel_eus:9.2:*:baseos:*:*:*:*:*"
		rhel9     = "cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*"
		rhel8     = "cpe:2.3:o:redhat:enterprise_linux:8:*:*:*:*:*:*:*"
		openshift = "cpe:2.3:a:redhat:openshift:4.16:*:el9:*:*:*:*:*"
	)
	want := []string{
		// Binaries grouped over architectures; the source rpm of the
		// same build makes no record of its own.
		`CVE-2024-1001 binary/bind-libs mod="" arch="x86_64|aarch64" ` + baseos9 + ` fixed="32:9.16.23-18.el9_4.6" sev=High`,
		`CVE-2024-1001 binary/bind-utils mod="" arch="x86_64|aarch64" ` + baseos9 + ` fixed="32:9.16.23-18.el9_4.6" sev=High`,
		`CVE-2024-1001 binary/bind-libs mod="" arch="x86_64" ` + eus92 + ` fixed="32:9.16.23-11.el9_2.4" sev=High`,
		`CVE-2024-1002 binary/nodejs mod="nodejs:18" arch="x86_64|aarch64" ` + app8 + ` fixed="1:18.20.2-1.module+el8.10.0+21511+9a1c2b3d" sev=Medium`,
		`CVE-2024-1002 binary/nodejs mod="nodejs:20" arch="x86_64|aarch64" ` + app8 + ` fixed="1:20.12.2-2.module+el8.10.0+21512+4b5c6d7e" sev=Medium`,
		// Known affected: a source component, unfixed; the RHEL 8
		// investigation makes nothing.
		`CVE-2024-1003 source/openssl mod="" arch="" ` + rhel9 + ` fixed="" sev=Low`,
		// Not affected in RHEL 9: the BaseOS fix of libcurl is dropped.
		`CVE-2024-1004 source/curl mod="" arch="" ` + rhel8 + ` fixed="" sev=Medium`,
		`CVE-2024-1005 binary/openshift-clients mod="" arch="x86_64" ` + openshift + ` fixed="0:4.16.0-202407111006.p0.gfa84651.assembly.stream.el9" sev=Critical`,
		// A source rpm with no binaries: a source record; the same
		// build in AppStream and BaseOS: one record for both.
		`CVE-2024-1005 source/python3.9 mod="" arch="" ` + anyRHEL9 + ` fixed="0:3.9.18-3.el9_4.5" sev=Critical`,
		`CVE-2024-1006 binary/shadow-utils mod="" arch="x86_64|noarch" ` + baseos9 + ` fixed="2:4.9-9.el9_4" sev=Low`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}

	v := vulns[0]
	if v.Description != "A flaw in bind's resolver allows cache poisoning." || v.Issued.Format("2006-01-02") != "2024-03-01" {
		t.Errorf("description %q, issued %v", v.Description, v.Issued)
	}
	wantLinks := "https://access.redhat.com/security/cve/CVE-2024-1001 https://bugzilla.redhat.com/show_bug.cgi?id=1000001 " +
		"https://security.access.redhat.com/data/csaf/v2/vex/2024/cve-2024-1001.json https://access.redhat.com/errata/RHSA-2024:9001"
	if v.Links != wantLinks {
		t.Errorf("links:\n got %s\nwant %s", v.Links, wantLinks)
	}
	if v.Severity != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" {
		t.Errorf("severity %q", v.Severity)
	}
	if vulns[0].Repo != vulns[1].Repo {
		t.Error("records of one product do not share their repository")
	}
}

func TestParseStats(t *testing.T) {
	u, _ := NewUpdater(Config{})
	_, stats, err := u.parse(context.Background(), bytes.NewReader(fixtureTar(t)))
	if err != nil {
		t.Fatal(err)
	}
	want := ParseStats{Documents: 6, Skipped: 1, NotAffected: 1, Investigating: 1}
	if stats != want {
		t.Errorf("stats %+v, want %+v", stats, want)
	}
	// min_year < 0 keeps every year.
	u, _ = NewUpdater(Config{MinYear: -1})
	vulns, _, err := u.parse(context.Background(), bytes.NewReader(fixtureTar(t)))
	if err != nil || !strings.Contains(summary(vulns[0]), "CVE-2013-0001") {
		t.Errorf("min_year -1: %v, first %v", err, summary(vulns[0]))
	}
	// ignore_kernel_packages and a single document as the body.
	u, _ = NewUpdater(Config{IgnoreKernelPackages: true})
	b, _ := os.ReadFile("testdata/vex/2024/cve-2024-1006.json")
	vulns, err = u.Parse(context.Background(), bytes.NewReader(bytes.ReplaceAll(b, []byte("shadow-utils"), []byte("kernel-core"))))
	if err != nil || len(vulns) != 0 {
		t.Errorf("ignore_kernel_packages: %d vulnerabilities, %v", len(vulns), err)
	}
}

func TestParseMalformed(t *testing.T) {
	u, _ := NewUpdater(Config{})
	for _, tc := range []struct {
		name, body string
		wantErr    bool
	}{
		{"empty", "", true},
		{"not csaf", "hello", true},
		{"broken json", `{"document": `, true},
		{"no vulnerabilities", `{"document": {"tracking": {"id": "CVE-2024-1"}}}`, false},
		{"deleted", `{"document": {"tracking": {"id": "CVE-2024-1", "status": "deleted"}}}`, false},
		{"dangling product ids", `{"document": {"tracking": {"id": "CVE-2024-1"}}, "vulnerabilities": [{"cve": "CVE-2024-1", "product_status": {"fixed": ["x:y"], "known_affected": ["z"]}}]}`, false},
	} {
		vulns, err := u.Parse(context.Background(), strings.NewReader(tc.body))
		if (err != nil) != tc.wantErr || len(vulns) != 0 {
			t.Errorf("%s: %d vulnerabilities, error %v", tc.name, len(vulns), err)
		}
	}
	// A malformed document among good ones is skipped.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	writeEntry(tw, "2024/cve-2024-0000.json", []byte("{not json"))
	b, _ := os.ReadFile("testdata/vex/2024/cve-2024-1003.json")
	writeEntry(tw, "2024/cve-2024-1003.json", b)
	tw.Close()
	vulns, err := u.Parse(context.Background(), &buf)
	if err != nil || len(vulns) != 1 {
		t.Errorf("one good document of two: %d vulnerabilities, %v", len(vulns), err)
	}
	// A truncated archive fails.
	tb := fixtureTar(t)
	if _, err := u.Parse(context.Background(), bytes.NewReader(tb[:len(tb)/2])); err == nil {
		t.Error("truncated archive parsed")
	}
}

func TestPURL(t *testing.T) {
	for _, tc := range []struct {
		in        string
		want      purl
		evr, mod  string
		badModule bool
	}{
		{in: "pkg:rpm/redhat/bind-libs@9.16.23-18.el9_4.6?arch=x86_64&epoch=32",
			want: purl{Type: "rpm", Namespace: "redhat", Name: "bind-libs", Version: "9.16.23-18.el9_4.6", Arch: "x86_64", Epoch: "32"},
			evr:  "32:9.16.23-18.el9_4.6"},
		{in: "pkg:rpm/redhat/ruby@2.5.9-111.module%2Bel8.9.0%2B19193%2B435404ae?arch=i686&rpmmod=ruby:2.5:8090020230627084142:b46abd14",
			want: purl{Type: "rpm", Namespace: "redhat", Name: "ruby", Version: "2.5.9-111.module+el8.9.0+19193+435404ae", Arch: "i686", RPMMod: "ruby:2.5:8090020230627084142:b46abd14"},
			evr:  "0:2.5.9-111.module+el8.9.0+19193+435404ae", mod: "ruby:2.5"},
		{in: "pkg:rpm/redhat/curl", want: purl{Type: "rpm", Namespace: "redhat", Name: "curl"}},
		{in: "pkg:rpm/redhat/firefox-flatpak@128.0-1.el10?arch=src&rpmmod=rhel10",
			want: purl{Type: "rpm", Namespace: "redhat", Name: "firefox-flatpak", Version: "128.0-1.el10", Arch: "src", RPMMod: "rhel10"},
			evr:  "0:128.0-1.el10", badModule: true},
		{in: "pkg:oci/ubi9@sha256%3Aabc?tag=9.4", want: purl{Type: "oci", Name: "ubi9", Version: "sha256:abc"}, evr: "0:sha256:abc"},
	} {
		got, err := parsePURL(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
		if e := got.evr(); e != tc.evr {
			t.Errorf("%s: evr %q, want %q", tc.in, e, tc.evr)
		}
		mod, err := got.module()
		if (err != nil) != tc.badModule || mod != tc.mod {
			t.Errorf("%s: module %q, %v", tc.in, mod, err)
		}
	}
	for _, bad := range []string{"", "rpm/redhat/x", "pkg:rpm", "pkg:rpm/redhat/", "pkg:rpm/redhat/x%zz", "pkg:/x"} {
		if p, err := parsePURL(bad); err == nil {
			t.Errorf("%q parsed: %+v", bad, p)
		}
	}
}

func TestNormalizeSeverity(t *testing.T) {
	for in, want := range map[string]loupe.Severity{
		"Low": loupe.Low, "moderate": loupe.Medium, "Important": loupe.High, "CRITICAL": loupe.Critical,
		"None": loupe.Unknown, "": loupe.Unknown, "high": loupe.Unknown,
	} {
		if got := NormalizeSeverity(in); got != want {
			t.Errorf("NormalizeSeverity(%q) = %v, want %v", in, got, want)
		}
	}
}
