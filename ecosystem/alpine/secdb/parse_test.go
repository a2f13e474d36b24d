package secdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/loupe-dev/loupe"
)

// realDataDir is the shared real data; tests that read it skip when it is
// absent.
const realDataDir = "../../../../shared/data"

const testPrefix = "https://security.example/"

type row struct{ Name, Package, Fixed, Links string }

func rows(vulns []*loupe.Vulnerability) []row {
	var out []row
	for _, v := range vulns {
		out = append(out, row{v.Name, v.Package.Name, v.FixedInVersion, v.Links})
	}
	return out
}

func parseFile(t testing.TB, name string) ([]*loupe.Vulnerability, *Header) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vulns, h, err := Parse(context.Background(), f, Options{Updater: "test-updater", LinkPrefix: testPrefix})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vulns {
		if v.Updater != "test-updater" || v.Package.Kind != loupe.SourcePackage || v.NormalizedSeverity != loupe.Unknown || v.Dist != nil || v.Severity != "" {
			t.Errorf("%s: unexpected fields: %+v", v.Name, v)
		}
	}
	return vulns, h
}

func TestParseJSON(t *testing.T) {
	vulns, h := parseFile(t, "../testdata/secdb/v3.18/main.json")
	want := []row{
		// Sorted by fixed version; CVE-2022-3996 is under "0": not
		// affected, left out.
		{"CVE-2023-1255", "openssl", "3.1.0-r4", testPrefix + "CVE-2023-1255"},
		{"CVE-2023-3817", "openssl", "3.1.2-r0", testPrefix + "CVE-2023-3817"},
		{"CVE-2023-5678", "openssl", "3.1.4-r1", testPrefix + "CVE-2023-5678"},
		{"CVE-2022-48174", "busybox", "1.36.1-r1", testPrefix + "CVE-2022-48174"},
		{"CVE-2023-42363", "busybox", "1.36.1-r7", testPrefix + "CVE-2023-42363"},
		{"CVE-2023-42366", "busybox", "1.36.1-r7", testPrefix + "CVE-2023-42366"},
		{"CVE-2018-25032", "zlib", "1.2.12-r0", testPrefix + "CVE-2018-25032"},
		{"CVE-2022-37434", "zlib", "1.2.12-r2", testPrefix + "CVE-2022-37434"},
		{"CVE-2023-38408", "openssh", "9.3_p2-r0", testPrefix + "CVE-2023-38408"},
		// One entry naming three CVEs is three vulnerabilities.
		{"CVE-2023-48795", "openssh", "9.6_p1-r0", testPrefix + "CVE-2023-48795"},
		{"CVE-2023-51384", "openssh", "9.6_p1-r0", testPrefix + "CVE-2023-51384"},
		{"CVE-2023-51385", "openssh", "9.6_p1-r0", testPrefix + "CVE-2023-51385"},
		{"CVE-2020-28928", "musl", "1.2.2_pre2-r0", testPrefix + "CVE-2020-28928"},
		// A CVE with a Xen advisory: one vulnerability, two links.
		{"CVE-2023-20588", "xen", "4.17.2-r0", testPrefix + "CVE-2023-20588 " + testPrefix + "XSA-439"},
		// sqlite's CVE is both fixed and "0": not affected wins. The
		// malformed and nameless packages are skipped.
	}
	if diff := cmp.Diff(want, rows(vulns)); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	wantH := &Header{DistroVersion: "v3.18", RepoName: "main", URLPrefix: "https://dl-cdn.alpinelinux.org/alpine",
		APKURL: "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk", Archs: []string{"aarch64", "x86_64"}}
	if diff := cmp.Diff(wantH, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	// Vulnerabilities of one package share its Package.
	if vulns[0].Package != vulns[1].Package {
		t.Error("openssl vulnerabilities do not share their package")
	}

	// An advisory listed under two fixed versions is reported once, with
	// the later one.
	vulns, _ = parseFile(t, "../testdata/secdb/v3.18/community.json")
	want = []row{
		{"CVE-2023-38545", "curl", "8.5.0-r0", testPrefix + "CVE-2023-38545"},
		{"CVE-2023-46218", "curl", "8.5.0-r0", testPrefix + "CVE-2023-46218"},
		{"ALPINE-99001", "local-tool", "0.1_git20240102-r0", testPrefix + "ALPINE-99001"},
	}
	if diff := cmp.Diff(want, rows(vulns)); diff != "" {
		t.Errorf("community vulnerabilities (-want +got):\n%s", diff)
	}
}

func TestParseYAML(t *testing.T) {
	vulns, h := parseFile(t, "../testdata/secdb/v3.10/main.yaml")
	want := []row{
		{"CVE-2016-3189", "bzip2", "1.0.6-r5", testPrefix + "CVE-2016-3189"},
		{"CVE-2019-12900", "bzip2", "1.0.6-r7", testPrefix + "CVE-2019-12900"},
		// The key 1.10 is a number to YAML; its text is kept.
		{"CVE-2019-6706", "lua5.3", "1.10", testPrefix + "CVE-2019-6706"},
		{"CVE-2019-19244", "sqlite", "3.28.0-r2", testPrefix + "CVE-2019-19244"},
		{"CVE-2019-17340", "xen", "4.12.1-r0", testPrefix + "CVE-2019-17340 " + testPrefix + "XSA-284"},
	}
	if diff := cmp.Diff(want, rows(vulns)); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	if h.DistroVersion != "v3.10" || h.RepoName != "main" || len(h.Archs) != 2 {
		t.Errorf("header = %+v", h)
	}
}

func TestParseShapes(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []row
	}{
		{"empty packages", `{"packages": []}`, nil},
		{"null packages", `{"packages": null, "distroversion": "v3.18"}`, nil},
		{"no packages", `{"distroversion": "v3.18"}`, nil},
		{"header of wrong types", `{"distroversion": 3, "archs": "x86_64", "extra": {"a": [1]}, "packages": [{"pkg": {"name": "a", "secfixes": {"1-r0": ["CVE-1"]}}}]}`,
			[]row{{"CVE-1", "a", "1-r0", testPrefix + "CVE-1"}}},
		{"null secfixes and ids", `{"packages": [{"pkg": {"name": "a", "secfixes": null}}, {"pkg": {"name": "b", "secfixes": {"1-r0": null}}}]}`, nil},
		{"blank entries", `{"packages": [{"pkg": {"name": "a", "secfixes": {"": ["CVE-1"], "1-r0": ["", "  "], " 2-r0 ": [" CVE-2 "]}}}]}`,
			[]row{{"CVE-2", "a", "2-r0", testPrefix + "CVE-2"}}},
		{"no CVE in entry", `{"packages": [{"pkg": {"name": "a", "secfixes": {"1-r0": ["XSA-1 ZBX-2"]}}}]}`,
			[]row{{"XSA-1", "a", "1-r0", testPrefix + "XSA-1 " + testPrefix + "ZBX-2"}}},
		{"malformed versions are kept", `{"packages": [{"pkg": {"name": "a", "secfixes": {"1.0bc": ["CVE-1"], "2-r0": ["CVE-1"]}}}]}`,
			[]row{{"CVE-1", "a", "2-r0", testPrefix + "CVE-1"}}},
		{"first of two unparsable", `{"packages": [{"pkg": {"name": "a", "secfixes": {"x": ["CVE-1"], "y": ["CVE-1"]}}}]}`,
			[]row{{"CVE-1", "a", "x", testPrefix + "CVE-1"}}},
		{"escaped link", `{"packages": [{"pkg": {"name": "a", "secfixes": {"1-r0": ["odd/id?x"]}}}]}`,
			[]row{{"odd/id?x", "a", "1-r0", testPrefix + "odd%2Fid%3Fx"}}},
		{"bom and space", "\xEF\xBB\xBF \n" + `{"packages": [{"pkg": {"name": "a", "secfixes": {"1-r0": ["CVE-1"]}}}]}`,
			[]row{{"CVE-1", "a", "1-r0", testPrefix + "CVE-1"}}},
		{"yaml", "packages:\n- pkg:\n    name: a\n    secfixes:\n      0:\n      1-r0: [CVE-1]\n", []row{{"CVE-1", "a", "1-r0", testPrefix + "CVE-1"}}},
		{"yaml wrong shapes", "packages:\n- pkg: {name: a, secfixes: [x]}\n- pkg: {name: b, secfixes: {[x]: [CVE-1]}}\n- pkg: {name: c, secfixes: {1-r0: {x: y}}}\n- pkg: {name: d, secfixes: {1-r0: [CVE-4]}}\n",
			[]row{{"CVE-4", "d", "1-r0", testPrefix + "CVE-4"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vulns, _, err := Parse(context.Background(), strings.NewReader(tc.in), Options{LinkPrefix: testPrefix})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, rows(vulns)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":             "",
		"spaces":            " \n\t",
		"array":             `["openssl"]`,
		"truncated":         `{"packages": [{"pkg": {"name": "a", "secfixes": {"1-r0": ["CVE-1"`,
		"truncated between": `{"packages": [{"pkg": {"name": "a"}}`,
		"packages object":   `{"packages": {"pkg": {}}}`,
		"garbage in array":  `{"packages": [{"pkg": {}}, nonsense]}`,
		"trailing garbage":  `{"packages": []`,
		"yaml scalar":       "just words",
		"yaml broken":       "packages: [\n",
		"yaml list":         "- a\n- b\n",
	} {
		if _, _, err := Parse(context.Background(), strings.NewReader(in), Options{}); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, in := range []string{`{"packages": [{"pkg": {"name": "a"}}]}`, "packages:\n- pkg: {name: a}\n"} {
		if _, _, err := Parse(ctx, strings.NewReader(in), Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Parse: err = %v", err)
		}
	}
}

// independentCount counts the (package, identifier) pairs of a secdb
// document that Parse should report, with a deliberately different
// reading: a generic decode, every identifier counted once per package
// unless the package also lists it under "0".
func independentCount(t *testing.T, b []byte, isYAML bool) (n int, names map[string]bool) {
	t.Helper()
	var doc struct {
		Packages []struct {
			Pkg struct {
				Name     string         `json:"name" yaml:"name"`
				Secfixes map[string]any `json:"secfixes" yaml:"secfixes"`
			} `json:"pkg" yaml:"pkg"`
		} `json:"packages" yaml:"packages"`
	}
	var err error
	if isYAML {
		err = yaml.Unmarshal(b, &doc)
	} else {
		err = json.Unmarshal(b, &doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	names = make(map[string]bool)
	for _, p := range doc.Packages {
		ids := map[string]bool{}
		zero := map[string]bool{}
		for ver, list := range p.Pkg.Secfixes {
			l, _ := list.([]any)
			for _, e := range l {
				fs := strings.Fields(fmt.Sprint(e))
				var named []string
				for _, f := range fs {
					if strings.HasPrefix(f, "CVE-") {
						named = append(named, f)
					}
				}
				if len(named) == 0 && len(fs) > 0 {
					named = fs[:1]
				}
				for _, id := range named {
					if strings.TrimSpace(ver) == "0" {
						zero[id] = true
					} else if strings.TrimSpace(ver) != "" {
						ids[id] = true
					}
				}
			}
		}
		for id := range ids {
			if !zero[id] {
				n++
				names[p.Pkg.Name+" "+id] = true
			}
		}
	}
	return n, names
}

// TestParseRealFeeds parses the real secdb samples in ../shared/data (the
// vunnel fixtures of Alpine, Wolfi, Chainguard and other apk
// distributions, and the old alpine-secdb YAML), when they are there, and
// checks them against an independent count.
func TestParseRealFeeds(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"vunnel-fixtures/tests/unit/providers/*/test-fixtures/input/secdb/*.json",
		"vunnel-fixtures/tests/unit/providers/*/test-fixtures/input/secdb/*/*.yaml",
		"osv/alpine-secdb/v*/*.yaml",
	} {
		m, _ := filepath.Glob(filepath.Join(realDataDir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("real secdb samples not available")
	}
	total := 0
	for _, name := range files {
		rel, _ := filepath.Rel(realDataDir, name)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			vulns, h, err := Parse(context.Background(), bytes.NewReader(b), Options{LinkPrefix: testPrefix})
			if err != nil {
				t.Fatal(err)
			}
			want, names := independentCount(t, b, strings.HasSuffix(name, ".yaml"))
			if len(vulns) != want {
				t.Errorf("Parse returned %d vulnerabilities, the sample has %d", len(vulns), want)
			}
			// Other apk distributions write the format too (SecureOS
			// uses "None" for "no fix yet"); the fixed versions of
			// Alpine's, Wolfi's and Chainguard's all work.
			ours := !strings.Contains(rel, "/providers/") || strings.Contains(rel, "/alpine/") ||
				strings.Contains(rel, "/wolfi/") || strings.Contains(rel, "/chainguard/")
			for _, v := range vulns {
				if !names[v.Package.Name+" "+v.Name] {
					t.Errorf("unexpected %s %s", v.Package.Name, v.Name)
				}
				if _, err := Prepare(v); err != nil && ours {
					t.Errorf("%s %s: fixed version %q: %v", v.Package.Name, v.Name, v.FixedInVersion, err)
				}
			}
			if ours && h.RepoName == "" {
				t.Errorf("header %+v", h)
			}
			total += len(vulns)
		})
	}
	t.Logf("%d files, %d vulnerabilities", len(files), total)
}

// TestVunnelSnapshots checks the Wolfi and Chainguard samples against the
// results vunnel recorded for them: every advisory vunnel reports with a
// fixed version, Parse reports with the same one ("0" ones are left out).
func TestVunnelSnapshots(t *testing.T) {
	for _, p := range []struct{ provider, snapshots string }{
		{"wolfi", "wolfi/test-fixtures/snapshots/wolfi:rolling"},
		{"chainguard", "chainguard/test-fixtures/snapshots/secdb/chainguard:rolling"},
		{"alpine", "alpine/test-fixtures/snapshots/3.15"},
	} {
		t.Run(p.provider, func(t *testing.T) {
			base := filepath.Join(realDataDir, "vunnel-fixtures/tests/unit/providers")
			snaps, _ := filepath.Glob(filepath.Join(base, p.snapshots, "*.json"))
			inputs, _ := filepath.Glob(filepath.Join(base, p.provider, "test-fixtures/input/secdb/*.json"))
			yamls, _ := filepath.Glob(filepath.Join(base, p.provider, "test-fixtures/input/secdb/*/*.yaml"))
			inputs = append(inputs, yamls...)
			if len(snaps) == 0 || len(inputs) == 0 {
				t.Skip("vunnel samples not available")
			}
			got := map[string]string{}
			for _, in := range inputs {
				vulns, _ := parseFile(t, in)
				for _, v := range vulns {
					got[v.Package.Name+" "+v.Name] = v.FixedInVersion
				}
			}
			checked := 0
			for _, s := range snaps {
				b, err := os.ReadFile(s)
				if err != nil {
					t.Fatal(err)
				}
				var snap struct {
					Item struct {
						Vulnerability struct {
							Name    string
							FixedIn []struct{ Name, Version string }
						}
					} `json:"item"`
				}
				if err := json.Unmarshal(b, &snap); err != nil {
					t.Fatal(err)
				}
				for _, f := range snap.Item.Vulnerability.FixedIn {
					key := f.Name + " " + snap.Item.Vulnerability.Name
					switch {
					case f.Version == "0":
						if _, ok := got[key]; ok {
							t.Errorf("%s: not affected, but reported", key)
						}
					case got[key] != f.Version:
						t.Errorf("%s: fixed in %q, vunnel says %q", key, got[key], f.Version)
					}
					checked++
				}
			}
			if checked == 0 {
				t.Error("nothing checked")
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"../testdata/secdb/v3.18/main.json", "../testdata/secdb/v3.18/community.json", "../testdata/secdb/v3.10/main.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"packages":[{"pkg":{"name":"a","secfixes":{"0":["CVE-1 XSA-2"],"1-r0":["CVE-1","CVE-3 CVE-4"]}}}]}`))
	f.Add([]byte("packages:\n- pkg: {name: a, secfixes: {1.10: [CVE-1]}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vulns, _, err := Parse(context.Background(), bytes.NewReader(b), Options{Updater: "u", LinkPrefix: testPrefix})
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, v := range vulns {
			if v.Package == nil || strings.TrimSpace(v.Package.Name) == "" || v.Name == "" || strings.ContainsAny(v.Name, " \t\n") ||
				v.FixedInVersion == "" || v.FixedInVersion == "0" || !strings.HasPrefix(v.Links, testPrefix) {
				t.Fatalf("bad vulnerability %+v", v)
			}
			key := v.Package.Name + "\x00" + v.Name
			if seen[key] {
				t.Fatalf("%s %s reported twice", v.Package.Name, v.Name)
			}
			seen[key] = true
		}
	})
}

// secdbDocument makes a JSON document shaped like Alpine's: n packages
// with a few fixed versions of one to three advisories each.
func secdbDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"apkurl": "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk", "archs": ["aarch64", "x86_64"], "reponame": "main", "urlprefix": "https://dl-cdn.alpinelinux.org/alpine", "distroversion": "v3.20", "packages": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    {\n      \"pkg\": {\n        \"name\": \"package-%d\",\n        \"secfixes\": {", i)
		for j := range 1 + i%4 {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n          \"%d.%d.%d-r%d\": [", 1+j, i%10, i%7, j)
			for k := range 1 + (i+j)%3 {
				if k > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "\n            \"CVE-20%02d-%d\"", 10+j, 1000+i*10+k)
			}
			b.WriteString("\n          ]")
		}
		b.WriteString("\n        }\n      }\n    }")
	}
	b.WriteString("\n  ]\n}\n")
	return b.Bytes()
}

// BenchmarkSecDBParse measures Parse on a synthetic document of 3000
// packages (about 1 MB, the size of Alpine's main.json), on its YAML
// form, and on the real Wolfi sample when it is there.
func BenchmarkSecDBParse(b *testing.B) {
	run := func(b *testing.B, doc []byte) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := Parse(context.Background(), bytes.NewReader(doc), Options{Updater: "u", LinkPrefix: testPrefix}); err != nil {
				b.Fatal(err)
			}
		}
	}
	doc := secdbDocument(3000)
	b.Run("json", func(b *testing.B) { run(b, doc) })
	var generic any
	if err := json.Unmarshal(doc, &generic); err != nil {
		b.Fatal(err)
	}
	y, err := yaml.Marshal(generic)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("yaml", func(b *testing.B) { run(b, y) })
	if real, err := os.ReadFile(filepath.Join(realDataDir, "vunnel-fixtures/tests/unit/providers/chainguard/test-fixtures/input/secdb/security.json")); err == nil {
		b.Run("chainguard-sample", func(b *testing.B) { run(b, real) })
	}
}
