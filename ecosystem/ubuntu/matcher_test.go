package ubuntu_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/ecosystem/ubuntu"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/store/sqlite"
)

// fixtureVulns parses the project's OSV fixtures, packed as OSV.dev packs
// them, and numbers the vulnerabilities as a store would.
func fixtureVulns(t *testing.T) []*loupe.Vulnerability {
	t.Helper()
	paths, err := filepath.Glob("testdata/osv/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(p))
		w.Write(b)
	}
	zw.Close()
	vulns, err := (&ubuntu.Updater{}).Parse(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vulns {
		v.ID = strconv.Itoa(i + 1)
	}
	return vulns
}

// indexImage indexes an image made of layers with the real indexer (dpkg,
// Debian and Ubuntu scanners, an SQLite store, layers read from files).
func indexImage(t *testing.T, layers ...[]layertest.Entry) *loupe.IndexReport {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.OpenIndexer(ctx, filepath.Join(t.TempDir(), "indexer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ix, err := indexer.New(indexer.Options{
		Scanners: []indexer.Scanner{debian.PackageScanner{}, debian.DistributionScanner{}, ubuntu.DistributionScanner{}},
		Store:    store,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &loupe.Manifest{}
	var all []byte
	for i, entries := range layers {
		blob := layertest.Gzip(layertest.Tar(entries...))
		p := filepath.Join(t.TempDir(), "layer"+strconv.Itoa(i)+".tar.gz")
		if err := os.WriteFile(p, blob, 0o644); err != nil {
			t.Fatal(err)
		}
		m.Layers = append(m.Layers, &loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest(blob)), URI: "file://" + p})
		all = append(all, blob...)
	}
	m.Hash = loupe.MustParseDigest(layertest.Digest(all))
	r, err := ix.Index(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Success || r.State != loupe.StateIndexFinished {
		t.Fatalf("index report: state %s, err %q", r.State, r.Err)
	}
	return r
}

// affected renders a vulnerability report as package name → CVE names,
// in the report's order.
func affected(vr *loupe.VulnerabilityReport) map[string][]string {
	out := map[string][]string{}
	for pid, ids := range vr.PackageVulnerabilities {
		name := vr.Packages[pid].Name
		for _, id := range ids {
			out[name] = append(out[name], vr.Vulnerabilities[id].Name)
		}
	}
	return out
}

func deb(name, ver, source string) layertest.Deb {
	return layertest.Deb{Name: name, Version: ver, Source: source}
}

// TestMatchUbuntuImages indexes Ubuntu images built from layers and
// matches them with the real matcher against the fixture feed.
func TestMatchUbuntuImages(t *testing.T) {
	vulns := fixtureVulns(t)
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{debian.Matcher{}, ubuntu.Matcher{}}, vulns, "fixtures")
	if ix.Count != len(vulns) || ix.Unclaimed != 0 || ix.Invalid != 0 {
		t.Fatalf("index: %d indexed, %d unclaimed, %d invalid of %d", ix.Count, ix.Unclaimed, ix.Invalid, len(vulns))
	}

	for _, tc := range []struct {
		name   string
		layers [][]layertest.Entry
		want   map[string][]string
	}{
		{
			name: "jammy",
			layers: [][]layertest.Entry{
				append(ubuntuBase("22.04.4", "jammy", "Jammy Jellyfish"),
					layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
						deb("base-files", "12ubuntu4.6", ""),
						// Binaries of openssl: fixed in 3.0.2-0ubuntu1.15.
						deb("libssl3", "3.0.2-0ubuntu1.10", "openssl"),
						deb("openssl", "3.0.2-0ubuntu1.10", ""),
						// glibc: open in jammy.
						deb("libc6", "2.35-0ubuntu3.8", "glibc"),
						// util-linux: the binary's epoch would sort it
						// after the fix; its source version does not.
						deb("bsdutils", "1:2.37.2-4ubuntu3", "util-linux (2.37.2-4ubuntu3)"),
						deb("libmount1", "2.37.2-4ubuntu3.4", "util-linux"),
						// zlib: at the fixed version.
						deb("zlib1g", "1:1.2.11.dfsg-2ubuntu9.2", "zlib"),
						// tar: affected in noble and later releases only.
						deb("tar", "1.34+dfsg-1ubuntu0.1.22.04.1", ""),
					))),
				// A later layer installs gcc, whose source package
				// (gcc-defaults) has its own name and version.
				{layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
					deb("base-files", "12ubuntu4.6", ""),
					deb("libssl3", "3.0.2-0ubuntu1.10", "openssl"),
					deb("openssl", "3.0.2-0ubuntu1.10", ""),
					deb("libc6", "2.35-0ubuntu3.8", "glibc"),
					deb("bsdutils", "1:2.37.2-4ubuntu3", "util-linux (2.37.2-4ubuntu3)"),
					deb("libmount1", "2.37.2-4ubuntu3.4", "util-linux"),
					deb("zlib1g", "1:1.2.11.dfsg-2ubuntu9.2", "zlib"),
					deb("tar", "1.34+dfsg-1ubuntu0.1.22.04.1", ""),
					deb("gcc", "4:11.2.0-1ubuntu1", "gcc-defaults (1.193ubuntu1)"),
					deb("cpp", "4:11.2.0-1ubuntu1", "gcc-defaults (1.193ubuntu1.1)"),
				))},
			},
			want: map[string][]string{
				"libssl3":  {"CVE-2030-1001"},
				"openssl":  {"CVE-2030-1001"},
				"libc6":    {"CVE-2030-1002"},
				"bsdutils": {"CVE-2030-1003"},
				"gcc":      {"CVE-2030-1006"},
			},
		},
		{
			name: "noble",
			layers: [][]layertest.Entry{append(ubuntuBase("24.04.1", "noble", "Noble Numbat"),
				layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
					deb("libssl3t64", "3.0.13-0ubuntu3.2", "openssl"), // fixed
					deb("libc6", "2.39-0ubuntu8.3", "glibc"),
					deb("tar", "1.35+dfsg-3", ""),
					deb("bsdutils", "1:2.39.3-9ubuntu6.1", "util-linux (2.39.3-9ubuntu6.1)"), // not affected in noble
				)))},
			want: map[string][]string{
				"libc6": {"CVE-2030-1002"},
				"tar":   {"CVE-2030-1005"},
			},
		},
		{
			// Focal's glibc entry is in the Pro (ESM) archive.
			name: "focal",
			layers: [][]layertest.Entry{append(ubuntuBase("20.04.6", "focal", "Focal Fossa"),
				layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
					deb("libc6", "2.31-0ubuntu9.16", "glibc"),
					deb("libssl1.1", "1.1.1f-1ubuntu2.22", "openssl"), // focal not affected
					deb("tar", "1.30+dfsg-7ubuntu0.20.04.4", ""),      // last_affected: left out
				)))},
			want: map[string][]string{
				"libc6": {"CVE-2030-1002"},
			},
		},
		{
			// Xenial: open in the standard archive, fixed in ESM; an
			// image with the ESM update is not affected.
			name: "xenial",
			layers: [][]layertest.Entry{{
				layertest.File("etc/lsb-release", lsbRelease("16.04", "xenial", "Ubuntu 16.04.7 LTS")),
				layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
					deb("bsdutils", "1:2.27.1-6ubuntu3.10", "util-linux (2.27.1-6ubuntu3.10)"),
					deb("mount", "2.27.1-6ubuntu3.10+esm1", "util-linux"),
				)),
			}},
			want: map[string][]string{
				"bsdutils": {"CVE-2030-1003"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := indexImage(t, tc.layers...)
			if len(r.Distributions) != 1 || r.Distributions["1"].DID != "ubuntu" || r.Distributions["1"].VersionCodeName != tc.name {
				t.Fatalf("distributions = %+v", r.Distributions)
			}
			vr := ix.Match(context.Background(), r)
			if diff := cmp.Diff(tc.want, affected(vr)); diff != "" {
				t.Errorf("affected packages (-want +got):\n%s", diff)
			}
			for _, v := range vr.Vulnerabilities {
				if v.Updater != ubuntu.UpdaterName || v.Dist.VersionCodeName != tc.name {
					t.Errorf("%s matched from %s %s", v.Name, v.Updater, v.Dist.VersionCodeName)
				}
			}
		})
	}
}

