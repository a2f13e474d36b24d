package oracle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// vunnelDir holds real ELSA samples and what vunnel (Grype's feed
// builder) makes of them, when ../shared/data is there.
const vunnelDir = "../../../shared/data/vunnel-fixtures/tests/unit/providers/oracle/test-fixtures/"

func needVunnel(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(vunnelDir); err != nil {
		t.Skipf("real ELSA samples not available: %v", err)
	}
}

// TestRealSamples parses vunnel's ELSA samples (truncated copies of the
// real feed, whose tests are mostly missing, so that the comments are
// read) and checks the packages and fixed versions of each advisory
// against vunnel's snapshots of them.
func TestRealSamples(t *testing.T) {
	needVunnel(t)
	vs := parseFile(t, vunnelDir+"mock_data")
	snaps, err := filepath.Glob(vunnelDir + "snapshots/*/*.json")
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no snapshots: %v", err)
	}
	for _, snap := range snaps {
		b, err := os.ReadFile(snap)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Item struct {
				Vulnerability struct {
					Name          string
					NamespaceName string
					FixedIn       []struct{ Name, Version string }
				}
			} `json:"item"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		sv := s.Item.Vulnerability
		var want, got []string
		for _, f := range sv.FixedIn {
			want = append(want, f.Name+" "+f.Version)
		}
		for _, v := range vs {
			if strings.HasPrefix(v.Name, sv.Name+":") && "ol:"+v.Dist.Version == sv.NamespaceName {
				got = append(got, v.Package.Name+" "+v.FixedInVersion)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s (-vunnel +loupe):\n%s", sv.NamespaceName, sv.Name, diff)
		}
	}
}

// TestRealPerArch checks the per-architecture sample against what its
// header says of each advisory.
func TestRealPerArch(t *testing.T) {
	needVunnel(t)
	byPkg := make(map[string][]string)
	for _, v := range parseFile(t, vunnelDir+"mock_per_arch_data") {
		byPkg[v.Package.Name] = append(byPkg[v.Package.Name], v.Package.Arch+" "+v.FixedInVersion)
	}
	for pkg, want := range map[string][]string{
		// Respun at different revisions: one record per architecture.
		"rsyslog": {"aarch64 0:8.24.0-57.0.4.el7_9.3", "x86_64 0:8.24.0-57.0.1.el7_9.3"},
		// One fix for every architecture: no architecture.
		"firefox": {" 0:128.12.0-1.0.1.el10_0"},
		// Two rebuilds on both architectures: the later, no
		// architecture.
		"osbuild": {" 0:110-1.0.1.el8"},
	} {
		if diff := cmp.Diff(want, byPkg[pkg]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", pkg, diff)
		}
	}
}

// TestRealKsplice checks that a ksplice advisory makes no records.
func TestRealKsplice(t *testing.T) {
	needVunnel(t)
	if vs := parseFile(t, vunnelDir+"mock_ksplice_data"); len(vs) != 0 {
		t.Errorf("ksplice sample made %d records, first %+v", len(vs), vs[0])
	}
}
