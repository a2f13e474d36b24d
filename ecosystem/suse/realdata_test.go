package suse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const vunnelDir = "../../../shared/data/vunnel-fixtures/tests/unit/providers/sles/test-fixtures/"

// TestRealSample parses vunnel's SUSE sample (a truncated SLES 15
// document) and checks, for each CVE vunnel has snapshots of, that the
// packages and fixed versions are the union of vunnel's per-service-pack
// ones (Clair and Loupe fold service packs into the major release).
//
// Left out: CVE-2010-1323, whose states in the sample have the operation
// "6", which is no OVAL operation (the real feed writes "less than"), so
// Loupe makes no records of them; and vunnel's "0" versions, which are
// its way of writing "not affected", where Loupe makes no record.
func TestRealSample(t *testing.T) {
	if _, err := os.Stat(vunnelDir); err != nil {
		t.Skipf("real SUSE sample not available: %v", err)
	}
	vs := parseFile(t, vunnelDir+"suse_truncated.xml", SLES("15"))
	snaps, err := filepath.Glob(vunnelDir + "snapshots/sles:15*/*.json")
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no snapshots: %v", err)
	}
	want := make(map[string][]string)
	for _, snap := range snaps {
		b, err := os.ReadFile(snap)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Item struct {
				Vulnerability struct {
					Name    string
					FixedIn []struct{ Name, Version string }
				}
			} `json:"item"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		sv := s.Item.Vulnerability
		if sv.Name == "CVE-2010-1323" {
			continue
		}
		for _, f := range sv.FixedIn {
			if f.Version == "0" {
				continue
			}
			if e := f.Name + " " + f.Version; !slices.Contains(want[sv.Name], e) {
				want[sv.Name] = append(want[sv.Name], e)
			}
		}
		if _, ok := want[sv.Name]; !ok {
			want[sv.Name] = nil
		}
	}
	got := make(map[string][]string)
	for _, v := range vs {
		if _, ok := want[v.Name]; ok {
			got[v.Name] = append(got[v.Name], v.Package.Name+" "+v.FixedInVersion)
		}
	}
	for name := range want {
		slices.Sort(want[name])
		slices.Sort(got[name])
		if diff := cmp.Diff(want[name], got[name]); diff != "" {
			t.Errorf("%s (-vunnel +loupe):\n%s", name, diff)
		}
	}
	for _, v := range vs {
		if strings.HasPrefix(v.Name, "CVE-1999-0524") || v.Name == "CVE-2026-34073" {
			t.Errorf("record for a package SUSE says is not affected: %+v", v)
		}
	}
}
