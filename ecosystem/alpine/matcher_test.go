package alpine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/alpine/secdb"
	"github.com/loupe-dev/loupe/ecosystem/wolfi"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/matcher"
)

// feedVulns runs the named updaters of the set against the fixture tree
// testdata/secdb, as a mirror configured by url, and returns what they
// parse, with IDs.
func feedVulns(t *testing.T, names ...string) []*loupe.Vulnerability {
	t.Helper()
	ctx := context.Background()
	abs, err := filepath.Abs("testdata/secdb")
	if err != nil {
		t.Fatal(err)
	}
	var out []*loupe.Vulnerability
	for _, name := range names {
		u := configured(t, name, "file://"+abs)
		body, _, err := u.Fetch(ctx, nil, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		vulns, err := u.Parse(ctx, body)
		body.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, vulns...)
	}
	for i, v := range out {
		v.ID = strconv.Itoa(i + 1)
	}
	return out
}

// matches renders a report's findings as package name → "advisory fixed".
func matches(vr *loupe.VulnerabilityReport) map[string][]string {
	out := map[string][]string{}
	for pid, ids := range vr.PackageVulnerabilities {
		for _, id := range ids {
			v := vr.Vulnerabilities[id]
			out[vr.Packages[pid].Name] = append(out[vr.Packages[pid].Name], v.Name+" "+v.FixedInVersion)
		}
		slices.Sort(out[vr.Packages[pid].Name])
	}
	return out
}

// TestMatchImages indexes real layers of an Alpine 3.18 image and an edge
// image, parses the fixture feeds with the updaters, and runs the real
// matcher over the index reports.
func TestMatchImages(t *testing.T) {
	ctx := context.Background()
	ix := indextest.NewIndexer(t, PackageScanner{}, DistributionScanner{}, wolfi.DistributionScanner{})
	installed := layertest.File(InstalledPath, string(mustRead(t, "testdata/installed")))
	v318 := indextest.Index(t, ix, indextest.Layer(t, append(indextest.DirEntries(t, "testdata/dist/3.18"), installed)...))
	edge := indextest.Index(t, ix, indextest.Layer(t, append(indextest.DirEntries(t, "testdata/dist/edge"), installed)...))

	vulns := feedVulns(t,
		"alpine-main-v3.17-updater", "alpine-community-v3.17-updater",
		"alpine-main-v3.18-updater", "alpine-community-v3.18-updater",
		"alpine-main-edge-updater", "alpine-community-edge-updater")
	// Wolfi data on the same packages must not touch Alpine images.
	vulns = append(vulns, &loupe.Vulnerability{ID: "w1", Updater: wolfi.WolfiUpdaterName, Name: "CVE-2023-5678",
		Package: &loupe.Package{Name: "openssl", Kind: loupe.SourcePackage}, Dist: wolfi.WolfiDistribution(), FixedInVersion: "9.9.9-r0"})
	rules := []matcher.Rules{Matcher{}, wolfi.WolfiMatcher(), wolfi.ChainguardMatcher()}
	idx := matcher.NewIndex(ctx, rules, vulns, "test")
	if idx.Invalid != 0 || idx.Unclaimed != 0 {
		t.Errorf("index: %d invalid, %d unclaimed", idx.Invalid, idx.Unclaimed)
	}

	want := map[string][]string{
		// Both binaries of each origin: matched by source package.
		"busybox":       {"CVE-2023-42363 1.36.1-r7", "CVE-2023-42366 1.36.1-r7"},
		"busybox-binsh": {"CVE-2023-42363 1.36.1-r7", "CVE-2023-42366 1.36.1-r7"},
		"libcrypto3":    {"CVE-2023-5678 3.1.4-r1"},
		"libssl3":       {"CVE-2023-5678 3.1.4-r1"},
		// 9.3_p2-r0 < 9.6_p1-r0; it is not below 9.3_p2-r0.
		"openssh-client-default": {"CVE-2023-48795 9.6_p1-r0", "CVE-2023-51384 9.6_p1-r0", "CVE-2023-51385 9.6_p1-r0"},
		// No origin in the database: its own name is its origin.
		"local-tool": {"ALPINE-99001 0.1_git20240102-r0"},
		// zlib 1.2.13-r1 is fixed in 3.18 and only 3.17's data has a
		// later fix; musl's fix is older; sqlite is not installed.
	}
	if diff := cmp.Diff(want, matches(idx.Match(ctx, v318))); diff != "" {
		t.Errorf("Alpine 3.18 (-want +got):\n%s", diff)
	}
	want = map[string][]string{
		"libcrypto3": {"CVE-2023-5678 3.2.0-r0"},
		"libssl3":    {"CVE-2023-5678 3.2.0-r0"},
	}
	if diff := cmp.Diff(want, matches(idx.Match(ctx, edge))); diff != "" {
		t.Errorf("Alpine edge (-want +got):\n%s", diff)
	}

	// The report's vulnerabilities are the updater's.
	vr := idx.Match(ctx, v318)
	for _, v := range vr.Vulnerabilities {
		if v.Updater != "alpine-main-v3.18-updater" && v.Updater != "alpine-community-v3.18-updater" {
			t.Errorf("%s from %s", v.Name, v.Updater)
		}
	}
	b, _ := json.Marshal(vr.Distributions)
	if want := `{"1":{"id":"1","did":"alpine","name":"Alpine Linux","version":"3.18","version_code_name":"","version_id":"","arch":"","cpe":"","pretty_name":"Alpine Linux v3.18"}}`; string(b) != want {
		t.Errorf("distributions\n got %s\nwant %s", b, want)
	}
}

