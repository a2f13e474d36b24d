package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/loupe-dev/loupe"
)

// MatcherStore runs the matcher-store suite (matcher.Store and
// updater.Store on one store); open returns a fresh, empty store for each
// subtest.
func MatcherStore(t *testing.T, open func(t *testing.T) MatcherStoreUnderTest) {
	t.Run("UpdateVulnerabilities", func(t *testing.T) {
		sub(t, open, "LandsOperation", testLandsOperation)
		sub(t, open, "UnchangedReturnsNil", testUnchangedReturnsNil)
		sub(t, open, "RoundTrip", testVulnerabilitiesRoundTrip)
		sub(t, open, "StableIDs", testStableIDs)
		sub(t, open, "ChangeOneOfN", testChangeOneOfN)
		sub(t, open, "EmptyFeedClearsUpdater", testEmptyFeedClearsUpdater)
		sub(t, open, "RejectsForeignUpdater", testRejectsForeignUpdater)
	})
	t.Run("UpdateDiff", func(t *testing.T) {
		sub(t, open, "EmptyPrev", testDiffEmptyPrev)
		sub(t, open, "History", testDiffHistory)
		sub(t, open, "DifferentUpdaters", testDiffDifferentUpdaters)
		sub(t, open, "UnknownRef", testDiffUnknownRef)
	})
	t.Run("UpdateOperations", func(t *testing.T) {
		sub(t, open, "Empty", testOperationsEmpty)
		sub(t, open, "NewestFirst", testOperationsNewestFirst)
	})
	sub(t, open, "LatestRef", testLatestRef)
	sub(t, open, "DataVersion", testDataVersion)
	sub(t, open, "Initialized", testInitialized)
	t.Run("DeleteUpdateOperations", func(t *testing.T) {
		sub(t, open, "Newest", testDeleteNewest)
		sub(t, open, "UnknownRef", testDeleteUnknown)
		t.Run("LiveSetIsNewestRemaining", func(t *testing.T) { testDeleteScenarios(t, open) })
	})
	t.Run("GC", func(t *testing.T) {
		sub(t, open, "Retention", testGCRetention)
		sub(t, open, "Backlog", testGCBacklog)
		sub(t, open, "FewerThanRetention", testGCFewerThanRetention)
	})
	sub(t, open, "RecordAttempt", testRecordAttempt)
	sub(t, open, "IndependentUpdaters", testIndependentUpdaters)
	sub(t, open, "Concurrent", testMatcherConcurrent)
	sub(t, open, "Leases", func(t *testing.T, s MatcherStoreUnderTest) { testLeases(t, s) })
	sub(t, open, "LockExclusion", func(t *testing.T, s MatcherStoreUnderTest) { testLockExclusion(t, s) })
}

// sub runs f as subtest name of t on a fresh store.
func sub(t *testing.T, open func(*testing.T) MatcherStoreUnderTest, name string, f func(*testing.T, MatcherStoreUnderTest)) {
	t.Helper()
	t.Run(name, func(t *testing.T) { f(t, open(t)) })
}

// land updates updater with vulns and fails the test unless an operation
// landed.
func land(t *testing.T, s MatcherStoreUnderTest, updater, fp string, vulns []*loupe.Vulnerability) *loupe.UpdateOperation {
	t.Helper()
	op, err := s.UpdateVulnerabilities(t.Context(), updater, fp, vulns)
	must(t, "UpdateVulnerabilities("+updater+", "+fp+")", err)
	if op == nil {
		t.Fatalf("UpdateVulnerabilities(%s, %s) with changed data: got no operation, want one", updater, fp)
	}
	return op
}

// live returns the store's live vulnerabilities, checking their IDs.
func live(t *testing.T, s MatcherStoreUnderTest) []*loupe.Vulnerability {
	t.Helper()
	vs, err := s.Vulnerabilities(t.Context())
	must(t, "Vulnerabilities", err)
	seen := make(map[string]string, len(vs))
	for _, v := range vs {
		switch {
		case v == nil:
			t.Fatalf("Vulnerabilities returned a nil vulnerability")
		case v.ID == "":
			t.Errorf("Vulnerabilities: %s (%s) has an empty ID", v.Name, v.Updater)
		case seen[v.ID] != "":
			t.Errorf("Vulnerabilities: ID %q returned twice (for %s and %s)", v.ID, seen[v.ID], v.Name)
		}
		seen[v.ID] = v.Name
	}
	return vs
}

// checkLive compares the live set with want, by content.
func checkLive(t *testing.T, s MatcherStoreUnderTest, when string, want []*loupe.Vulnerability) []*loupe.Vulnerability {
	t.Helper()
	got := live(t, s)
	if diff := diffVulns(want, got); diff != "" {
		t.Errorf("Vulnerabilities %s: %s", when, diff)
	}
	return got
}

// idsByContent maps the content of vulns to their IDs.
func idsByContent(vs []*loupe.Vulnerability) map[string]string {
	out := make(map[string]string, len(vs))
	for _, v := range vs {
		out[contentKey(v)] = v.ID
	}
	return out
}

// checkIDs reports vulnerabilities of got whose ID differs from the ID
// of the same content in want, where want has it.
func checkIDs(t *testing.T, when string, want map[string]string, got []*loupe.Vulnerability) {
	t.Helper()
	for _, v := range got {
		if id, ok := want[contentKey(v)]; ok && id != v.ID {
			t.Errorf("%s: %s (%s) has ID %q, want %q (same content, still referenced)", when, v.Name, v.Updater, v.ID, id)
		}
	}
}

// learnIDs checks got's IDs against ids, then adds the IDs of content
// ids lacks.
func learnIDs(t *testing.T, when string, ids map[string]string, got []*loupe.Vulnerability) {
	t.Helper()
	checkIDs(t, when, ids, got)
	for k, id := range idsByContent(got) {
		if _, ok := ids[k]; !ok {
			ids[k] = id
		}
	}
}

