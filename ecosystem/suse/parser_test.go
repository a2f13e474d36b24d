package suse

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
)

type row struct {
	CVE, Package, Arch, Fixed, LastAffected string
}

func rows(vs []*loupe.Vulnerability) []row {
	var out []row
	for _, v := range vs {
		out = append(out, row{v.Name, v.Package.Name, v.Package.Arch, v.FixedInVersion, v.Package.Version})
	}
	return out
}

func parseFile(t testing.TB, name string, d *loupe.Distribution) []*loupe.Vulnerability {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := oval.ParseOptions(context.Background(), f, oval.Options{NoComments: true})
	if err != nil {
		t.Fatal(err)
	}
	return Vulnerabilities(context.Background(), "suse-updater-test", d, doc)
}

func TestParse(t *testing.T) {
	vs := parseFile(t, "testdata/suse.xml", SLES("15"))
	want := []row{
		// One record per package fix; the two SP5 products make one,
		// SP4-LTSS's fix is another. The package whose test is
		// missing has none.
		{"CVE-2024-1111", "kernel-default", "(aarch64|ppc64le|x86_64)", "0:5.14.21-150500.55.44.1", ""},
		{"CVE-2024-1111", "kernel-default", "(s390x)", "0:5.14.21-150500.55.50.1", ""},
		{"CVE-2024-1111", "kernel-source", "(noarch)", "0:5.14.21-150500.55.44.1", ""},
		{"CVE-2024-1111", "kernel-default", "(aarch64|ppc64le|s390x|x86_64)", "0:5.14.21-150400.24.100.1", ""},
		// libopenssl3 is not affected: no record.
		{"CVE-2024-2222", "libopenssl1_1", "", "0:1.1.1l-150500.17.25.1", ""},
		// Unfixed: no fixed version.
		{"CVE-2024-3333", "curl", "", "", ""},
		{"CVE-2024-3333", "vim", "", "0:9.1.0330-150500.20.12.1", ""},
	}
	if diff := cmp.Diff(want, rows(vs)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	v := vs[0]
	if v.Updater != "suse-updater-test" || v.Severity != "Important" || v.NormalizedSeverity != loupe.High ||
		v.ArchOperation != loupe.ArchOpPatternMatch || v.Package.Kind != loupe.BinaryPackage ||
		!v.Issued.Equal(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)) || v.Description != "A kernel flaw." ||
		v.Links != "https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2024-1111 https://www.suse.com/security/cve/CVE-2024-1111 https://bugzilla.suse.com/1220001 https://www.suse.com/security/cve/CVE-2024-1111/" {
		t.Errorf("record = %+v", v)
	}
	if diff := cmp.Diff(SLES("15"), v.Dist); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
}

func TestNormalizeSeverity(t *testing.T) {
	for in, want := range map[string]loupe.Severity{
		"None": loupe.Unknown, "Low": loupe.Low, "Moderate": loupe.Medium, "important": loupe.High, "Critical": loupe.Critical, "": loupe.Unknown,
	} {
		if got := NormalizeSeverity(in); got != want {
			t.Errorf("NormalizeSeverity(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseBadInput(t *testing.T) {
	u := NewUpdater(Releases[2])
	for name, in := range map[string]string{
		"not xml":   "not xml",
		"truncated": `<oval_definitions><definitions><definition id="x">`,
	} {
		if _, err := u.Parse(context.Background(), strings.NewReader(in)); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
	if _, err := (&Updater{}).Parse(context.Background(), strings.NewReader("<oval_definitions/>")); err == nil {
		t.Error("zero Updater parsed")
	}
}
