package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// Scanner IDs as the indexer forms them. The dpkg variants differ from
// dpkg in one field each and must never be confused with it.
var (
	dpkg        = indexer.ScannerID{Name: "dpkg", Version: "4", Kind: "package"}
	dpkgOld     = indexer.ScannerID{Name: "dpkg", Version: "3", Kind: "package"}
	dpkgRepo    = indexer.ScannerID{Name: "dpkg", Version: "4", Kind: "repository"}
	osRelease   = indexer.ScannerID{Name: "os-release", Version: "2", Kind: "distribution"}
	whiteout    = indexer.ScannerID{Name: "whiteout", Version: "1", Kind: "file"}
	allScanners = []indexer.ScannerID{dpkg, dpkgOld, dpkgRepo, osRelease, whiteout}
)

// findings returns a distinct payload for (layer, scanner, version). It
// starts with the zstd magic and holds NUL and 0xff bytes, as the
// indexer's compressed findings do.
func findings(layer string, id indexer.ScannerID, version int) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xff}
	return fmt.Appendf(b, "%s|%s/%s/%s|%d", layer, id.Name, id.Version, id.Kind, version)
}

// manifestOf returns a manifest named name whose layers are the digests
// of the layer names, base first.
func manifestOf(name string, layers ...string) *loupe.Manifest {
	m := &loupe.Manifest{Hash: digestOf("manifest " + name)}
	for _, l := range layers {
		d := digestOf(l)
		m.Layers = append(m.Layers, &loupe.Layer{
			Hash: d,
			URI:  "https://registry.example.com/v2/library/debian/blobs/" + d.String(),
		})
	}
	return m
}

// findingsMap is the result type of Findings.
type findingsMap = map[loupe.Digest]map[indexer.ScannerID][]byte

// IndexerStore runs the indexer-store suite; open returns a fresh, empty
// store for each subtest.
func IndexerStore(t *testing.T, open func(t *testing.T) IndexerStoreUnderTest) {
	t.Run("Findings", func(t *testing.T) {
		t.Run("RoundTrip", func(t *testing.T) { testFindingsRoundTrip(t, open(t)) })
		t.Run("Overwrite", func(t *testing.T) { testFindingsOverwrite(t, open(t)) })
		t.Run("EmptyStore", func(t *testing.T) { testFindingsEmptyStore(t, open(t)) })
	})
	t.Run("Report", func(t *testing.T) {
		t.Run("Missing", func(t *testing.T) { testReportMissing(t, open(t)) })
		t.Run("RoundTrip", func(t *testing.T) { testReportRoundTrip(t, open(t)) })
		t.Run("PutTwice", func(t *testing.T) { testReportPutTwice(t, open(t)) })
	})
	t.Run("DeleteManifests", func(t *testing.T) {
		t.Run("ReturnsExisting", func(t *testing.T) { testDeleteReturnsExisting(t, open(t)) })
		t.Run("SharedLayers", func(t *testing.T) { testDeleteSharedLayers(t, open(t)) })
		t.Run("SharedLayersOneCall", func(t *testing.T) { testDeleteSharedLayersOneCall(t, open(t)) })
	})
	t.Run("Concurrent", func(t *testing.T) { testIndexerConcurrent(t, open(t)) })
	t.Run("ManifestKeys", func(t *testing.T) { testManifestKeys(t, open(t)) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, open(t)) })
	t.Run("LockExclusion", func(t *testing.T) { testLockExclusion(t, open(t)) })
}

// putLayerFindings stores findings version v of every listed scanner for
// each named layer.
func putLayerFindings(t *testing.T, s IndexerStoreUnderTest, v int, ids []indexer.ScannerID, layers ...string) {
	t.Helper()
	for _, l := range layers {
		f := make(map[indexer.ScannerID][]byte, len(ids))
		for _, id := range ids {
			f[id] = findings(l, id, v)
		}
		must(t, "PutFindings("+l+")", s.PutFindings(t.Context(), digestOf(l), f))
	}
}

// layersWithFindings returns which of the named layers have any findings
// of any of allScanners.
func layersWithFindings(t *testing.T, s IndexerStoreUnderTest, layers ...string) []string {
	t.Helper()
	return layersWithFindingsOf(t, s, allScanners, layers...)
}

