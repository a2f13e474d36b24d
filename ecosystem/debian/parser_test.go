package debian

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

func TestParse(t *testing.T) {
	f, err := os.Open("testdata/tracker.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vulns, err := (&Updater{}).Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Name, Source, Release, VersionID, Fixed, Severity, Normalized string }
	var got []row
	for _, v := range vulns {
		if v.Updater != UpdaterName || v.Package.Kind != loupe.SourcePackage || v.Links != trackerLink+v.Name {
			t.Errorf("%s: unexpected updater, kind or links: %+v", v.Name, v)
		}
		got = append(got, row{v.Name, v.Package.Name, v.Dist.VersionCodeName, v.Dist.VersionID, v.FixedInVersion, v.Severity, v.NormalizedSeverity.String()})
	}
	want := []row{
		// Fixed, per release; fixed_version "0" (never affected) is left out.
		{"CVE-2024-0727", "openssl", "bookworm", "12", "3.0.13-1~deb12u1", "low", "Low"},
		{"CVE-2024-0727", "openssl", "bullseye", "11", "1.1.1w-0+deb11u2", "low", "Low"},
		{"CVE-2024-0727", "openssl", "sid", "", "3.1.5-1", "low", "Low"},
		{"CVE-2024-28085", "util-linux", "bookworm", "12", "2.38.1-5+deb12u1", "medium", "Medium"},
		{"CVE-2024-28085", "util-linux", "trixie", "13", "2.39.3-11", "medium", "Medium"},
		// Open: no fixed version; a release Loupe does not know yet is
		// kept under its codename.
		{"CVE-2023-45853", "zlib", "bookworm", "12", "", "unimportant", "Negligible"},
		{"CVE-2023-45853", "zlib", "futurerelease", "", "", "high", "High"},
		// Undetermined counts as open; an unknown status is dropped.
		{"CVE-2005-2541", "tar", "bookworm", "12", "", "not yet assigned", "Unknown"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	// The distribution is Clair's.
	if d := vulns[0].Dist; d.Name != "Debian GNU/Linux" || d.DID != "debian" || d.Version != "12 (bookworm)" || d.PrettyName != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("distribution = %+v", d)
	}
}

func TestParseBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not json":  "this is not json",
		"array":     `["openssl"]`,
		"truncated": `{"openssl": {"CVE-2024-0727": {"releases": {"bookworm": {"status": "resol`,
		"empty":     ``,
	} {
		if _, err := (&Updater{}).Parse(context.Background(), strings.NewReader(in)); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&Updater{}).Parse(ctx, strings.NewReader(`{"a": {}}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Parse: err = %v", err)
	}
}

// TestParseRealSample checks the parser against the real tracker sample
// in ../shared/data, when it is there.
func TestParseRealSample(t *testing.T) {
	const sample = "../../../shared/data/vunnel-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json"
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Skipf("real tracker sample not available: %v", err)
	}
	vulns, err := (&Updater{}).Parse(context.Background(), strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// Count independently: every (source, CVE, release) entry that is
	// open, undetermined, or resolved with a real fixed version.
	var raw map[string]map[string]struct {
		Releases json.RawMessage `json:"releases"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, cves := range raw {
		for _, cve := range cves {
			var rels map[string]struct {
				Status       string `json:"status"`
				FixedVersion string `json:"fixed_version"`
			}
			if json.Unmarshal(cve.Releases, &rels) != nil {
				continue // [] for none
			}
			for _, r := range rels {
				if r.Status == "open" || r.Status == "undetermined" || (r.Status == "resolved" && r.FixedVersion != "" && r.FixedVersion != "0") {
					want++
				}
			}
		}
	}
	if len(vulns) != want || want == 0 {
		t.Errorf("Parse returned %d vulnerabilities, the sample has %d", len(vulns), want)
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/tracker.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"a":{"CVE-1":{"releases":{"sid":{"status":"open"}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vulns, err := (&Updater{}).Parse(context.Background(), strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, v := range vulns {
			if v.Package == nil || v.Package.Name == "" || v.Dist == nil || v.Name == "" {
				t.Fatalf("incomplete vulnerability %+v", v)
			}
		}
	})
}