// operations returns UpdateOperations(vulnerability, false).
func operations(t *testing.T, s MatcherStoreUnderTest) map[string][]loupe.UpdateOperation {
	t.Helper()
	ops, err := s.UpdateOperations(t.Context(), loupe.VulnerabilityUpdate, false)
	must(t, "UpdateOperations", err)
	return ops
}

func refs(ops []loupe.UpdateOperation) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.Ref
	}
	return out
}

// newestFirst returns the refs of ops, newest first.
func newestFirst(ops ...*loupe.UpdateOperation) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[len(ops)-1-i] = op.Ref
	}
	return out
}

func diff(t *testing.T, s MatcherStoreUnderTest, prev, cur string) *loupe.UpdateDiff {
	t.Helper()
	d, err := s.UpdateDiff(t.Context(), prev, cur)
	must(t, fmt.Sprintf("UpdateDiff(%q, %q)", prev, cur), err)
	if d == nil {
		t.Fatalf("UpdateDiff(%q, %q): got nil diff", prev, cur)
	}
	return d
}

// checkDiff compares d's Added and Removed with want, by content.
func checkDiff(t *testing.T, when string, d *loupe.UpdateDiff, added, removed []*loupe.Vulnerability) {
	t.Helper()
	if diff := diffVulns(added, ptrs(d.Added)); diff != "" {
		t.Errorf("UpdateDiff %s: Added: %s", when, diff)
	}
	if diff := diffVulns(removed, ptrs(d.Removed)); diff != "" {
		t.Errorf("UpdateDiff %s: Removed: %s", when, diff)
	}
}

func testLandsOperation(t *testing.T, s MatcherStoreUnderTest) {
	before := time.Now()
	op := land(t, s, debianUpdater, `"etag-1"`, window(debianUpdater, 0, 5))
	after := time.Now()

	if u, err := uuid.Parse(op.Ref); err != nil || u.String() != op.Ref || u == uuid.Nil {
		t.Errorf("operation ref: got %q, want a canonical lowercase UUID", op.Ref)
	}
	if op.Updater != debianUpdater {
		t.Errorf("operation updater: got %q, want %q", op.Updater, debianUpdater)
	}
	if op.Fingerprint != `"etag-1"` {
		t.Errorf("operation fingerprint: got %q, want %q", op.Fingerprint, `"etag-1"`)
	}
	if op.Kind != loupe.VulnerabilityUpdate {
		t.Errorf("operation kind: got %q, want %q", op.Kind, loupe.VulnerabilityUpdate)
	}
	if slack := 5 * time.Minute; op.Date.Before(before.Add(-slack)) || op.Date.After(after.Add(slack)) {
		t.Errorf("operation date: got %v, want about %v", op.Date, before)
	}
	if diff := cmp.Diff(map[string][]loupe.UpdateOperation{debianUpdater: {*op}}, operations(t, s)); diff != "" {
		t.Errorf("UpdateOperations after one landing, want exactly the returned operation (-want +got):\n%s", diff)
	}
	fp, err := s.Fingerprint(t.Context(), debianUpdater)
	must(t, "Fingerprint", err)
	if fp != `"etag-1"` {
		t.Errorf("Fingerprint: got %q, want %q", fp, `"etag-1"`)
	}
	checkLive(t, s, "after one landing", window(debianUpdater, 0, 5))
}

func testUnchangedReturnsNil(t *testing.T, s MatcherStoreUnderTest) {
	first := land(t, s, debianUpdater, "fp-1", window(debianUpdater, 0, 5))
	before := live(t, s)

	// The same content: fresh values, another order, one listed twice.
	again := window(debianUpdater, 0, 5)
	slices.Reverse(again)
	again = append(again, vuln(debianUpdater, 2))
	op, err := s.UpdateVulnerabilities(t.Context(), debianUpdater, "fp-2", again)
	must(t, "UpdateVulnerabilities with unchanged data", err)
	if op != nil {
		t.Errorf("UpdateVulnerabilities with unchanged data: got operation %+v, want nil", *op)
	}
	fp, err := s.Fingerprint(t.Context(), debianUpdater)
	must(t, "Fingerprint", err)
	if fp != "fp-2" {
		t.Errorf("Fingerprint after an unchanged update: got %q, want the new %q", fp, "fp-2")
	}
	if got, want := refs(operations(t, s)[debianUpdater]), newestFirst(first); !slices.Equal(got, want) {
		t.Errorf("operations after an unchanged update: got %q, want %q", got, want)
	}
	after := checkLive(t, s, "after an unchanged update", window(debianUpdater, 0, 5))
	checkIDs(t, "after an unchanged update", idsByContent(before), after)
}

func testVulnerabilitiesRoundTrip(t *testing.T, s MatcherStoreUnderTest) {
	deb := concat(window(debianUpdater, 0, 8), richVulns(debianUpdater))
	ubu := window(ubuntuUpdater, 0, 4)
	land(t, s, debianUpdater, "fp", deb)
	land(t, s, ubuntuUpdater, "fp", ubu)
	checkLive(t, s, "of two updaters", concat(deb, ubu))
}

func testStableIDs(t *testing.T, s MatcherStoreUnderTest) {
	land(t, s, debianUpdater, "1", window(debianUpdater, 0, 5))
	ids := idsByContent(live(t, s))
	// Each run drops one vulnerability and adds another.
	for run := 1; run <= 3; run++ {
		land(t, s, debianUpdater, fmt.Sprint(run+1), window(debianUpdater, run, 5))
		learnIDs(t, fmt.Sprintf("after run %d", run+1), ids, live(t, s))
	}
}

