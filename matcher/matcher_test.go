package matcher_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/store/sqlite"
)

// prefixRules is a hand-written Rules: it claims vulnerabilities whose
// name starts with its prefix, keys them by package name, and affects
// installed versions listed in FixedInVersion's "affects:" list.
type prefixRules struct{ prefix string }

func (r prefixRules) Name() string { return r.prefix + "-matcher" }

func (r prefixRules) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if !strings.HasPrefix(v.Name, r.prefix) {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: r.prefix, Name: v.Package.Name}, true
}

func (r prefixRules) RecordKeys(dst []matcher.Key, rec *loupe.IndexRecord) []matcher.Key {
	return append(dst, matcher.Key{Namespace: r.prefix, Name: rec.Package.Name})
}

func (r prefixRules) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	list, ok := strings.CutPrefix(v.FixedInVersion, "affects:")
	if !ok {
		return nil, errors.New("no affects list")
	}
	return versions(strings.Split(list, ",")), nil
}

type versions []string

func (vs versions) Affects(r *loupe.IndexRecord, _ bool) bool {
	for _, v := range vs {
		if v == r.Package.Version {
			return true
		}
	}
	return false
}

func vuln(updater, name, pkg, fixed string, sev loupe.Severity) *loupe.Vulnerability {
	return &loupe.Vulnerability{Updater: updater, Name: name, Package: &loupe.Package{Name: pkg},
		FixedInVersion: fixed, NormalizedSeverity: sev, Description: "shared description"}
}

func report(pkgs ...*loupe.Package) *loupe.IndexReport {
	r := &loupe.IndexReport{Packages: map[string]*loupe.Package{}, Environments: map[string][]*loupe.Environment{}}
	for _, p := range pkgs {
		r.Packages[p.ID] = p
		r.Environments[p.ID] = []*loupe.Environment{{}}
	}
	return r
}

func TestIndex(t *testing.T) {
	vulns := []*loupe.Vulnerability{
		vuln("u", "A-1", "zlib", "affects:1.0,1.1", loupe.Low),
		vuln("u", "A-2", "zlib", "affects:1.1", loupe.Critical),
		vuln("u", "A-3", "zlib", "unparsable", loupe.High),
		vuln("u", "B-1", "zlib", "affects:1.1", loupe.Medium),
		vuln("u", "C-1", "zlib", "affects:1.1", loupe.High),
	}
	for i, v := range vulns {
		v.ID = string(rune('1' + i))
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{prefixRules{"A"}, prefixRules{"B"}}, vulns, "v1")
	if ix.Count != 3 || ix.Invalid != 1 || ix.Unclaimed != 1 || ix.Version != "v1" {
		t.Errorf("counts: %d indexed, %d invalid, %d unclaimed", ix.Count, ix.Invalid, ix.Unclaimed)
	}
	vr := ix.Match(context.Background(), report(
		&loupe.Package{ID: "1", Name: "zlib", Version: "1.1"},
		&loupe.Package{ID: "2", Name: "zlib", Version: "1.0"},
		&loupe.Package{ID: "3", Name: "zlib", Version: "2.0"},
	))
	// Most severe first, then by name.
	want := map[string][]string{"1": {"2", "4", "1"}, "2": {"1"}}
	if diff := cmp.Diff(want, vr.PackageVulnerabilities); diff != "" {
		t.Errorf("package vulnerabilities (-want +got):\n%s", diff)
	}
	// Repeated values are shared after indexing.
	if vulns[0].Description != vulns[1].Description || vulns[0].Package != vulns[1].Package {
		t.Error("equal packages are not shared")
	}
}

func TestMatcherReload(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.OpenMatcher(ctx, filepath.Join(t.TempDir(), "matcher.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m, err := matcher.New(ctx, matcher.Options{Store: store, Rules: []matcher.Rules{prefixRules{"A"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.Initialized(ctx); ok {
		t.Error("initialized before any data")
	}
	rep := report(&loupe.Package{ID: "1", Name: "zlib", Version: "1.1"})
	count := func() int {
		vr, err := m.Scan(ctx, rep)
		if err != nil {
			t.Fatal(err)
		}
		return len(vr.Vulnerabilities)
	}

	op1, err := store.UpdateVulnerabilities(ctx, "u", "fp1", []*loupe.Vulnerability{vuln("u", "A-1", "zlib", "affects:1.1", loupe.Low)})
	if err != nil {
		t.Fatal(err)
	}
	// Another process landed data: the index only sees it on reload, and
	// until then the matcher must not claim to have data (it would answer
	// with empty reports).
	if n := count(); n != 0 {
		t.Errorf("%d vulnerabilities before reload", n)
	}
	if ok, _ := m.Initialized(ctx); ok {
		t.Error("initialized before the index holds the data that landed")
	}
	if err := m.ReloadIfChanged(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d vulnerabilities after reload, want 1", n)
	}
	if ok, _ := m.Initialized(ctx); !ok {
		t.Error("not initialized after data landed")
	}
	before := m.Index()
	if err := m.ReloadIfChanged(ctx); err != nil || m.Index() != before {
		t.Error("ReloadIfChanged rebuilt an unchanged index")
	}
	op2, err := store.UpdateVulnerabilities(ctx, "u", "fp2", []*loupe.Vulnerability{
		vuln("u", "A-1", "zlib", "affects:1.1", loupe.Low), vuln("u", "A-2", "zlib", "affects:1.1", loupe.High),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Reload(ctx)
	if n := count(); n != 2 {
		t.Errorf("%d vulnerabilities, want 2", n)
	}
	// Deleting the newest operation reverts, and the index follows.
	if _, err := m.DeleteUpdateOperations(ctx, op2.Ref); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d vulnerabilities after deleting %s, want 1", n, op2.Ref)
	}
	if ref, _ := m.LatestRef(ctx, loupe.VulnerabilityUpdate); ref != op1.Ref {
		t.Errorf("latest ref %s, want %s", ref, op1.Ref)
	}
}
