package photon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const vunnelDir = "../../../shared/data/vunnel-fixtures/tests/unit/providers/photon/test-fixtures/"

// TestRealSamples parses vunnel's samples of the real feed and checks the
// records against vunnel's snapshots: the same CVEs, packages, fixed
// versions and severities. vunnel leaves out BDSA rows, which Loupe keeps.
func TestRealSamples(t *testing.T) {
	if _, err := os.Stat(vunnelDir); err != nil {
		t.Skipf("real samples not available: %v", err)
	}
	for _, release := range []string{"1.0", "4.0"} {
		var got []string
		for _, v := range parseFile(t, vunnelDir+"input/cve_data_photon"+release+".json", release) {
			if strings.HasPrefix(v.Name, "BDSA-") {
				continue
			}
			fixed := v.FixedInVersion
			if fixed == "" {
				fixed = "None"
			}
			sev := v.Severity
			if sev == "" {
				sev = "Unknown"
			}
			got = append(got, strings.Join([]string{v.Name, v.Package.Name, fixed, sev}, " "))
		}
		snaps, err := filepath.Glob(vunnelDir + "snapshots/photon:" + release + "/*.json")
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
						Name, Severity string
						FixedIn        []struct {
							Name    string
							Version *string
						}
					}
				} `json:"item"`
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			sv := s.Item.Vulnerability
			for _, f := range sv.FixedIn {
				v := "None"
				if f.Version != nil {
					v = *f.Version
				}
				want = append(want, strings.Join([]string{sv.Name, f.Name, v, sv.Severity}, " "))
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Photon %s (-vunnel +loupe):\n%s", release, diff)
		}
	}
}