func testChangeOneOfN(t *testing.T, s MatcherStoreUnderTest) {
	const n = 6
	old := window(debianUpdater, 0, n)
	op1 := land(t, s, debianUpdater, "1", old)
	before := live(t, s)

	cur := window(debianUpdater, 0, n)
	cur[2] = fixed(cur[2], "3.0.13-1~deb12u2")
	op2 := land(t, s, debianUpdater, "2", cur)
	after := checkLive(t, s, "after changing one of six", cur)
	checkIDs(t, "after changing one of six", idsByContent(before), after)

	d := diff(t, s, op1.Ref, op2.Ref)
	checkDiff(t, "between the runs", d, cur[2:3], old[2:3])
	if diff := cmp.Diff(*op1, d.Prev); diff != "" {
		t.Errorf("UpdateDiff Prev (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(*op2, d.Cur); diff != "" {
		t.Errorf("UpdateDiff Cur (-want +got):\n%s", diff)
	}
	// The diff names vulnerabilities by the IDs Vulnerabilities used.
	checkIDs(t, "UpdateDiff Removed", idsByContent(before), ptrs(d.Removed))
	checkIDs(t, "UpdateDiff Added", idsByContent(after), ptrs(d.Added))
}

func testEmptyFeedClearsUpdater(t *testing.T, s MatcherStoreUnderTest) {
	land(t, s, debianUpdater, "1", window(debianUpdater, 0, 3))
	land(t, s, ubuntuUpdater, "1", window(ubuntuUpdater, 0, 3))
	op := land(t, s, debianUpdater, "2", nil)
	checkLive(t, s, "after an empty Debian feed", window(ubuntuUpdater, 0, 3))
	if ops := operations(t, s)[debianUpdater]; len(ops) == 0 || ops[0].Ref != op.Ref {
		t.Errorf("newest Debian operation: got %q, want %q", refs(ops), op.Ref)
	}
}

func testRejectsForeignUpdater(t *testing.T, s MatcherStoreUnderTest) {
	land(t, s, debianUpdater, "fp-1", window(debianUpdater, 0, 3))
	version, err := s.DataVersion(t.Context())
	must(t, "DataVersion", err)

	mixed := concat(window(debianUpdater, 0, 3), window(ubuntuUpdater, 0, 1))
	op, err := s.UpdateVulnerabilities(t.Context(), debianUpdater, "fp-2", mixed)
	if err == nil {
		t.Errorf("UpdateVulnerabilities(%s) with a vulnerability of %s: got no error (operation %v), want one", debianUpdater, ubuntuUpdater, op)
	}
	fp, err := s.Fingerprint(t.Context(), debianUpdater)
	must(t, "Fingerprint", err)
	if fp != "fp-1" {
		t.Errorf("Fingerprint after a rejected update: got %q, want %q", fp, "fp-1")
	}
	if n := len(operations(t, s)[debianUpdater]); n != 1 {
		t.Errorf("operations after a rejected update: got %d, want 1", n)
	}
	checkLive(t, s, "after a rejected update", window(debianUpdater, 0, 3))
	if v, err := s.DataVersion(t.Context()); err != nil || v != version {
		t.Errorf("DataVersion after a rejected update: got %q (%v), want %q", v, err, version)
	}

	// Into an empty updater too.
	if _, err := s.UpdateVulnerabilities(t.Context(), ubuntuUpdater, "fp", window(debianUpdater, 5, 1)); err == nil {
		t.Errorf("UpdateVulnerabilities(%s) with only a vulnerability of %s: got no error, want one", ubuntuUpdater, debianUpdater)
	}
	if ops := operations(t, s)[ubuntuUpdater]; len(ops) != 0 {
		t.Errorf("operations of %s after a rejected update: got %d, want none", ubuntuUpdater, len(ops))
	}
}

func testDiffEmptyPrev(t *testing.T, s MatcherStoreUnderTest) {
	land(t, s, debianUpdater, "1", window(debianUpdater, 0, 4))
	op := land(t, s, debianUpdater, "2", window(debianUpdater, 1, 4))
	land(t, s, ubuntuUpdater, "1", window(ubuntuUpdater, 0, 4))
	d := diff(t, s, "", op.Ref)
	checkDiff(t, `("", second Debian operation)`, d, window(debianUpdater, 1, 4), nil)
	if diff := cmp.Diff(*op, d.Cur); diff != "" {
		t.Errorf("UpdateDiff Cur (-want +got):\n%s", diff)
	}
	if d.Prev.Ref != "" {
		t.Errorf("UpdateDiff with empty prev: got Prev.Ref %q, want \"\"", d.Prev.Ref)
	}
	checkIDs(t, "UpdateDiff Added", idsByContent(live(t, s)), ptrs(d.Added))
}

func testDiffHistory(t *testing.T, s MatcherStoreUnderTest) {
	v := func(n int) *loupe.Vulnerability { return vuln(debianUpdater, n) }
	v3fixed := fixed(v(3), "7.88.1-10+deb12u6")
	snaps := [][]*loupe.Vulnerability{
		{v(0), v(1), v(2), v(3)},
		{v(0), v(1), v(2), v3fixed},       // one changed
		{v(1), v(2), v3fixed, v(4), v(5)}, // one removed, two added
		{v(0), v(1), v(2), v(3)},          // back to the first
	}
	ops := make([]*loupe.UpdateOperation, len(snaps))
	ids := map[string]string{} // every ID Vulnerabilities used
	for i, snap := range snaps {
		ops[i] = land(t, s, debianUpdater, fmt.Sprint(i), snap)
		// Another updater's operations in between change nothing here.
		land(t, s, ubuntuUpdater, fmt.Sprint(i), window(ubuntuUpdater, i, 2))
		learnIDs(t, fmt.Sprintf("after op%d", i), ids, live(t, s))
	}
	for i := range snaps {
		for j := range snaps {
			name := fmt.Sprintf("op%d to op%d", i, j)
			t.Run(name, func(t *testing.T) {
				d := diff(t, s, ops[i].Ref, ops[j].Ref)
				checkDiff(t, name, d, minus(snaps[j], snaps[i]), minus(snaps[i], snaps[j]))
				checkIDs(t, name+" Added", ids, ptrs(d.Added))
				checkIDs(t, name+" Removed", ids, ptrs(d.Removed))
			})
		}
	}
}

func testDiffDifferentUpdaters(t *testing.T, s MatcherStoreUnderTest) {
	deb := land(t, s, debianUpdater, "1", window(debianUpdater, 0, 2))
	ubu := land(t, s, ubuntuUpdater, "1", window(ubuntuUpdater, 0, 2))
	for _, tc := range [][2]string{{deb.Ref, ubu.Ref}, {ubu.Ref, deb.Ref}} {
		if d, err := s.UpdateDiff(t.Context(), tc[0], tc[1]); err == nil {
			t.Errorf("UpdateDiff across updaters (%s, %s): got %d added, %d removed and no error, want an error", tc[0], tc[1], len(d.Added), len(d.Removed))
		}
	}
}

func testDiffUnknownRef(t *testing.T, s MatcherStoreUnderTest) {
	op := land(t, s, debianUpdater, "1", window(debianUpdater, 0, 2))
	unknown := uuid.NewString()
	for _, tc := range [][2]string{{"", unknown}, {unknown, op.Ref}, {op.Ref, unknown}} {
		if _, err := s.UpdateDiff(t.Context(), tc[0], tc[1]); err == nil {
			t.Errorf("UpdateDiff(%q, %q) with an unknown ref: got no error, want one", tc[0], tc[1])
		}
	}
}

func testOperationsEmpty(t *testing.T, s MatcherStoreUnderTest) {
	must(t, "RecordAttempt", s.RecordAttempt(t.Context(), debianUpdater, nil))
	for _, latest := range []bool{false, true} {
		ops, err := s.UpdateOperations(t.Context(), loupe.VulnerabilityUpdate, latest)
		must(t, "UpdateOperations", err)
		if len(ops) != 0 {
			t.Errorf("UpdateOperations(latest=%v) on an empty store: got %v, want none", latest, ops)
		}
	}
}

func testOperationsNewestFirst(t *testing.T, s MatcherStoreUnderTest) {
	var deb, ubu []*loupe.UpdateOperation
	for i := range 3 {
		deb = append(deb, land(t, s, debianUpdater, fmt.Sprint(i), window(debianUpdater, i, 3)))
		if i < 2 {
			ubu = append(ubu, land(t, s, ubuntuUpdater, fmt.Sprint(i), window(ubuntuUpdater, i, 3)))
		}
	}
	deref := func(ops ...*loupe.UpdateOperation) []loupe.UpdateOperation {
		out := make([]loupe.UpdateOperation, len(ops))
		for i, op := range ops {
			out[len(ops)-1-i] = *op
		}
		return out
	}
	for _, tc := range []struct {
		kind   string
		latest bool
		want   map[string][]loupe.UpdateOperation
	}{
		{loupe.VulnerabilityUpdate, false, map[string][]loupe.UpdateOperation{debianUpdater: deref(deb...), ubuntuUpdater: deref(ubu...)}},
		{loupe.VulnerabilityUpdate, true, map[string][]loupe.UpdateOperation{debianUpdater: deref(deb[2]), ubuntuUpdater: deref(ubu[1])}},
		{loupe.EnrichmentUpdate, false, nil},
		{loupe.EnrichmentUpdate, true, nil},
	} {
		t.Run(fmt.Sprintf("%s/latest=%v", tc.kind, tc.latest), func(t *testing.T) {
			got, err := s.UpdateOperations(t.Context(), tc.kind, tc.latest)
			must(t, "UpdateOperations", err)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("UpdateOperations(%q, latest=%v) (-want +got):\n%s", tc.kind, tc.latest, diff)
			}
		})
	}
}

