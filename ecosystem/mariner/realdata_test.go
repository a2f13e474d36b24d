package mariner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/internal/oval"
)

const vunnelDir = "../../../shared/data/vunnel-fixtures/tests/unit/providers/mariner/test-fixtures/"

// TestRealSamples parses vunnel's CBL-Mariner and Azure Linux samples and
// checks the CBL-Mariner records against vunnel's snapshots: the same
// packages, fixed versions and bounds.
func TestRealSamples(t *testing.T) {
	if _, err := os.Stat(vunnelDir); err != nil {
		t.Skipf("real samples not available: %v", err)
	}
	cm2 := parseFile(t, vunnelDir+"mariner-truncated-2.0-oval.xml", Releases[1])
	snaps, err := filepath.Glob(vunnelDir + "snapshots/mariner:2.0/*.json")
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no snapshots: %v", err)
	}
	var want []string
	for _, snap := range snaps {
		b, err := os.ReadFile(snap)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Item struct {
				Vulnerability struct {
					Name     string
					Severity string
					FixedIn  []struct{ Name, Version, VulnerableRange string }
				}
			} `json:"item"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		sv := s.Item.Vulnerability
		for _, f := range sv.FixedIn {
			fixed := f.Version
			if fixed == "None" {
				fixed = ""
			}
			want = append(want, strings.Join([]string{sv.Name, sv.Severity, f.Name, fixed, f.VulnerableRange}, "|"))
		}
	}
	var got []string
	for _, v := range cm2 {
		b, err := oval.BoundsOf(v)
		if err != nil {
			t.Fatal(err)
		}
		// vunnel's range: "> after, < fixed", or "<= last".
		var r []string
		if b.After != "" {
			r = append(r, "> "+b.After)
		}
		if b.Fixed != "" {
			r = append(r, "< "+b.Fixed)
		}
		if b.LastAffected != "" {
			r = append(r, "<= "+b.LastAffected)
		}
		got = append(got, strings.Join([]string{v.Name, v.Severity, v.Package.Name, b.Fixed, strings.Join(r, ", ")}, "|"))
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CBL-Mariner 2.0 (-vunnel +loupe):\n%s", diff)
	}

	azl := parseFile(t, vunnelDir+"azure-linux-truncated-3.0-oval.xml", Releases[2])
	if len(azl) == 0 {
		t.Fatal("no Azure Linux records")
	}
	for _, v := range azl {
		if v.Dist.DID != "azurelinux" || v.FixedInVersion == "" || !strings.HasPrefix(v.Name, "CVE-") || !strings.HasSuffix(v.FixedInVersion, ".azl3") {
			t.Errorf("Azure Linux record %s %s %s", v.Name, v.Package.Name, v.FixedInVersion)
		}
	}
}