// layersWithFindingsOf returns which of the named layers have any
// findings of any of scanners.
func layersWithFindingsOf(t *testing.T, s IndexerStoreUnderTest, scanners []indexer.ScannerID, layers ...string) []string {
	t.Helper()
	ds := make([]loupe.Digest, len(layers))
	for i, l := range layers {
		ds[i] = digestOf(l)
	}
	got, err := s.Findings(t.Context(), ds, scanners)
	must(t, "Findings", err)
	var have []string
	for _, l := range layers {
		if len(got[digestOf(l)]) > 0 {
			have = append(have, l)
		}
	}
	return have
}

func testFindingsRoundTrip(t *testing.T, s IndexerStoreUnderTest) {
	// base: every scanner; app: dpkg and whiteout; config: os-release
	// only; unknown: nothing stored.
	putLayerFindings(t, s, 1, allScanners, "base")
	putLayerFindings(t, s, 1, []indexer.ScannerID{dpkg, whiteout}, "app")
	putLayerFindings(t, s, 1, []indexer.ScannerID{osRelease}, "config")

	want := func(entries ...any) findingsMap {
		// entries: layer name, then its scanner IDs, repeated.
		out := findingsMap{}
		var layer string
		for _, e := range entries {
			switch e := e.(type) {
			case string:
				layer = e
				out[digestOf(layer)] = map[indexer.ScannerID][]byte{}
			case indexer.ScannerID:
				out[digestOf(layer)][e] = findings(layer, e, 1)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		layers   []string
		scanners []indexer.ScannerID
		want     findingsMap
	}{
		{
			name:     "all layers, all scanners",
			layers:   []string{"base", "app", "config"},
			scanners: allScanners,
			want: want("base", dpkg, dpkgOld, dpkgRepo, osRelease, whiteout,
				"app", dpkg, whiteout, "config", osRelease),
		},
		{
			name:     "only requested scanners",
			layers:   []string{"base", "app", "config"},
			scanners: []indexer.ScannerID{dpkg, whiteout},
			want:     want("base", dpkg, whiteout, "app", dpkg, whiteout),
		},
		{
			name:     "scanner IDs differing in version or kind are distinct",
			layers:   []string{"base", "app"},
			scanners: []indexer.ScannerID{dpkgOld, dpkgRepo},
			want:     want("base", dpkgOld, dpkgRepo),
		},
		{
			name:     "scanner nobody stored",
			layers:   []string{"base", "app", "config"},
			scanners: []indexer.ScannerID{{Name: "rpm", Version: "1", Kind: "package"}},
			want:     findingsMap{},
		},
		{
			name:     "unknown layer absent",
			layers:   []string{"unknown", "config"},
			scanners: allScanners,
			want:     want("config", osRelease),
		},
		{
			name:     "only unknown layers",
			layers:   []string{"unknown", "other unknown"},
			scanners: allScanners,
			want:     findingsMap{},
		},
		{
			name:     "layer asked for twice",
			layers:   []string{"app", "app"},
			scanners: allScanners,
			want:     want("app", dpkg, whiteout),
		},
		{
			name:     "no layers",
			scanners: allScanners,
			want:     findingsMap{},
		},
		{
			name:   "no scanners",
			layers: []string{"base", "app"},
			want:   findingsMap{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ds []loupe.Digest
			for _, l := range tc.layers {
				ds = append(ds, digestOf(l))
			}
			got, err := s.Findings(t.Context(), ds, tc.scanners)
			must(t, "Findings", err)
			if got == nil {
				t.Errorf("Findings returned a nil map, want an empty one")
			}
			for d, m := range got {
				if len(m) == 0 {
					t.Errorf("Findings: layer %s present with no findings; want it absent", d)
				}
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Findings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func testFindingsOverwrite(t *testing.T, s IndexerStoreUnderTest) {
	putLayerFindings(t, s, 1, []indexer.ScannerID{dpkg, osRelease, whiteout}, "base")
	// A rescan stores dpkg and whiteout again; os-release is not named and
	// must be kept.
	putLayerFindings(t, s, 2, []indexer.ScannerID{dpkg, whiteout}, "base")
	got, err := s.Findings(t.Context(), []loupe.Digest{digestOf("base")}, allScanners)
	must(t, "Findings", err)
	want := findingsMap{digestOf("base"): {
		dpkg:      findings("base", dpkg, 2),
		whiteout:  findings("base", whiteout, 2),
		osRelease: findings("base", osRelease, 1),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Findings after overwriting dpkg and whiteout (-want +got):\n%s", diff)
	}
}

func testFindingsEmptyStore(t *testing.T, s IndexerStoreUnderTest) {
	got, err := s.Findings(t.Context(), []loupe.Digest{digestOf("base")}, allScanners)
	must(t, "Findings", err)
	if len(got) != 0 {
		t.Errorf("Findings on an empty store: got %v, want no layers", got)
	}
}

func testReportMissing(t *testing.T, s IndexerStoreUnderTest) {
	b, state, ok, err := s.Report(t.Context(), digestOf("manifest nothing"))
	if err != nil {
		t.Fatalf("Report of an unknown manifest: got error %v, want nil", err)
	}
	if ok || len(b) != 0 || state != "" {
		t.Errorf("Report of an unknown manifest: got (%q, %q, %v), want (nil, \"\", false)", b, state, ok)
	}
}

// indexerState is a stand-in for the indexer's state hash.
func indexerState(n int) string { return fmt.Sprintf("%032x", uint64(n)*0x9e3779b97f4a7c15) }

func testReportRoundTrip(t *testing.T, s IndexerStoreUnderTest) {
	big := bytes.Repeat([]byte(`{"id":"1","name":"libc6","version":"2.36-9+deb12u4"}`), 1<<14) // ~800 KiB
	for _, tc := range []struct {
		name     string
		m        *loupe.Manifest
		state    string
		finished bool
		report   []byte
	}{
		{"finished", manifestOf("a", "base", "app"), indexerState(1), true, []byte(`{"manifest_hash":"a","state":"IndexFinished","success":true}`)},
		{"error", manifestOf("b", "base"), indexerState(2), false, []byte(`{"manifest_hash":"b","state":"IndexError","success":false,"err":"layer: 502 Bad Gateway"}`)},
		{"binary", manifestOf("c", "base"), indexerState(1), true, findings("report", dpkg, 7)},
		{"large", manifestOf("d", "base", "app", "config"), indexerState(1), true, big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			must(t, "PutReport", s.PutReport(t.Context(), tc.m, tc.state, tc.finished, tc.report, nil))
			b, state, ok, err := s.Report(t.Context(), tc.m.Hash)
			must(t, "Report", err)
			if !ok {
				t.Fatalf("Report after PutReport: got ok=false, want true")
			}
			if state != tc.state {
				t.Errorf("Report state: got %q, want %q", state, tc.state)
			}
			if !bytes.Equal(b, tc.report) {
				t.Errorf("Report bytes: got %d bytes %.60q…, want %d bytes %.60q…", len(b), b, len(tc.report), tc.report)
			}
		})
	}
}

func testReportPutTwice(t *testing.T, s IndexerStoreUnderTest) {
	ctx := t.Context()
	// m is first built on [old, kept], then re-indexed as [kept, new].
	first := manifestOf("m", "old", "kept")
	second := manifestOf("m", "kept", "new")
	must(t, "PutReport", s.PutReport(ctx, first, indexerState(1), false, []byte("first"), nil))
	must(t, "PutReport", s.PutReport(ctx, second, indexerState(2), true, []byte("second"), nil))

	b, state, ok, err := s.Report(ctx, second.Hash)
	must(t, "Report", err)
	if !ok || string(b) != "second" || state != indexerState(2) {
		t.Errorf("Report after the second PutReport: got (%q, %q, %v), want (%q, %q, true)", b, state, ok, "second", indexerState(2))
	}

	// Other manifests use "old" and "new"; deleting them shows whether m
	// still lists "old" (it must not) and lists "new" (it must).
	putLayerFindings(t, s, 1, []indexer.ScannerID{dpkg}, "old", "kept", "new")
	must(t, "PutReport", s.PutReport(ctx, manifestOf("uses old", "old"), indexerState(1), true, []byte("x"), nil))
	must(t, "PutReport", s.PutReport(ctx, manifestOf("uses new", "new"), indexerState(1), true, []byte("y"), nil))
	_, err = s.DeleteManifests(ctx, []loupe.Digest{manifestOf("uses old").Hash, manifestOf("uses new").Hash})
	must(t, "DeleteManifests", err)
	got := layersWithFindings(t, s, "old", "kept", "new")
	if want := []string{"kept", "new"}; !slices.Equal(got, want) {
		t.Errorf("after replacing m's layers [old kept] with [kept new] and deleting the other users of old and new: layers with findings: got %q, want %q", got, want)
	}
}

func digests(ms ...*loupe.Manifest) []loupe.Digest {
	out := make([]loupe.Digest, len(ms))
	for i, m := range ms {
		out[i] = m.Hash
	}
	return out
}

// sameDigests compares lists of digests as sets.
var sameDigests = cmp.Options{
	cmpopts.EquateComparable(loupe.Digest{}),
	cmpopts.SortSlices(func(a, b loupe.Digest) bool { return a.String() < b.String() }),
	cmpopts.EquateEmpty(),
}

func testDeleteReturnsExisting(t *testing.T, s IndexerStoreUnderTest) {
	ctx := t.Context()
	a, b, c := manifestOf("a", "base"), manifestOf("b", "base", "app"), manifestOf("c", "base")
	for _, m := range []*loupe.Manifest{a, b, c} {
		must(t, "PutReport", s.PutReport(ctx, m, indexerState(1), true, []byte("report"), nil))
	}
	unknown := manifestOf("unknown", "base")

	got, err := s.DeleteManifests(ctx, digests(a, unknown, b))
	must(t, "DeleteManifests", err)
	if diff := cmp.Diff(digests(a, b), got, sameDigests); diff != "" {
		t.Errorf("DeleteManifests(a, unknown, b) returned (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		m    *loupe.Manifest
		want bool
	}{{"a", a, false}, {"b", b, false}, {"c", c, true}} {
		if _, _, ok, err := s.Report(ctx, tc.m.Hash); err != nil || ok != tc.want {
			t.Errorf("Report(%s) after deleting a and b: got ok=%v (err %v), want ok=%v", tc.name, ok, err, tc.want)
		}
	}

	got, err = s.DeleteManifests(ctx, digests(a, b))
	must(t, "DeleteManifests", err)
	if len(got) != 0 {
		t.Errorf("deleting a and b again: got %v, want none", got)
	}
	got, err = s.DeleteManifests(ctx, nil)
	must(t, "DeleteManifests(nil)", err)
	if len(got) != 0 {
		t.Errorf("DeleteManifests(nil): got %v, want none", got)
	}
}

func testDeleteSharedLayers(t *testing.T, s IndexerStoreUnderTest) {
	ctx := t.Context()
	// a lists a-only twice, as an image may.
	a := manifestOf("a", "base", "a-only", "a-only")
	b := manifestOf("b", "base", "b-only")
	putLayerFindings(t, s, 1, []indexer.ScannerID{dpkg, whiteout}, "base", "a-only", "b-only")
	must(t, "PutReport", s.PutReport(ctx, a, indexerState(1), true, []byte("a"), nil))
	must(t, "PutReport", s.PutReport(ctx, b, indexerState(1), true, []byte("b"), nil))

	got, err := s.DeleteManifests(ctx, digests(a))
	must(t, "DeleteManifests", err)
	if diff := cmp.Diff(digests(a), got, sameDigests); diff != "" {
		t.Errorf("DeleteManifests(a) returned (-want +got):\n%s", diff)
	}
	have := layersWithFindings(t, s, "base", "a-only", "b-only")
	if want := []string{"base", "b-only"}; !slices.Equal(have, want) {
		t.Errorf("after deleting a: layers with findings: got %q, want %q (base is still used by b)", have, want)
	}
	if _, _, ok, _ := s.Report(ctx, b.Hash); !ok {
		t.Errorf("Report(b) after deleting a: got ok=false, want true")
	}

	_, err = s.DeleteManifests(ctx, digests(b))
	must(t, "DeleteManifests", err)
	have = layersWithFindings(t, s, "base", "a-only", "b-only")
	if len(have) != 0 {
		t.Errorf("after deleting a and b: layers with findings: got %q, want none", have)
	}
}

func testDeleteSharedLayersOneCall(t *testing.T, s IndexerStoreUnderTest) {
	ctx := t.Context()
	a := manifestOf("a", "base", "a-only")
	b := manifestOf("b", "base", "b-only")
	c := manifestOf("c", "base", "c-only")
	putLayerFindings(t, s, 1, []indexer.ScannerID{dpkg}, "base", "a-only", "b-only", "c-only")
	for _, m := range []*loupe.Manifest{a, b, c} {
		must(t, "PutReport", s.PutReport(ctx, m, indexerState(1), true, []byte("r"), nil))
	}
	got, err := s.DeleteManifests(ctx, digests(b, a))
	must(t, "DeleteManifests", err)
	if diff := cmp.Diff(digests(a, b), got, sameDigests); diff != "" {
		t.Errorf("DeleteManifests(b, a) returned (-want +got):\n%s", diff)
	}
	have := layersWithFindings(t, s, "base", "a-only", "b-only", "c-only")
	if want := []string{"base", "c-only"}; !slices.Equal(have, want) {
		t.Errorf("after deleting a and b in one call: layers with findings: got %q, want %q", have, want)
	}
	_, err = s.DeleteManifests(ctx, digests(c, a))
	must(t, "DeleteManifests", err)
	if have := layersWithFindings(t, s, "base", "c-only"); len(have) != 0 {
		t.Errorf("after deleting every manifest: layers with findings: got %q, want none", have)
	}
}

func testIndexerConcurrent(t *testing.T, s IndexerStoreUnderTest) {
	const workers = 8
	ctx := t.Context()
	layer := func(i int) string { return fmt.Sprintf("layer-%d", i) }
	scanner := func(i int) indexer.ScannerID {
		return indexer.ScannerID{Name: fmt.Sprintf("scanner-%d", i), Version: "1", Kind: "package"}
	}
	// Every worker stores its own layer's findings, its own scanner's
	// findings of a shared layer, its own manifest [shared, own layer], and
	// competes with the others for manifest "contested", reading as it
	// goes.
	contested := func(i int) *loupe.Manifest { return manifestOf("contested", "shared", layer(i)) }
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for round := range 3 {
				if err := s.PutFindings(ctx, digestOf(layer(i)), map[indexer.ScannerID][]byte{dpkg: findings(layer(i), dpkg, round), whiteout: findings(layer(i), whiteout, round)}); err != nil {
					t.Errorf("worker %d: PutFindings(own layer): %v", i, err)
				}
				if err := s.PutFindings(ctx, digestOf("shared"), map[indexer.ScannerID][]byte{scanner(i): findings("shared", scanner(i), round)}); err != nil {
					t.Errorf("worker %d: PutFindings(shared): %v", i, err)
				}
				if err := s.PutReport(ctx, manifestOf(layer(i), "shared", layer(i)), indexerState(1), true, fmt.Appendf(nil, "report %d", i), nil); err != nil {
					t.Errorf("worker %d: PutReport(own): %v", i, err)
				}
				if err := s.PutReport(ctx, contested(i), indexerState(i), true, fmt.Appendf(nil, "contested %d", i), nil); err != nil {
					t.Errorf("worker %d: PutReport(contested): %v", i, err)
				}
				if _, err := s.Findings(ctx, []loupe.Digest{digestOf("shared"), digestOf(layer(i))}, []indexer.ScannerID{dpkg, scanner(i)}); err != nil {
					t.Errorf("worker %d: Findings: %v", i, err)
				}
				if _, _, _, err := s.Report(ctx, digestOf("manifest contested")); err != nil {
					t.Errorf("worker %d: Report: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	var (
		ds     = []loupe.Digest{digestOf("shared")}
		all    = []indexer.ScannerID{dpkg, whiteout}
		want   = findingsMap{digestOf("shared"): {}}
		layers []string
		own    []loupe.Digest
	)
	for i := range workers {
		ds = append(ds, digestOf(layer(i)))
		all = append(all, scanner(i))
		want[digestOf("shared")][scanner(i)] = findings("shared", scanner(i), 2)
		want[digestOf(layer(i))] = map[indexer.ScannerID][]byte{dpkg: findings(layer(i), dpkg, 2), whiteout: findings(layer(i), whiteout, 2)}
		layers = append(layers, layer(i))
		own = append(own, manifestOf(layer(i)).Hash)

		b, _, ok, err := s.Report(ctx, manifestOf(layer(i)).Hash)
		must(t, "Report", err)
		if want := fmt.Sprintf("report %d", i); !ok || string(b) != want {
			t.Errorf("Report(manifest of worker %d): got (%q, %v), want (%q, true)", i, b, ok, want)
		}
	}
	got, err := s.Findings(ctx, ds, all)
	must(t, "Findings", err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Findings after concurrent writes (-want +got):\n%s", diff)
	}

	// The contested manifest's report and state come from one worker k,
	// and so must its layers: after deleting every worker's own manifest,
	// only layer k (and shared) may keep findings.
	b, state, ok, err := s.Report(ctx, digestOf("manifest contested"))
	must(t, "Report(contested)", err)
	var k int
	if _, err := fmt.Sscanf(string(b), "contested %d", &k); !ok || err != nil {
		t.Fatalf("Report(contested): got (%q, %v), want a worker's report", b, ok)
	}
	if state != indexerState(k) {
		t.Errorf("Report(contested): report of worker %d with state %q, want the same worker's state %q", k, state, indexerState(k))
	}
	_, err = s.DeleteManifests(ctx, own)
	must(t, "DeleteManifests", err)
	have := layersWithFindingsOf(t, s, all, append([]string{"shared"}, layers...)...)
	if want := []string{"shared", layer(k)}; !slices.Equal(have, want) {
		t.Errorf("contested manifest holds worker %d's report; after deleting the workers' own manifests, layers with findings: got %s, want %s (its layers must be worker %d's)",
			k, strings.Join(have, " "), strings.Join(want, " "), k)
	}
}

// testManifestKeys checks the record keys stored with reports: Manifests
// finds the finished manifests with any of the keys, a new report
// replaces a manifest's keys, and deleting a manifest forgets them.
func testManifestKeys(t *testing.T, s IndexerStoreUnderTest) {
	ctx := t.Context()
	high := uint64(1) << 63 // keys use all 64 bits
	many := make([]uint64, 1200)
	for i := range many {
		many[i] = uint64(i)*7919 + 1000
	}
	a, b, c := manifestOf("a", "l1"), manifestOf("b", "l2"), manifestOf("c", "l3")
	must(t, "PutReport", s.PutReport(ctx, a, indexerState(1), true, []byte("a"), []uint64{1, 2, high | 3, 2}))
	must(t, "PutReport", s.PutReport(ctx, b, indexerState(1), true, []byte("b"), append([]uint64{2}, many...)))
	must(t, "PutReport", s.PutReport(ctx, c, indexerState(1), false, []byte("c"), []uint64{1, 2})) // not finished
	find := func(keys ...uint64) []string {
		t.Helper()
		got, err := s.Manifests(ctx, keys)
		must(t, "Manifests", err)
		var out []string
		for _, d := range got {
			switch d {
			case a.Hash:
				out = append(out, "a")
			case b.Hash:
				out = append(out, "b")
			case c.Hash:
				out = append(out, "c")
			default:
				out = append(out, d.String())
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		keys []uint64
		want []string
	}{
		{[]uint64{1}, []string{"a"}},
		{[]uint64{2}, []string{"a", "b"}},
		{[]uint64{high | 3}, []string{"a"}},
		{[]uint64{3}, nil},
		{[]uint64{many[1100]}, []string{"b"}},
		{append(slices.Clone(many), 1), []string{"a", "b"}},
		{nil, nil},
	} {
		if diff := cmp.Diff(tc.want, find(tc.keys...)); diff != "" {
			t.Errorf("Manifests(%d keys) (-want +got):\n%s", len(tc.keys), diff)
		}
	}
	// A new report replaces the keys.
	must(t, "PutReport", s.PutReport(ctx, a, indexerState(2), true, []byte("a2"), []uint64{9}))
	if diff := cmp.Diff([]string{"b"}, find(1, 2)); diff != "" {
		t.Errorf("after a's new report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a"}, find(9)); diff != "" {
		t.Errorf("a's new key (-want +got):\n%s", diff)
	}
	_, err := s.DeleteManifests(ctx, []loupe.Digest{a.Hash})
	must(t, "DeleteManifests", err)
	if got := find(9); len(got) != 0 {
		t.Errorf("deleted manifest still found: %v", got)
	}
}