func testLatestRef(t *testing.T, s MatcherStoreUnderTest) {
	latest := func(kind string) string {
		t.Helper()
		ref, err := s.LatestRef(t.Context(), kind)
		must(t, "LatestRef", err)
		return ref
	}
	if ref := latest(loupe.VulnerabilityUpdate); ref != "" {
		t.Errorf("LatestRef on an empty store: got %q, want \"\"", ref)
	}
	deb := land(t, s, debianUpdater, "1", window(debianUpdater, 0, 2))
	if ref := latest(loupe.VulnerabilityUpdate); ref != deb.Ref {
		t.Errorf("LatestRef after a Debian landing: got %q, want %q", ref, deb.Ref)
	}
	ubu := land(t, s, ubuntuUpdater, "1", window(ubuntuUpdater, 0, 2))
	if ref := latest(loupe.VulnerabilityUpdate); ref != ubu.Ref {
		t.Errorf("LatestRef after an Ubuntu landing: got %q, want %q", ref, ubu.Ref)
	}
	deb2 := land(t, s, debianUpdater, "2", window(debianUpdater, 1, 2))
	if ref := latest(loupe.VulnerabilityUpdate); ref != deb2.Ref {
		t.Errorf("LatestRef after a second Debian landing: got %q, want %q", ref, deb2.Ref)
	}
	if ref := latest(loupe.EnrichmentUpdate); ref != "" {
		t.Errorf("LatestRef(%q): got %q, want \"\"", loupe.EnrichmentUpdate, ref)
	}
	if _, err := s.DeleteUpdateOperations(t.Context(), deb2.Ref); err != nil {
		t.Fatalf("DeleteUpdateOperations: %v", err)
	}
	if ref := latest(loupe.VulnerabilityUpdate); ref != ubu.Ref {
		t.Errorf("LatestRef after deleting the newest operation: got %q, want %q", ref, ubu.Ref)
	}
}

