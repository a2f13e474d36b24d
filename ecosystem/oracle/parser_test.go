package oracle

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

// row is a record as the tests compare it.
type row struct {
	Release, Package, Module, Arch, ArchOp, Fixed string
}

func rows(vs []*loupe.Vulnerability) []row {
	var out []row
	for _, v := range vs {
		op := ""
		if v.ArchOperation != loupe.ArchOpNone {
			op = v.ArchOperation.String()
		}
		out = append(out, row{v.Dist.Version, v.Package.Name, v.Package.Module, v.Package.Arch, op, v.FixedInVersion})
	}
	return out
}

func parseFile(t testing.TB, name string) []*loupe.Vulnerability {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vs, err := NewUpdater(2024).Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestParse(t *testing.T) {
	vs := parseFile(t, "testdata/elsa.xml")
	want := []row{
		// Epochs are kept.
		{"8", "bind", "", "", "", "32:9.11.36-11.el8_9.1"},
		{"8", "bind-libs", "", "", "", "32:9.11.36-11.el8_9.1"},
		// Fixed at different builds per architecture: one record
		// each; fixed at the same build on both: one record.
		{"8", "rsyslog", "", "aarch64", "pattern match", "0:8.2102.0-15.el8_9.3"},
		{"8", "rsyslog-doc", "", "", "", "0:8.2102.0-15.el8_9.1"},
		{"8", "rsyslog", "", "x86_64", "pattern match", "0:8.2102.0-15.el8_9.1"},
		// A module stream; of two rebuilds, the later bounds.
		{"8", "nodejs", "nodejs:18", "", "", "1:18.19.1-1.0.1.module+el8.9.0+90171+b8c1d6b5"},
		// ksplice builds: nothing. A missing test: read from its
		// comment.
		{"7", "openssl", "", "", "", "1:1.0.2k-26.el7_9"},
	}
	if diff := cmp.Diff(want, rows(vs)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	v := vs[0]
	if diff := cmp.Diff(Distribution(8), v.Dist); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
	if v.Name != "ELSA-2024-1001:  bind security update (IMPORTANT)" || v.Updater != "oracle-2024-updater" ||
		v.Severity != "IMPORTANT" || v.NormalizedSeverity != loupe.High || v.Package.Kind != loupe.BinaryPackage ||
		!v.Issued.Equal(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)) ||
		v.Links != "https://linux.oracle.com/errata/ELSA-2024-1001.html https://linux.oracle.com/cve/CVE-2024-0001.html" ||
		!strings.Contains(v.Description, "Fix CVE-2024-0001") {
		t.Errorf("record = %+v", v)
	}
	if vs[6].NormalizedSeverity != loupe.Low {
		t.Errorf("LOW normalized to %v", vs[6].NormalizedSeverity)
	}
	// The bzip2 original reads the same.
	if diff := cmp.Diff(rows(vs), rows(parseFile(t, "testdata/elsa.xml.bz2"))); diff != "" {
		t.Errorf("bzip2 (-plain +bz2):\n%s", diff)
	}
}

func TestParseBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not xml":   "not xml",
		"truncated": `<oval_definitions><definitions><definition id="x">`,
		"html":      "<html><body>404</body></html>",
	} {
		if _, err := NewUpdater(2024).Parse(context.Background(), strings.NewReader(in)); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
}

func TestNormalizeSeverity(t *testing.T) {
	for in, want := range map[string]loupe.Severity{
		"N/A": loupe.Unknown, "LOW": loupe.Low, "MODERATE": loupe.Medium, "important": loupe.High, "CRITICAL": loupe.Critical, "": loupe.Unknown,
	} {
		if got := NormalizeSeverity(in); got != want {
			t.Errorf("NormalizeSeverity(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/elsa.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	f.Cleanup(func() { slog.SetDefault(prev) })
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := NewUpdater(2024).Parse(context.Background(), strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, v := range vs {
			if v.Package == nil || v.Package.Name == "" || v.Dist == nil || v.Dist.DID != "ol" {
				t.Fatalf("incomplete record %+v", v)
			}
		}
	})
}

// TestKspliceOnly checks that an advisory whose affected CPEs are all
// ksplice userspace ones makes no records, even when its tests do not
// say so.
func TestKspliceOnly(t *testing.T) {
	doc := `<oval_definitions><definitions>
<definition id="d" class="patch"><metadata><title>ELSA-2024-9999: glibc ksplice update</title>
<affected family="unix"><platform>Oracle Linux 8</platform></affected>
<advisory><affected_cpe_list><cpe>cpe:/a:oracle:linux:8::userspace_ksplice</cpe></affected_cpe_list></advisory></metadata>
<criteria><criterion test_ref="missing" comment="glibc is earlier than 2:2.28-236.0.1.el8"/></criteria></definition>
<definition id="e" class="patch"><metadata><title>ELSA-2024-9998: glibc update</title>
<affected family="unix"><platform>Oracle Linux 8</platform></affected></metadata>
<criteria><criterion test_ref="missing" comment="glibc is earlier than 2:2.28-236.0.1.el8"/></criteria></definition>
</definitions></oval_definitions>`
	vs, err := NewUpdater(2024).Parse(context.Background(), strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]row{{"8", "glibc", "", "", "", "2:2.28-236.0.1.el8"}}, rows(vs)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if vs[0].Name != "ELSA-2024-9998: glibc update" {
		t.Errorf("record of %q", vs[0].Name)
	}
}