func TestMatcherRules(t *testing.T) {
	m := Matcher{}
	dist := Distribution("3.18")
	rec := func(name, ver, origin string, d *loupe.Distribution) *loupe.IndexRecord {
		p := &loupe.Package{Name: name, Version: ver, Kind: loupe.BinaryPackage}
		if origin != "" {
			p.Source = &loupe.Package{Name: origin, Version: ver, Kind: loupe.SourcePackage}
		}
		return &loupe.IndexRecord{Package: p, Distribution: d}
	}
	vuln := func(fixed string) *loupe.Vulnerability {
		return &loupe.Vulnerability{Name: "CVE-1", Package: &loupe.Package{Name: "openssl", Kind: loupe.SourcePackage}, Dist: FeedDistribution("3.18"), FixedInVersion: fixed}
	}

	if k, ok := m.VulnerabilityKey(vuln("1-r0")); !ok || k != (matcher.Key{Namespace: "alpine:v3.18", Name: "openssl", Source: true}) {
		t.Errorf("VulnerabilityKey = %+v, %v", k, ok)
	}
	keys := m.RecordKeys(nil, rec("libssl3", "3.1.4-r0", "openssl", dist))
	if diff := cmp.Diff([]matcher.Key{{Namespace: "alpine:v3.18", Name: "libssl3"}, {Namespace: "alpine:v3.18", Name: "openssl", Source: true}}, keys); diff != "" {
		t.Errorf("RecordKeys (-want +got):\n%s", diff)
	}
	// Only Alpine's records and vulnerabilities.
	for _, d := range []*loupe.Distribution{nil, wolfi.WolfiDistribution(), {DID: "debian", Name: "Debian GNU/Linux", VersionID: "12"}} {
		if k := m.RecordKeys(nil, rec("libssl3", "3.1.4-r0", "openssl", d)); len(k) != 0 {
			t.Errorf("claims a record of %+v", d)
		}
		v := vuln("1-r0")
		v.Dist = d
		if _, ok := m.VulnerabilityKey(v); ok {
			t.Errorf("claims a vulnerability of %+v", d)
		}
	}
	// Clair's filter also takes the name alone.
	if k := m.RecordKeys(nil, rec("a", "1", "", &loupe.Distribution{Name: "Alpine Linux", PrettyName: "Alpine Linux v3.18"})); len(k) != 2 {
		t.Errorf("record by name: %v", k)
	}

	for _, tc := range []struct {
		fixed, installed string
		affected         bool
	}{
		{"", "3.1.4-r0", true}, // no fix: affected
		{"3.1.4-r1", "3.1.4-r0", true},
		{"3.1.4-r1", "3.1.4-r1", false},
		{"3.1.4-r1", "3.1.4-r2", false},
		{"3.1.4-r1", "3.1.4_rc1-r5", true},
		{"3.1.4-r1", "3.1.4_p1-r0", false},
		// Typos in the feeds compare as apk compares them.
		{"10.2.26.r0", "10.2.25-r0", true},
		{"10.2.26.r0", "10.2.26-r0", false},
		// An installed version that is not one is not affected.
		{"3.1.4-r1", "", false},
		{"3.1.4-r1", "unknown", false},
	} {
		c, err := m.Prepare(vuln(tc.fixed))
		if err != nil {
			t.Errorf("Prepare(%q): %v", tc.fixed, err)
			continue
		}
		if got := c.Affects(rec("libssl3", tc.installed, "openssl", dist), true); got != tc.affected {
			t.Errorf("fixed %q, installed %q: affected %v, want %v", tc.fixed, tc.installed, got, tc.affected)
		}
	}
	if _, err := m.Prepare(vuln("0")); !errors.Is(err, secdb.ErrNotAffected) {
		t.Errorf("Prepare(0): %v", err)
	}
	if _, err := m.Prepare(vuln("None")); err == nil {
		t.Error("Prepare(None) succeeded")
	}
}

func BenchmarkMatch(b *testing.B) {
	var vulns []*loupe.Vulnerability
	for i := range 20000 {
		vulns = append(vulns, &loupe.Vulnerability{ID: strconv.Itoa(i), Name: "CVE-" + strconv.Itoa(i),
			Package: &loupe.Package{Name: "pkg-" + strconv.Itoa(i%2000), Kind: loupe.SourcePackage},
			Dist:    FeedDistribution("3.18"), FixedInVersion: "1." + strconv.Itoa(i%30) + ".0-r1"})
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{Matcher{}}, vulns, "bench")
	d := *Distribution("3.18")
	d.ID = "1"
	ir := &loupe.IndexReport{Packages: map[string]*loupe.Package{}, Distributions: map[string]*loupe.Distribution{"1": &d}, Environments: map[string][]*loupe.Environment{}}
	for i := range 200 {
		id := strconv.Itoa(i)
		ir.Packages[id] = &loupe.Package{ID: id, Name: "bin-" + id, Version: "1.15.0-r0", Source: &loupe.Package{Name: "pkg-" + strconv.Itoa(i*10), Version: "1.15.0-r0"}}
		ir.Environments[id] = []*loupe.Environment{{DistributionID: "1"}}
	}
	b.ReportAllocs()
	for b.Loop() {
		ix.Match(context.Background(), ir)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