func testDataVersion(t *testing.T, s MatcherStoreUnderTest) {
	var prev string
	step := func(i int, what string) {
		t.Helper()
		v, err := s.DataVersion(t.Context())
		must(t, "DataVersion", err)
		again, err := s.DataVersion(t.Context())
		must(t, "DataVersion", err)
		if v != again {
			t.Errorf("DataVersion %s: consecutive calls returned %q then %q, want the same", what, v, again)
		}
		if i > 0 && v == prev {
			t.Errorf("DataVersion %s: got %q, unchanged; want a new version", what, v)
		}
		prev = v
	}
	step(0, "on an empty store")
	deb := land(t, s, debianUpdater, "1", window(debianUpdater, 0, 3))
	step(1, "after a landing")
	land(t, s, ubuntuUpdater, "1", window(ubuntuUpdater, 0, 3))
	step(2, "after another updater's landing")
	deb2 := land(t, s, debianUpdater, "2", window(debianUpdater, 1, 3))
	step(3, "after a second landing")
	_, err := s.DeleteUpdateOperations(t.Context(), deb2.Ref)
	must(t, "DeleteUpdateOperations", err)
	step(4, "after deleting the newest operation")
	land(t, s, debianUpdater, "3", window(debianUpdater, 2, 3))
	step(5, "after a landing that follows a deletion")
	_, err = s.DeleteUpdateOperations(t.Context(), deb.Ref)
	must(t, "DeleteUpdateOperations", err)
	// deb is not Debian's newest operation: the live set stays, and so
	// may the version. Deleting everything changes it.
	ops := operations(t, s)
	var all []string
	for _, u := range []string{debianUpdater, ubuntuUpdater} {
		all = append(all, refs(ops[u])...)
	}
	_, err = s.DeleteUpdateOperations(t.Context(), all...)
	must(t, "DeleteUpdateOperations", err)
	step(6, "after deleting every operation")
}

func testInitialized(t *testing.T, s MatcherStoreUnderTest) {
	initialized := func() bool {
		t.Helper()
		ok, err := s.Initialized(t.Context())
		must(t, "Initialized", err)
		return ok
	}
	if initialized() {
		t.Errorf("Initialized on an empty store: got true, want false")
	}
	must(t, "RecordAttempt", s.RecordAttempt(t.Context(), debianUpdater, errors.New("fetching: 503 Service Unavailable")))
	must(t, "RecordAttempt", s.RecordAttempt(t.Context(), ubuntuUpdater, nil))
	if initialized() {
		t.Errorf("Initialized after failed attempts only: got true, want false")
	}
	land(t, s, debianUpdater, "1", window(debianUpdater, 0, 1))
	if !initialized() {
		t.Errorf("Initialized after a landing: got false, want true")
	}
}

func testDeleteNewest(t *testing.T, s MatcherStoreUnderTest) {
	op1 := land(t, s, debianUpdater, "1", window(debianUpdater, 0, 4))
	ids := idsByContent(live(t, s))
	op2 := land(t, s, debianUpdater, "2", window(debianUpdater, 2, 4))
	version2, err := s.DataVersion(t.Context())
	must(t, "DataVersion", err)

	n, err := s.DeleteUpdateOperations(t.Context(), op2.Ref)
	must(t, "DeleteUpdateOperations", err)
	if n != 1 {
		t.Errorf("DeleteUpdateOperations(newest): got %d deleted, want 1", n)
	}
	got := checkLive(t, s, "after deleting the newest operation", window(debianUpdater, 0, 4))
	checkIDs(t, "after deleting the newest operation", ids, got)
	if got, want := refs(operations(t, s)[debianUpdater]), newestFirst(op1); !slices.Equal(got, want) {
		t.Errorf("operations after deleting the newest: got %q, want %q", got, want)
	}
	if v, err := s.DataVersion(t.Context()); err != nil || v == version2 {
		t.Errorf("DataVersion after deleting the newest operation: got %q (%v), want a change from %q", v, err, version2)
	}
	// The reverted set is the live one: landing op2's data again changes
	// it and lands an operation.
	op3 := land(t, s, debianUpdater, "3", window(debianUpdater, 2, 4))
	d := diff(t, s, op1.Ref, op3.Ref)
	checkDiff(t, "(first, relanded)", d, window(debianUpdater, 4, 2), window(debianUpdater, 0, 2))
}

func testDeleteUnknown(t *testing.T, s MatcherStoreUnderTest) {
	op := land(t, s, debianUpdater, "1", window(debianUpdater, 0, 3))
	before := live(t, s)
	version, err := s.DataVersion(t.Context())
	must(t, "DataVersion", err)

	n, err := s.DeleteUpdateOperations(t.Context(), uuid.NewString())
	if err != nil || n != 0 {
		t.Errorf("DeleteUpdateOperations(unknown): got (%d, %v), want (0, nil)", n, err)
	}
	n, err = s.DeleteUpdateOperations(t.Context())
	if err != nil || n != 0 {
		t.Errorf("DeleteUpdateOperations(): got (%d, %v), want (0, nil)", n, err)
	}
	after := checkLive(t, s, "after deleting an unknown operation", window(debianUpdater, 0, 3))
	checkIDs(t, "after deleting an unknown operation", idsByContent(before), after)
	if got, want := refs(operations(t, s)[debianUpdater]), newestFirst(op); !slices.Equal(got, want) {
		t.Errorf("operations after deleting an unknown ref: got %q, want %q", got, want)
	}
	if v, err := s.DataVersion(t.Context()); err != nil || v != version {
		t.Errorf("DataVersion after deleting an unknown ref: got %q (%v), want unchanged %q", v, err, version)
	}
}