// TestMatcherRules checks the rules one by one: keys, Clair's binary
// vulnerabilities, fixed version "0", releases known only by version.
func TestMatcherRules(t *testing.T) {
	jammy := ubuntu.Distribution("22.04", "jammy")
	versionOnly := &loupe.Distribution{DID: "ubuntu", VersionID: "22.04"}
	clairName := &loupe.Distribution{Name: "Ubuntu", VersionID: "22.04", VersionCodeName: "jammy"}
	vuln := func(id, name string, kind string, fixed string, d *loupe.Distribution) *loupe.Vulnerability {
		return &loupe.Vulnerability{ID: id, Updater: ubuntu.UpdaterName, Name: "CVE-" + id,
			Package: &loupe.Package{Name: name, Kind: kind}, Dist: d, FixedInVersion: fixed}
	}
	vulns := []*loupe.Vulnerability{
		vuln("1", "openssl", loupe.SourcePackage, "3.0.2-0ubuntu1.15", jammy),
		// As Clair's OVAL updater files it: binary name and version.
		vuln("2", "libssl3", loupe.BinaryPackage, "3.0.2-0ubuntu1.12", clairName),
		vuln("3", "openssl", loupe.SourcePackage, "0", jammy),      // not affected
		vuln("4", "openssl", loupe.SourcePackage, "", versionOnly), // open, keyed by the table's codename
		vuln("5", "openssl", loupe.SourcePackage, "not a version!", jammy),
		{ID: "6", Name: "CVE-6", Package: &loupe.Package{Name: "openssl"}, Dist: debian.Distribution("bookworm", 12)},
		{ID: "7", Name: "CVE-7", Package: &loupe.Package{Name: "openssl"}, Dist: &loupe.Distribution{DID: "ubuntu"}}, // no release
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{ubuntu.Matcher{}}, vulns, "test")
	if ix.Count != 3 || ix.Invalid != 2 || ix.Unclaimed != 2 {
		t.Errorf("index: %d indexed, %d invalid, %d unclaimed; want 3, 2, 2", ix.Count, ix.Invalid, ix.Unclaimed)
	}
	d := *jammy
	d.ID = "1"
	bookworm := *debian.Distribution("bookworm", 12)
	bookworm.ID = "2"
	ir := &loupe.IndexReport{
		Packages: map[string]*loupe.Package{
			"1": {ID: "1", Name: "libssl3", Version: "3.0.2-0ubuntu1.10", Source: &loupe.Package{Name: "openssl", Version: "3.0.2-0ubuntu1.10"}},
			"2": {ID: "2", Name: "libssl3", Version: "3.0.2-0ubuntu1.14", Source: &loupe.Package{Name: "openssl", Version: "3.0.2-0ubuntu1.14"}},
			"3": {ID: "3", Name: "libssl3", Version: "3.0.2-0ubuntu1.10", Source: &loupe.Package{Name: "openssl", Version: "3.0.2-0ubuntu1.10"}},
		},
		Distributions: map[string]*loupe.Distribution{"1": &d, "2": &bookworm},
		Environments: map[string][]*loupe.Environment{
			"1": {{DistributionID: "1"}}, "2": {{DistributionID: "1"}}, "3": {{DistributionID: "2"}},
		},
	}
	got := map[string][]string{}
	for pid, ids := range ix.Match(context.Background(), ir).PackageVulnerabilities {
		slices.Sort(ids)
		got[pid] = ids
	}
	want := map[string][]string{
		"1": {"1", "2", "4"},
		"2": {"1", "4"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("package vulnerabilities (-want +got):\n%s", diff)
	}
	var keys []matcher.Key
	rec := &loupe.IndexRecord{Package: ir.Packages["1"], Distribution: &d}
	keys = ubuntu.Matcher{}.RecordKeys(keys, rec)
	wantKeys := []matcher.Key{{Namespace: "ubuntu:jammy", Name: "libssl3"}, {Namespace: "ubuntu:jammy", Name: "openssl", Source: true}}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("record keys (-want +got):\n%s", diff)
	}
}
