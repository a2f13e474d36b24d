package photon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

type row struct {
	ID, Package, Fixed, Severity, Normalized, Links string
}

func rows(vs []*loupe.Vulnerability) []row {
	var out []row
	for _, v := range vs {
		out = append(out, row{v.Name, v.Package.Name, v.FixedInVersion, v.Severity, v.NormalizedSeverity.String(), v.Links})
	}
	return out
}

func parseFile(t testing.TB, name, release string) []*loupe.Vulnerability {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := NewUpdater(release).Parse(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestParse(t *testing.T) {
	vs := parseFile(t, "testdata/cve_data_photon5.0.json", "5.0")
	const nvd = "https://nvd.nist.gov/vuln/detail/"
	want := []row{
		{"CVE-2024-1001", "curl", "8.7.1-2.ph5", "Critical", "Critical", nvd + "CVE-2024-1001"},
		{"CVE-2024-1002", "curl-libs", "8.7.1-3.ph5", "Medium", "Medium", nvd + "CVE-2024-1002"},
		// No fix yet.
		{"CVE-2024-1003", "openssl", "", "High", "High", nvd + "CVE-2024-1003"},
		// Not affected: no record. A repeated row: one record. A
		// score written as a string.
		{"CVE-2024-1005", "linux-esx", "6.1.90-1.ph5", "Medium", "Medium", nvd + "CVE-2024-1005"},
		{"CVE-2024-1006", "libgcrypt", "1:1.10.2-2.ph5", "Negligible", "Negligible", nvd + "CVE-2024-1006"},
		{"CVE-2024-1007", "vim", "", "", "Unknown", nvd + "CVE-2024-1007"},
		// Photon's other identifiers are kept, with no link.
		{"BDSA-2024-0001", "krb5", "1.21.2-3.ph5", "Low", "Low", ""},
		// Rows of the wrong shape are skipped.
	}
	if diff := cmp.Diff(want, rows(vs)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	v := vs[0]
	if v.Updater != "photon-updater-5.0" || v.Package.Kind != loupe.BinaryPackage {
		t.Errorf("record = %+v", v)
	}
	if diff := cmp.Diff(&loupe.Distribution{DID: "photon", Name: "VMware Photon OS", Version: "5.0", VersionID: "5.0", PrettyName: "VMware Photon OS/Linux"}, v.Dist); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
}

func TestParseBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not json":  "<html>",
		"object":    `{"cve_id": "CVE-1"}`,
		"truncated": `[{"cve_id": "CVE-1", "pkg": "a"}, {"cve_id"`,
		"empty":     "",
		"trailing":  `[{"cve_id": "CVE-1", "pkg": "a"}`,
	} {
		if _, err := NewUpdater("5.0").Parse(context.Background(), strings.NewReader(in)); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
	if vs, err := NewUpdater("5.0").Parse(context.Background(), strings.NewReader("[]")); err != nil || len(vs) != 0 {
		t.Errorf("empty array: %v, %v", vs, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewUpdater("5.0").Parse(ctx, strings.NewReader(`[{"cve_id": "CVE-1", "pkg": "a"}]`)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := (&Updater{}).Parse(context.Background(), strings.NewReader("[]")); err == nil {
		t.Error("zero Updater parsed")
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/cve_data_photon5.0.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`[{"cve_id":"CVE-1","pkg":"a","cve_score":"x","res_ver":"NA","status":"Fixed"}]`))
	// Warnings about skipped rows would flood the fuzzer's output.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	f.Cleanup(func() { slog.SetDefault(prev) })
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := NewUpdater("5.0").Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, v := range vs {
			if v.Package == nil || v.Package.Name == "" || v.Name == "" || v.Dist == nil {
				t.Fatalf("incomplete record %+v", v)
			}
			if _, err := (Matcher{}).Prepare(v); err != nil && v.FixedInVersion == "" {
				t.Fatalf("unfixed record does not prepare: %v", err)
			}
		}
	})
}

// BenchmarkPhotonParse measures parsing a CVE metadata document of
// 100,000 rows (about 17 MB, a few times the size of the real 5.0 one),
// in bytes of JSON per second.
func BenchmarkPhotonParse(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i := range 100_000 {
		if i > 0 {
			buf.WriteString(",\n")
		}
		fmt.Fprintf(&buf, `  {"cve_id": "CVE-2024-%d", "pkg": "package-%d", "cve_score": %d.%d, "aff_ver": "all versions before 1.%d-%d.ph5 are vulnerable", "res_ver": "1.%d-%d.ph5", "status": "Fixed"}`,
			10000+i, i%3000, i%10, i%10, i%50, i%7, i%50, i%7)
	}
	buf.WriteString("\n]\n")
	doc := buf.Bytes()
	u := NewUpdater("5.0")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		vs, err := u.Parse(context.Background(), bytes.NewReader(doc))
		if err != nil || len(vs) != 100_000 {
			b.Fatal(len(vs), err)
		}
	}
}
