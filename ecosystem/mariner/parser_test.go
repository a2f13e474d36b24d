package mariner

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

type row struct {
	CVE, Package, Fixed, LastAffected, Severity string
}

func rows(vs []*loupe.Vulnerability) []row {
	var out []row
	for _, v := range vs {
		out = append(out, row{v.Name, v.Package.Name, v.FixedInVersion, v.Package.Version, v.Severity})
	}
	return out
}

func parseFile(t testing.TB, name string, rel Release) []*loupe.Vulnerability {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vs, err := NewUpdater(rel).Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestParse(t *testing.T) {
	vs := parseFile(t, "testdata/azurelinux.xml", Releases[2])
	want := []row{
		// A lower bound: the fixed version goes in a query.
		{"CVE-2024-0101", "golang", "fixed=0:1.22.5-1.azl3&greater_than=0:1.21.0.azl3", "", "Critical"},
		{"CVE-2024-0102", "openssl", "0:3.3.0-2.azl3", "", "High"},
		// No fix: the last affected version is the package's.
		{"CVE-2024-0103", "bind", "", "0:9.19.0-1.azl3", "Medium"},
		// "Not Applicable": no record.
		{"CVE-2024-0105", "ca-certificates", "1:3.0.0-8.azl3", "", "Low"},
	}
	if diff := cmp.Diff(want, rows(vs)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	v := vs[1]
	if v.Updater != "azurelinux-3.0-updater" || v.Package.Kind != loupe.SourcePackage || v.NormalizedSeverity != loupe.High ||
		v.Links != "https://nvd.nist.gov/vuln/detail/CVE-2024-0102" || !v.Issued.Equal(time.Date(2024, 7, 2, 10, 0, 0, 0, time.UTC)) ||
		!strings.HasPrefix(v.Description, "CVE-2024-0102 affecting") {
		t.Errorf("record = %+v", v)
	}
	if diff := cmp.Diff(AzureLinux("3.0"), v.Dist); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
}

func TestNormalizeSeverity(t *testing.T) {
	for in, want := range map[string]loupe.Severity{
		"Critical": loupe.Critical, "High": loupe.High, "Medium": loupe.Medium, "low": loupe.Low, "Unknown": loupe.Unknown, "": loupe.Unknown, "Important": loupe.Unknown,
	} {
		if got := NormalizeSeverity(in); got != want {
			t.Errorf("NormalizeSeverity(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseBadInput(t *testing.T) {
	if _, err := NewUpdater(Releases[1]).Parse(context.Background(), strings.NewReader("<html/>")); err == nil {
		t.Error("Parse of HTML succeeded")
	}
	if _, err := (&Updater{}).Parse(context.Background(), strings.NewReader("<oval_definitions/>")); err == nil {
		t.Error("zero Updater parsed")
	}
}