// testDeleteScenarios lands a history of snapshots, deletes some of its
// operations in calls, and checks that the live set is the snapshot of
// the newest remaining operation.
func testDeleteScenarios(t *testing.T, open func(*testing.T) MatcherStoreUnderTest) {
	sliding := [][]*loupe.Vulnerability{ // each run drops one, adds one
		window(debianUpdater, 0, 3),
		window(debianUpdater, 1, 3),
		window(debianUpdater, 2, 3),
		window(debianUpdater, 3, 3),
	}
	v := func(n int) *loupe.Vulnerability { return vuln(debianUpdater, n) }
	readded := [][]*loupe.Vulnerability{ // v(0) leaves and comes back
		{v(0), v(1)},
		{v(1)},
		{v(0), v(1)},
		{v(0), v(1), v(2)},
	}
	const unknown = -1
	for _, tc := range []struct {
		name    string
		history [][]*loupe.Vulnerability
		calls   [][]int // operations to delete, by index; unknown: a ref that never existed
	}{
		{"newest", sliding, [][]int{{3}}},
		{"oldest", sliding, [][]int{{0}}},
		{"middle", sliding, [][]int{{1}}},
		{"two newest, newest first", sliding, [][]int{{3, 2}}},
		{"two newest, older first", sliding, [][]int{{2, 3}}},
		{"second newest, then newest", sliding, [][]int{{2}, {3}}},
		{"middle, then newest", sliding, [][]int{{1}, {3}}},
		{"all, oldest first", sliding, [][]int{{0, 1, 2, 3}}},
		{"all, newest first", sliding, [][]int{{3, 2, 1, 0}}},
		{"newest twice and an unknown ref", sliding, [][]int{{3, unknown, 3}}},
		{"re-added, newest last", readded, [][]int{{3, 2}}},
		{"re-added, out of order", readded, [][]int{{2}, {3}, {1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			ops := make([]*loupe.UpdateOperation, len(tc.history))
			for i, snap := range tc.history {
				ops[i] = land(t, s, debianUpdater, fmt.Sprint(i), snap)
			}
			other := land(t, s, ubuntuUpdater, "1", window(ubuntuUpdater, 0, 2))
			ids := idsByContent(live(t, s))
			for i := range ops {
				checkIDs(t, fmt.Sprintf("snapshot of op%d before deleting", i), ids, ptrs(diff(t, s, "", ops[i].Ref).Added))
			}

			deleted := make([]bool, len(ops))
			for _, call := range tc.calls {
				var rs []string
				want := 0
				for _, i := range call {
					if i == unknown {
						rs = append(rs, uuid.NewString())
						continue
					}
					rs = append(rs, ops[i].Ref)
					if !deleted[i] {
						deleted[i] = true
						want++
					}
				}
				n, err := s.DeleteUpdateOperations(t.Context(), rs...)
				must(t, "DeleteUpdateOperations("+describeCalls([][]int{call})+")", err)
				if n != want {
					t.Errorf("DeleteUpdateOperations(%s): got %d deleted, want %d", describeCalls([][]int{call}), n, want)
				}
			}

			var remaining []*loupe.UpdateOperation
			var wantLive []*loupe.Vulnerability
			newest := -1
			for i, op := range ops {
				if !deleted[i] {
					remaining = append(remaining, op)
					wantLive, newest = tc.history[i], i
				}
			}
			if got, want := refs(operations(t, s)[debianUpdater]), newestFirst(remaining...); !slices.Equal(got, want) {
				t.Errorf("Debian operations: got %q, want %q", got, want)
			}
			what := fmt.Sprintf("after deleting %s: want the snapshot of op%d, the newest remaining", describeCalls(tc.calls), newest)
			if newest < 0 {
				what = fmt.Sprintf("after deleting %s: want no Debian vulnerabilities", describeCalls(tc.calls))
			}
			got := checkLive(t, s, what, concat(wantLive, window(ubuntuUpdater, 0, 2)))
			checkIDs(t, "live set after deleting", ids, got)
			if newest >= 0 {
				// The diffs of remaining operations are as before.
				checkDiff(t, fmt.Sprintf(`("", op%d) after deleting`, newest), diff(t, s, "", ops[newest].Ref), wantLive, nil)
			}
			if got, want := refs(operations(t, s)[ubuntuUpdater]), newestFirst(other); !slices.Equal(got, want) {
				t.Errorf("Ubuntu operations: got %q, want %q", got, want)
			}
		})
	}
}

// describeCalls describes deletions by operation index: "op2+op3" is
// one call, "op2, then op3" two.
func describeCalls(calls [][]int) string {
	var b strings.Builder
	for i, call := range calls {
		if i > 0 {
			b.WriteString(", then ")
		}
		for j, op := range call {
			if j > 0 {
				b.WriteString("+")
			}
			if op < 0 {
				b.WriteString("unknown")
			} else {
				fmt.Fprintf(&b, "op%d", op)
			}
		}
	}
	return b.String()
}

// allDiffs returns the diffs between every ordered pair of ops, and from
// "" to each.
func allDiffs(t *testing.T, s MatcherStoreUnderTest, ops []*loupe.UpdateOperation) map[[2]string]*loupe.UpdateDiff {
	t.Helper()
	out := make(map[[2]string]*loupe.UpdateDiff)
	for _, cur := range ops {
		out[[2]string{"", cur.Ref}] = diff(t, s, "", cur.Ref)
		for _, prev := range ops {
			if prev != cur {
				out[[2]string{prev.Ref, cur.Ref}] = diff(t, s, prev.Ref, cur.Ref)
			}
		}
	}
	return out
}

// sortDiffs makes UpdateDiffs compare by content and ID, in any order.
var sortDiffs = cmpopts.SortSlices(func(a, b loupe.Vulnerability) bool {
	return contentKey(&a) < contentKey(&b)
})

func testGCRetention(t *testing.T, s MatcherStoreUnderTest) {
	var deb, ubu []*loupe.UpdateOperation
	for i := range 5 {
		deb = append(deb, land(t, s, debianUpdater, fmt.Sprint(i), window(debianUpdater, i, 3)))
		if i < 3 {
			ubu = append(ubu, land(t, s, ubuntuUpdater, fmt.Sprint(i), window(ubuntuUpdater, i, 2)))
		}
	}
	before := live(t, s)
	kept := []*loupe.UpdateOperation{deb[3], deb[4], ubu[1], ubu[2]}
	diffs := allDiffs(t, s, kept[:2])
	for k, v := range allDiffs(t, s, kept[2:]) {
		diffs[k] = v
	}

	n, err := s.GC(t.Context(), 2)
	must(t, "GC(2)", err)
	if n != 4 {
		t.Errorf("GC(2) with 5 Debian and 3 Ubuntu operations: got %d deleted, want 4", n)
	}
	ops := operations(t, s)
	if got, want := refs(ops[debianUpdater]), newestFirst(deb[3:]...); !slices.Equal(got, want) {
		t.Errorf("Debian operations after GC(2): got %q, want the newest two %q", got, want)
	}
	if got, want := refs(ops[ubuntuUpdater]), newestFirst(ubu[1:]...); !slices.Equal(got, want) {
		t.Errorf("Ubuntu operations after GC(2): got %q, want the newest two %q", got, want)
	}
	after := checkLive(t, s, "after GC", concat(window(debianUpdater, 4, 3), window(ubuntuUpdater, 2, 2)))
	checkIDs(t, "after GC", idsByContent(before), after)

	for k, want := range diffs {
		got, err := s.UpdateDiff(t.Context(), k[0], k[1])
		if err != nil {
			t.Errorf("UpdateDiff(%q, %q) of retained operations after GC: %v", k[0], k[1], err)
			continue
		}
		if diff := cmp.Diff(want, got, sortDiffs, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("UpdateDiff(%q, %q) of retained operations changed by GC (-before +after):\n%s", k[0], k[1], diff)
		}
	}
	// Nothing only the collected operations had is left: the oldest
	// retained snapshot is exactly what it was.
	checkDiff(t, "(\"\", oldest retained Debian operation) after GC", diff(t, s, "", deb[3].Ref), window(debianUpdater, 3, 3), nil)
	for _, op := range deb[:3] {
		if _, err := s.UpdateDiff(t.Context(), op.Ref, deb[4].Ref); err == nil {
			t.Errorf("UpdateDiff from collected operation %s: got no error, want one", op.Ref)
		}
	}
}

func testGCBacklog(t *testing.T, s MatcherStoreUnderTest) {
	const runs = 60
	var ops []*loupe.UpdateOperation
	for i := range runs {
		ops = append(ops, land(t, s, debianUpdater, fmt.Sprint(i), window(debianUpdater, i, 3)))
	}
	ubu := land(t, s, ubuntuUpdater, "1", window(ubuntuUpdater, 0, 2))
	n, err := s.GC(t.Context(), 2)
	must(t, "GC(2)", err)
	if n != runs-2 {
		t.Errorf("GC(2) with a backlog of %d operations: got %d deleted, want %d", runs, n, runs-2)
	}
	got := operations(t, s)
	if got, want := refs(got[debianUpdater]), newestFirst(ops[runs-2:]...); !slices.Equal(got, want) {
		t.Errorf("operations after one GC(2) of %d: got %q, want exactly the newest two %q", runs, got, want)
	}
	if got, want := refs(got[ubuntuUpdater]), newestFirst(ubu); !slices.Equal(got, want) {
		t.Errorf("Ubuntu operations after GC(2): got %q, want %q", got, want)
	}
	checkLive(t, s, "after GC", concat(window(debianUpdater, runs-1, 3), window(ubuntuUpdater, 0, 2)))
	checkDiff(t, "of the two retained operations", diff(t, s, ops[runs-2].Ref, ops[runs-1].Ref),
		window(debianUpdater, runs+1, 1), window(debianUpdater, runs-2, 1))
	checkDiff(t, "from \"\" to the oldest retained operation", diff(t, s, "", ops[runs-2].Ref), window(debianUpdater, runs-2, 3), nil)

	n, err = s.GC(t.Context(), 2)
	must(t, "GC(2)", err)
	if n != 0 {
		t.Errorf("second GC(2): got %d deleted, want 0", n)
	}
}

func testGCFewerThanRetention(t *testing.T, s MatcherStoreUnderTest) {
	var ops []*loupe.UpdateOperation
	for i := range 3 {
		ops = append(ops, land(t, s, debianUpdater, fmt.Sprint(i), window(debianUpdater, i, 3)))
	}
	for _, retention := range []int{5, 3} {
		n, err := s.GC(t.Context(), retention)
		must(t, "GC", err)
		if n != 0 {
			t.Errorf("GC(%d) with 3 operations: got %d deleted, want 0", retention, n)
		}
		if got, want := refs(operations(t, s)[debianUpdater]), newestFirst(ops...); !slices.Equal(got, want) {
			t.Errorf("operations after GC(%d): got %q, want %q", retention, got, want)
		}
	}
	checkDiff(t, "(\"\", first) after GC", diff(t, s, "", ops[0].Ref), window(debianUpdater, 0, 3), nil)
}

func testRecordAttempt(t *testing.T, s MatcherStoreUnderTest) {
	fingerprint := func(u string) string {
		t.Helper()
		fp, err := s.Fingerprint(t.Context(), u)
		must(t, "Fingerprint", err)
		return fp
	}
	if fp := fingerprint(debianUpdater); fp != "" {
		t.Errorf("Fingerprint of an updater that never ran: got %q, want \"\"", fp)
	}
	must(t, "RecordAttempt(failure) of a new updater", s.RecordAttempt(t.Context(), ubuntuUpdater, errors.New("fetching: dial tcp: i/o timeout")))
	if fp := fingerprint(ubuntuUpdater); fp != "" {
		t.Errorf("Fingerprint of an updater that only failed: got %q, want \"\"", fp)
	}

	op := land(t, s, debianUpdater, `{"etag":"abc"}`, window(debianUpdater, 0, 3))
	version, err := s.DataVersion(t.Context())
	must(t, "DataVersion", err)
	for _, failure := range []error{errors.New("parsing: unexpected EOF"), nil, errors.New("fetching: 503")} {
		must(t, fmt.Sprintf("RecordAttempt(%v)", failure), s.RecordAttempt(t.Context(), debianUpdater, failure))
		if fp := fingerprint(debianUpdater); fp != `{"etag":"abc"}` {
			t.Errorf("Fingerprint after RecordAttempt(%v): got %q, want %q", failure, fp, `{"etag":"abc"}`)
		}
	}
	if got, want := refs(operations(t, s)[debianUpdater]), newestFirst(op); !slices.Equal(got, want) {
		t.Errorf("operations after RecordAttempt: got %q, want %q", got, want)
	}
	checkLive(t, s, "after RecordAttempt", window(debianUpdater, 0, 3))
	if v, err := s.DataVersion(t.Context()); err != nil || v != version {
		t.Errorf("DataVersion after RecordAttempt: got %q (%v), want unchanged %q", v, err, version)
	}
}

func testIndependentUpdaters(t *testing.T, s MatcherStoreUnderTest) {
	// Ubuntu's feed has a vulnerability identical to one of Debian's but
	// for its updater: the two must not be confused.
	twin := vuln(debianUpdater, 0)
	twin.Updater = ubuntuUpdater
	ubuFeed := concat(window(ubuntuUpdater, 0, 3), []*loupe.Vulnerability{twin})

	land(t, s, debianUpdater, "1", window(debianUpdater, 0, 3))
	ubu := land(t, s, ubuntuUpdater, "1", ubuFeed)
	ubuLive := ofUpdater(live(t, s), ubuntuUpdater)
	ubuDiff := diff(t, s, "", ubu.Ref)
	check := func(when string) {
		t.Helper()
		got := ofUpdater(live(t, s), ubuntuUpdater)
		if diff := diffVulns(ubuLive, got); diff != "" {
			t.Errorf("Ubuntu's vulnerabilities %s: %s", when, diff)
		}
		checkIDs(t, "Ubuntu's vulnerabilities "+when, idsByContent(ubuLive), got)
		if got, want := refs(operations(t, s)[ubuntuUpdater]), newestFirst(ubu); !slices.Equal(got, want) {
			t.Errorf("Ubuntu's operations %s: got %q, want %q", when, got, want)
		}
		if diff := cmp.Diff(ubuDiff, diff(t, s, "", ubu.Ref), sortDiffs, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Ubuntu's snapshot %s (-before +after):\n%s", when, diff)
		}
		fp, err := s.Fingerprint(t.Context(), ubuntuUpdater)
		if err != nil || fp != "1" {
			t.Errorf("Ubuntu's fingerprint %s: got %q (%v), want %q", when, fp, err, "1")
		}
	}

	deb2 := land(t, s, debianUpdater, "2", window(debianUpdater, 1, 3)) // drops Debian's twin
	check("after a Debian update that drops the twin")
	land(t, s, debianUpdater, "3", nil)
	check("after an empty Debian update")
	deb4 := land(t, s, debianUpdater, "4", window(debianUpdater, 5, 3))
	_, err := s.DeleteUpdateOperations(t.Context(), deb4.Ref)
	must(t, "DeleteUpdateOperations", err)
	check("after deleting Debian's newest operation")
	_, err = s.GC(t.Context(), 1)
	must(t, "GC(1)", err)
	check("after GC(1)")
	must(t, "RecordAttempt", s.RecordAttempt(t.Context(), debianUpdater, errors.New("boom")))
	check("after a failed Debian attempt")
	_, err = s.DeleteUpdateOperations(t.Context(), append(refs(operations(t, s)[debianUpdater]), deb2.Ref)...)
	must(t, "DeleteUpdateOperations", err)
	check("after deleting every Debian operation")
	checkLive(t, s, "after deleting every Debian operation", ubuFeed)
}

func testMatcherConcurrent(t *testing.T, s MatcherStoreUnderTest) {
	const (
		updaters = 6
		runs     = 4
	)
	name := func(i int) string { return fmt.Sprintf("concurrent/updater/%d", i) }
	var wg sync.WaitGroup
	for i := range updaters {
		wg.Go(func() {
			for r := range runs {
				op, err := s.UpdateVulnerabilities(t.Context(), name(i), fmt.Sprint("run ", r), window(name(i), r, 4))
				if err != nil || op == nil {
					t.Errorf("%s: UpdateVulnerabilities run %d: got (%v, %v), want an operation", name(i), r, op, err)
				}
				if _, err := s.Vulnerabilities(t.Context()); err != nil {
					t.Errorf("%s: Vulnerabilities: %v", name(i), err)
				}
				if _, err := s.DataVersion(t.Context()); err != nil {
					t.Errorf("%s: DataVersion: %v", name(i), err)
				}
				if _, err := s.UpdateOperations(t.Context(), loupe.VulnerabilityUpdate, true); err != nil {
					t.Errorf("%s: UpdateOperations: %v", name(i), err)
				}
			}
			if err := s.RecordAttempt(t.Context(), name(i), nil); err != nil {
				t.Errorf("%s: RecordAttempt: %v", name(i), err)
			}
		})
	}
	wg.Go(func() {
		if _, err := s.GC(t.Context(), 2); err != nil {
			t.Errorf("GC during updates: %v", err)
		}
	})
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	var want []*loupe.Vulnerability
	ops := operations(t, s)
	for i := range updaters {
		want = append(want, window(name(i), runs-1, 4)...)
		if n := len(ops[name(i)]); n < 2 || n > runs {
			t.Errorf("%s: got %d operations, want between 2 and %d", name(i), n, runs)
		}
		if fp, err := s.Fingerprint(t.Context(), name(i)); err != nil || fp != fmt.Sprint("run ", runs-1) {
			t.Errorf("%s: Fingerprint: got %q (%v), want %q", name(i), fp, err, fmt.Sprint("run ", runs-1))
		}
	}
	checkLive(t, s, "after concurrent updates", want)
}
