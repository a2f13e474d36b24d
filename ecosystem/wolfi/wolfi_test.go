package wolfi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/alpine"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/updater"
)

// TestDistributionLayers packs each fixture of testdata/dist into a layer
// with an apk database, indexes it with the Alpine and Wolfi scanners, and
// compares the report's distribution with the expected one.
func TestDistributionLayers(t *testing.T) {
	ix := indextest.NewIndexer(t, alpine.PackageScanner{}, alpine.DistributionScanner{}, DistributionScanner{})
	dirs, _ := filepath.Glob("testdata/dist/*")
	if len(dirs) == 0 {
		t.Fatal("no fixtures")
	}
	installed := layertest.File(alpine.InstalledPath, string(mustRead(t, "testdata/installed")))
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var want loupe.Distribution
			if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "want.json")), &want); err != nil {
				t.Fatal(err)
			}
			entries := append(indextest.DirEntries(t, dir), installed)
			if strings.HasSuffix(dir, "-usrlib") {
				entries = append(entries, layertest.Symlink("etc/os-release", "../usr/lib/os-release"))
			}
			r := indextest.Index(t, ix, indextest.Layer(t, entries...))
			if len(r.Distributions) != 1 || len(r.Packages) == 0 {
				t.Fatalf("report: %d distributions, %d packages", len(r.Distributions), len(r.Packages))
			}
			for _, d := range r.Distributions {
				got := *d
				got.ID = ""
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("distribution (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDistributionScanner(t *testing.T) {
	for name, tc := range map[string]struct {
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		"wolfi":        {fstest.MapFS{"etc/os-release": {Data: []byte("ID=wolfi\n")}}, WolfiDistribution()},
		"chainguard":   {fstest.MapFS{"usr/lib/os-release": {Data: []byte("ID=\"chainguard\"\n")}}, ChainguardDistribution()},
		"alpine":       {fstest.MapFS{"etc/os-release": {Data: []byte("ID=alpine\nVERSION_ID=3.18.4\n")}}, nil},
		"etc wins":     {fstest.MapFS{"etc/os-release": {Data: []byte("ID=alpine\n")}, "usr/lib/os-release": {Data: []byte("ID=wolfi\n")}}, nil},
		"no ID":        {fstest.MapFS{"etc/os-release": {Data: []byte("NAME=Wolfi\n")}}, nil},
		"nothing":      {fstest.MapFS{}, nil},
		"like wolfi":   {fstest.MapFS{"etc/os-release": {Data: []byte("ID=other\nID_LIKE=wolfi\n")}}, nil},
		"garbage file": {fstest.MapFS{"etc/os-release": {Data: []byte("\x00\xff=\n")}}, nil},
	} {
		f, err := DistributionScanner{}.Scan(context.Background(), tc.fs)
		if err != nil {
			t.Fatal(err)
		}
		var want []*loupe.Distribution
		if tc.want != nil {
			want = []*loupe.Distribution{tc.want}
		}
		if diff := cmp.Diff(want, f.Distributions); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestUpdaterSets(t *testing.T) {
	for _, tc := range []struct {
		set       updater.Set
		name, url string
	}{
		{WolfiSet(), "wolfi-updater", DefaultWolfiURL},
		{ChainguardSet(), "chainguard-updater", DefaultChainguardURL},
	} {
		if len(tc.set.Updaters) != 1 || tc.set.Updaters[0].Name() != tc.name || tc.set.Updaters[0].(*Updater).URL() != tc.url {
			t.Errorf("set %s: %+v", tc.set.Name, tc.set.Updaters)
		}
	}
	if WolfiSet().Name != "wolfi" || ChainguardSet().Name != "chainguard" {
		t.Error("set names")
	}

	// Configuration: by set name, or by updater name.
	cfg := map[string]json.RawMessage{
		"wolfi":              json.RawMessage(`{"url": "https://mirror.example/wolfi.json"}`),
		"chainguard-updater": json.RawMessage(`{"url": "file:///srv/chainguard.json"}`),
	}
	w, c := WolfiSet().Updaters[0].(*Updater), ChainguardSet().Updaters[0].(*Updater)
	if err := w.Configure(updater.ConfigDecoder(cfg, "wolfi", w.Name())); err != nil || w.URL() != "https://mirror.example/wolfi.json" {
		t.Errorf("wolfi: %q, %v", w.URL(), err)
	}
	if err := c.Configure(updater.ConfigDecoder(cfg, "chainguard", c.Name())); err != nil || c.URL() != "file:///srv/chainguard.json" {
		t.Errorf("chainguard: %q, %v", c.URL(), err)
	}
	if err := c.Configure(updater.ConfigDecoder(nil, "chainguard", c.Name())); err != nil || c.URL() != DefaultChainguardURL {
		t.Errorf("chainguard default: %q, %v", c.URL(), err)
	}
	for _, bad := range []string{`{"url": "ftp://x/"}`, `{"url": ":"}`, `{"url": []}`} {
		if err := w.Configure(func(v any) error { return json.Unmarshal([]byte(bad), v) }); err == nil {
			t.Errorf("Configure(%s) succeeded", bad)
		}
	}
	if _, err := (&Updater{}).Parse(context.Background(), strings.NewReader("{}")); err == nil {
		t.Error("zero Updater parsed")
	}
	if _, _, err := (&Updater{}).Fetch(context.Background(), nil, ""); err == nil {
		t.Error("zero Updater fetched")
	}
}

func TestFetchParse(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.FileServer(http.Dir("testdata")))
	defer srv.Close()
	u := WolfiSet().Updaters[0].(*Updater)
	if err := u.Configure(func(v any) error { return json.Unmarshal([]byte(`{"url": "`+srv.URL+`/wolfi-security.json"}`), v) }); err != nil {
		t.Fatal(err)
	}
	body, fp, err := u.Fetch(ctx, srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	vulns, err := u.Parse(ctx, body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vulns {
		got = append(got, v.Package.Name+" "+v.Name+" "+v.FixedInVersion)
		if v.Updater != "wolfi-updater" || v.Links != "https://images.chainguard.dev/security/"+v.Name || v.Package.Kind != loupe.SourcePackage {
			t.Errorf("%+v", v)
		}
		b, _ := json.Marshal(v.Dist)
		if want := `{"id":"","did":"wolfi","name":"wolfi","version":"","version_code_name":"","version_id":"","arch":"","cpe":"","pretty_name":"Wolfi"}`; string(b) != want {
			t.Errorf("distribution\n got %s\nwant %s", b, want)
		}
	}
	want := []string{
		// "0" entries (false positives) are left out.
		"glibc CVE-2023-6246 2.38-r6", "glibc CVE-2023-6779 2.38-r6",
		"openssl CVE-2023-5363 3.1.4-r0", "openssl CVE-2023-6129 3.2.0-r1",
		"git CVE-2023-22490 2.39.2-r0", "git CVE-2023-23946 2.39.2-r0",
		"busybox CVE-2023-42364 1.36.1-r5",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	if _, _, err := u.Fetch(ctx, srv.Client(), fp); !errors.Is(err, updater.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

// feed parses a fixture with the updater of set.
func feed(t *testing.T, set updater.Set, file string) []*loupe.Vulnerability {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vulns, err := set.Updaters[0].Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return vulns
}

func matches(vr *loupe.VulnerabilityReport) map[string][]string {
	out := map[string][]string{}
	for pid, ids := range vr.PackageVulnerabilities {
		name := vr.Packages[pid].Name
		for _, id := range ids {
			v := vr.Vulnerabilities[id]
			out[name] = append(out[name], v.Name+" "+v.FixedInVersion)
		}
		slices.Sort(out[name])
	}
	return out
}

// TestMatchImages indexes a Wolfi image and a Chainguard image with the
// same packages, and runs the real matcher with both feeds, and Alpine
// data on the same packages, in one index.
func TestMatchImages(t *testing.T) {
	ctx := context.Background()
	ix := indextest.NewIndexer(t, alpine.PackageScanner{}, alpine.DistributionScanner{}, DistributionScanner{})
	installed := layertest.File(alpine.InstalledPath, string(mustRead(t, "testdata/installed")))
	wolfiImage := indextest.Index(t, ix, indextest.Layer(t, append(indextest.DirEntries(t, "testdata/dist/wolfi"), installed)...))
	// A Chainguard image on merged /usr: the database under usr/lib.
	cgImage := indextest.Index(t, ix,
		indextest.Layer(t, append(indextest.DirEntries(t, "testdata/dist/chainguard"), layertest.Symlink("lib", "usr/lib"))...),
		indextest.Layer(t, layertest.File("usr/lib/apk/db/installed", string(mustRead(t, "testdata/installed")))),
	)

	vulns := append(feed(t, WolfiSet(), "testdata/wolfi-security.json"), feed(t, ChainguardSet(), "testdata/chainguard-security.json")...)
	vulns = append(vulns, &loupe.Vulnerability{Updater: "alpine-main-v3.18-updater", Name: "CVE-2099-0001",
		Package: &loupe.Package{Name: "glibc", Kind: loupe.SourcePackage}, Dist: alpine.FeedDistribution("3.18"), FixedInVersion: "9.9-r0"})
	for i, v := range vulns {
		v.ID = strconv.Itoa(i + 1)
	}
	idx := matcher.NewIndex(ctx, []matcher.Rules{alpine.Matcher{}, WolfiMatcher(), ChainguardMatcher()}, vulns, "test")
	if idx.Invalid != 0 || idx.Unclaimed != 0 || idx.Count != len(vulns) {
		t.Errorf("index: %d indexed, %d invalid, %d unclaimed", idx.Count, idx.Invalid, idx.Unclaimed)
	}

	want := map[string][]string{
		// Every binary of the glibc origin.
		"glibc":              {"CVE-2023-6246 2.38-r6", "CVE-2023-6779 2.38-r6"},
		"glibc-locale-posix": {"CVE-2023-6246 2.38-r6", "CVE-2023-6779 2.38-r6"},
		"ld-linux":           {"CVE-2023-6246 2.38-r6", "CVE-2023-6779 2.38-r6"},
		"libcrypto3":         {"CVE-2023-6129 3.2.0-r1"},
		"libssl3":            {"CVE-2023-6129 3.2.0-r1"},
		"git":                {"CVE-2023-22490 2.39.2-r0", "CVE-2023-23946 2.39.2-r0"},
		"busybox":            {"CVE-2023-42364 1.36.1-r5"},
		// coreutils' CVE-2016-2781 is a false positive ("0").
	}
	if diff := cmp.Diff(want, matches(idx.Match(ctx, wolfiImage))); diff != "" {
		t.Errorf("Wolfi (-want +got):\n%s", diff)
	}
	want = map[string][]string{
		"libcrypto3": {"CVE-2023-6129 3.2.0-r2", "CVE-2023-6237 3.2.0-r2"},
		"libssl3":    {"CVE-2023-6129 3.2.0-r2", "CVE-2023-6237 3.2.0-r2"},
		// Chainguard marks CVE-2023-22490 not affecting its git.
		"git": {"CVE-2023-23946 2.39.2-r0"},
	}
	vr := idx.Match(ctx, cgImage)
	if diff := cmp.Diff(want, matches(vr)); diff != "" {
		t.Errorf("Chainguard (-want +got):\n%s", diff)
	}
	for _, envs := range vr.Environments {
		if envs[0].PackageDB != "usr/lib/apk/db/installed" {
			t.Errorf("environment %+v", envs[0])
		}
	}
}

func TestMatcherRules(t *testing.T) {
	w, c := WolfiMatcher(), ChainguardMatcher()
	if w.Name() != "wolfi-matcher" || c.Name() != "chainguard-matcher" {
		t.Errorf("names %q %q", w.Name(), c.Name())
	}
	rec := &loupe.IndexRecord{
		Package:      &loupe.Package{Name: "libssl3", Version: "3.2.0-r0", Source: &loupe.Package{Name: "openssl"}},
		Distribution: WolfiDistribution(),
	}
	if k := w.RecordKeys(nil, rec); len(k) != 2 || k[1] != (matcher.Key{Namespace: "wolfi", Name: "openssl", Source: true}) {
		t.Errorf("wolfi keys %+v", k)
	}
	if k := c.RecordKeys(nil, rec); len(k) != 0 {
		t.Errorf("chainguard claims a Wolfi record: %+v", k)
	}
	if k := (Matcher{}).RecordKeys(nil, rec); len(k) != 0 {
		t.Errorf("the zero Matcher claims a record: %+v", k)
	}
	v := &loupe.Vulnerability{Package: &loupe.Package{Name: "openssl", Kind: loupe.SourcePackage}, Dist: ChainguardDistribution()}
	if _, ok := w.VulnerabilityKey(v); ok {
		t.Error("wolfi claims a Chainguard vulnerability")
	}
	if k, ok := c.VulnerabilityKey(v); !ok || k != (matcher.Key{Namespace: "chainguard", Name: "openssl", Source: true}) {
		t.Errorf("chainguard key %+v %v", k, ok)
	}
	// Unfixed entries affect every version; "0" nothing.
	if con, err := w.Prepare(&loupe.Vulnerability{}); err != nil || !con.Affects(rec, true) {
		t.Errorf("unfixed: %v", err)
	}
	if _, err := w.Prepare(&loupe.Vulnerability{FixedInVersion: "0"}); err == nil {
		t.Error("fixed in 0 prepared")
	}
}

// TestRealFeeds parses the real Wolfi and Chainguard samples in
// ../shared/data, when they are there, and matches a Wolfi image built
// from their package names against them.
func TestRealFeeds(t *testing.T) {
	base := filepath.Join(realDataDir, "vunnel-fixtures/tests/unit/providers")
	for _, tc := range []struct {
		set  updater.Set
		file string
		dist string
	}{
		{WolfiSet(), "wolfi/test-fixtures/input/secdb/security.json", "wolfi"},
		{ChainguardSet(), "chainguard/test-fixtures/input/secdb/security.json", "chainguard"},
	} {
		t.Run(tc.dist, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(base, tc.file))
			if err != nil {
				t.Skipf("real sample not available: %v", err)
			}
			vulns, err := tc.set.Updaters[0].Parse(context.Background(), strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			if len(vulns) == 0 {
				t.Fatal("no vulnerabilities")
			}
			for i, v := range vulns {
				v.ID = strconv.Itoa(i + 1)
			}
			m, dist := WolfiMatcher(), WolfiDistribution()
			if tc.dist == "chainguard" {
				m, dist = ChainguardMatcher(), ChainguardDistribution()
			}
			idx := matcher.NewIndex(context.Background(), []matcher.Rules{m}, vulns, "real")
			if idx.Count != len(vulns) {
				t.Errorf("%d of %d vulnerabilities indexed (%d invalid)", idx.Count, len(vulns), idx.Invalid)
			}
			// An image with every package at version 0.0.1-r0 is
			// affected by every advisory; at 9999-r0, by none.
			for ver, all := range map[string]bool{"0.0.1-r0": true, "9999-r0": false} {
				ir := &loupe.IndexReport{Packages: map[string]*loupe.Package{}, Environments: map[string][]*loupe.Environment{},
					Distributions: map[string]*loupe.Distribution{"d": dist}}
				for i, v := range vulns {
					id := strconv.Itoa(i)
					ir.Packages[id] = &loupe.Package{ID: id, Name: v.Package.Name + "-bin", Version: ver, Source: &loupe.Package{Name: v.Package.Name, Version: ver}}
					ir.Environments[id] = []*loupe.Environment{{DistributionID: "d"}}
				}
				vr := idx.Match(context.Background(), ir)
				if n := len(vr.Vulnerabilities); (all && n != len(vulns)) || (!all && n != 0) {
					t.Errorf("version %s: %d of %d vulnerabilities matched", ver, n, len(vulns))
				}
			}
		})
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

// realDataDir is the shared real data, ../shared/data from the project
// root; tests that read it skip when it is absent.
const realDataDir = "../../../shared/data"
