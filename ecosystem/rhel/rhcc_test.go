package rhel

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/matcher"
)

// A buildinfo Dockerfile as OSBS writes them (made for these tests, in
// the shape of ubi9/nodejs-18's).
const nodejs18Dockerfile = `FROM sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

# Description
ARG NODEJS_VERSION=18
ENV NODEJS_VERSION=$NODEJS_VERSION \
    NAME=nodejs \
    ARCH=x86_64

ENV SUMMARY="Platform for building and running Node.js $NODEJS_VERSION applications" \
    DESCRIPTION="Node.js $NODEJS_VERSION available as container is a base platform for \
building and running various Node.js $NODEJS_VERSION applications and frameworks."

LABEL summary="$SUMMARY" \
      description="$DESCRIPTION" \
      io.k8s.description="$DESCRIPTION" \
      io.k8s.display-name="Node.js $NODEJS_VERSION" \
      com.redhat.component="${NAME}-${NODEJS_VERSION}-container" \
      name="ubi9/$NAME-$NODEJS_VERSION" \
      version="1" \
      com.redhat.license_terms="https://www.redhat.com/en/about/red-hat-end-user-license-agreements#UBI" \
      maintainer="SoftwareCollections.org <sclorg@redhat.com>"

# Build-time metadata
LABEL "release"="108" "architecture"="x86_64" "vcs-type"="git" \
      "url"="https://access.redhat.com/containers/#/registry.access.redhat.com/ubi9/nodejs-18/images/1-108"
`

const ubi9Dockerfile = `FROM koji/image-build
LABEL com.redhat.component="ubi9-container" name="ubi9" version="9.4"
LABEL release 1123
LABEL architecture x86_64
`

func TestDockerfileLabels(t *testing.T) {
	got := DockerfileLabels([]byte(nodejs18Dockerfile))
	for k, want := range map[string]string{
		"com.redhat.component": "nodejs-18-container",
		"name":                 "ubi9/nodejs-18",
		"architecture":         "x86_64",
		"release":              "108",
		"io.k8s.display-name":  "Node.js 18",
		"summary":              "Platform for building and running Node.js 18 applications",
		"url":                  "https://access.redhat.com/containers/#/registry.access.redhat.com/ubi9/nodejs-18/images/1-108",
	} {
		if got[k] != want {
			t.Errorf("label %s = %q, want %q", k, got[k], want)
		}
	}
	got = DockerfileLabels([]byte(ubi9Dockerfile))
	if got["release"] != "1123" || got["architecture"] != "x86_64" || got["name"] != "ubi9" {
		t.Errorf("legacy form: %v", got)
	}
	got = DockerfileLabels([]byte("ARG X=a\nFROM b\nLABEL first=1\nFROM c\nARG X\nLABEL 'q'='$X' d=\"${X}\" e=${Y:-dflt} f=${X:+alt} g=$ h=\\$X\n"))
	want := map[string]string{"q": "$X", "d": "a", "e": "dflt", "f": "alt", "g": "$", "h": "$X"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages and expansion (-want +got):\n%s", diff)
	}
}

func TestContainerLayers(t *testing.T) {
	f := layertest.File
	nodejs18Src := &loupe.Package{Name: "nodejs-18-container", Version: "1-108", Kind: loupe.SourcePackage,
		NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{1, 0}}, Arch: "x86_64"}
	nodejs18 := &loupe.Package{Name: "ubi9/nodejs-18", Version: "1-108", Kind: loupe.BinaryPackage, Source: nodejs18Src,
		NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{1, 0}}, Arch: "x86_64",
		PackageDB: "root/buildinfo/Dockerfile-ubi9-nodejs-18-1-108", Filepath: "root/buildinfo", RepositoryHint: "rhcc"}
	gitopsSrc := &loupe.Package{Name: "openshift-gitops-1/gitops-rhel8-operator", Version: "1744596866", Kind: loupe.SourcePackage,
		NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{1744596866}}, Arch: "x86_64"}
	gitops := &loupe.Package{Name: "openshift-gitops-1/gitops-rhel8-operator", Version: "1744596866", Kind: loupe.BinaryPackage, Source: gitopsSrc,
		NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{1744596866}}, Arch: "x86_64",
		CPE:       "cpe:2.3:a:redhat:openshift_gitops:1.16:*:el8:*:*:*:*:*",
		PackageDB: "root/buildinfo/labels.json", Filepath: "root/buildinfo", RepositoryHint: "rhcc"}
	gitopsLabels := `{"name": "openshift-gitops-1/gitops-rhel8-operator", "org.opencontainers.image.created": "2025-04-14T02:14:26Z", "cpe": "cpe:/a:redhat:openshift_gitops:1.16::el8", "architecture": "x86_64"}`
	for _, tc := range []struct {
		name    string
		scanner indexer.Scanner
		layer   []layertest.Entry
		want    []*loupe.Package
	}{
		{"nodejs-18 Dockerfile", ContainerScanner{}, []layertest.Entry{
			f("root/buildinfo/content_manifests/nodejs-18-container-1-108.json", ubi9Manifest),
			f("root/buildinfo/Dockerfile-ubi9-nodejs-18-1-108", nodejs18Dockerfile),
		}, []*loupe.Package{nodejs18}},
		{"squashed: the first Dockerfile, as Clair", ContainerScanner{}, []layertest.Entry{
			f("root/buildinfo/Dockerfile-ubi9-nodejs-18-1-108", nodejs18Dockerfile),
			f("root/buildinfo/Dockerfile-ubi9-9.4-1123", ubi9Dockerfile),
		}, []*loupe.Package{{Name: "ubi9", Version: "9.4-1123", Kind: loupe.BinaryPackage,
			Source:            &loupe.Package{Name: "ubi9-container", Version: "9.4-1123", Kind: loupe.SourcePackage, NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{9, 4}}, Arch: "x86_64"},
			NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{9, 4}}, Arch: "x86_64",
			PackageDB: "root/buildinfo/Dockerfile-ubi9-9.4-1123", Filepath: "root/buildinfo", RepositoryHint: "rhcc"}}},
		{"Dockerfile without labels", ContainerScanner{}, []layertest.Entry{f("root/buildinfo/Dockerfile-ubi9-nodejs-18-1-108", "FROM x\nLABEL name=ubi9/nodejs-18\n")}, nil},
		{"Dockerfile, garbage", ContainerScanner{}, []layertest.Entry{f("root/buildinfo/Dockerfile-a-b-c", "\x00\xff\\\n\"'${\nLABEL \\")}, nil},
		{"Dockerfile, version not a number", ContainerScanner{}, []layertest.Entry{f("root/buildinfo/Dockerfile-ubi9-latest-1", nodejs18Dockerfile)}, nil},
		{"Dockerfile, short name", ContainerScanner{}, []layertest.Entry{f("root/buildinfo/Dockerfile-ubi9", nodejs18Dockerfile)}, nil},
		{"labels.json", ContainerDetector{}, []layertest.Entry{f("root/buildinfo/labels.json", gitopsLabels)}, []*loupe.Package{gitops}},
		{"labels.json, quoted values", ContainerDetector{}, []layertest.Entry{f("root/buildinfo/labels.json",
			`{"name": "\"openshift-gitops-1/gitops-rhel8-operator\"", "org.opencontainers.image.created": "2025-04-14T02:14:26Z", "cpe": "cpe:/a:redhat:openshift_gitops:1.16::el8", "architecture": "\"x86_64\""}`)},
			[]*loupe.Package{gitops}},
		{"labels.json, RHCOS", ContainerDetector{}, []layertest.Entry{f("usr/share/buildinfo/labels.json", `{"name": "rhcos", "org.opencontainers.image.created": "2024-01-02T03:04:05Z", "architecture": "x86_64"}`)},
			[]*loupe.Package{{Name: "rhcos", Version: "1704164645", Kind: loupe.BinaryPackage,
				Source:            &loupe.Package{Name: "rhcos", Version: "1704164645", Kind: loupe.SourcePackage, NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{1704164645}}, Arch: "x86_64"},
				NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{1704164645}}, Arch: "x86_64",
				PackageDB: "usr/share/buildinfo/labels.json", Filepath: "root/buildinfo", RepositoryHint: "rhcc"}}},
		{"labels.json, no creation time", ContainerDetector{}, []layertest.Entry{f("root/buildinfo/labels.json", `{"name": "ubi9", "architecture": "x86_64", "org.opencontainers.image.created": "yesterday"}`)}, nil},
		{"labels.json, malformed", ContainerDetector{}, []layertest.Entry{f("root/buildinfo/labels.json", `{"name": "ubi9", "architecture": `)}, nil},
		{"labels.json, wrong types", ContainerDetector{}, []layertest.Entry{f("root/buildinfo/labels.json", `{"name": 7, "architecture": ["x86_64"], "org.opencontainers.image.created": null}`)}, nil},
		{"labels.json, not an object", ContainerDetector{}, []layertest.Entry{f("root/buildinfo/labels.json", `[]`)}, nil},
		{"labels.json, name with spaces", ContainerDetector{}, []layertest.Entry{f("root/buildinfo/labels.json", `{"name": "a b", "org.opencontainers.image.created": "2025-04-14T02:14:26Z", "architecture": "x86_64"}`)}, nil},
		{"labels.json is a directory", ContainerDetector{}, []layertest.Entry{layertest.Dir("root/buildinfo/labels.json")}, nil},
		{"nothing", ContainerDetector{}, []layertest.Entry{f("etc/os-release", ubi9OSRelease)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanLayer(t, tc.scanner, tc.layer...)
			if diff := cmp.Diff(tc.want, got.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(got.Repositories) != 0 || len(got.Distributions) != 0 {
				t.Errorf("unexpected findings %+v", got)
			}
		})
	}
}

// containerFixture parses the container VEX fixture.
func containerFixture(t testing.TB) []*loupe.Vulnerability {
	t.Helper()
	b, err := os.ReadFile("testdata/rhcc/cve-2024-2001.json")
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(UpdaterName, false)
	_, vulns, err := p.parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vulns {
		v.ID = strconv.Itoa(i + 1)
	}
	return vulns
}

func TestParseContainerVEX(t *testing.T) {
	vulns := containerFixture(t)
	var got []string
	for _, v := range vulns {
		s := fmt.Sprintf("%s %s %s/%s arch=%q fixed=%q sev=%v", v.Repo.Key, v.Repo.Name, v.Package.Kind, v.Package.Name, v.Package.Arch, v.FixedInVersion, v.NormalizedSeverity)
		if v.Range != nil {
			s += fmt.Sprintf(" range=[%d.%d,%d.%d.%d)", v.Range.Lower.V[0], v.Range.Lower.V[1], v.Range.Upper.V[0], v.Range.Upper.V[1], v.Range.Upper.V[2])
		}
		got = append(got, s)
		if v.Name != "CVE-2024-2001" || v.Updater != UpdaterName || !strings.HasPrefix(v.Links, "https://access.redhat.com/security/cve/CVE-2024-2001 https://security.access.redhat.com/data/csaf/v2/vex/2024/cve-2024-2001.json") {
			t.Errorf("%s: name %q, updater %q, links %q", s, v.Name, v.Updater, v.Links)
		}
		if v.Repo.Name != v.Repo.CPE || v.Repo.URI != "" {
			t.Errorf("%s: repository %+v", s, v.Repo)
		}
		if v.Package.Name == "ubi9/nodejs-18" && (!strings.HasSuffix(v.Links, " https://access.redhat.com/errata/RHSA-2024:2002") || v.Severity != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H") {
			t.Errorf("%s: links %q, severity %q", s, v.Links, v.Severity)
		}
		// The rpm matcher never claims container records, and the
		// container matcher only claims them.
		_, rpmClaims := Matcher{}.VulnerabilityKey(v)
		_, ctrClaims := ContainerMatcher{}.VulnerabilityKey(v)
		if rpmClaims == ctrClaims || ctrClaims != (v.Repo.Key == ContainerRepositoryKey) {
			t.Errorf("%s: claimed by rhel %v, by rhcc %v", s, rpmClaims, ctrClaims)
		}
		if ctrClaims {
			if _, err := (ContainerMatcher{}).Prepare(v); err != nil {
				t.Errorf("%s: %v", s, err)
			}
		}
	}
	const max = math.MaxInt32
	want := []string{
		`rhel-cpe-repository cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:* binary/nodejs arch="x86_64" fixed="1:18.20.2-1.el9_4" sev=High`,
		fmt.Sprintf(`rhcc-container-repository cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:* binary/ubi9/nodejs-18 arch="amd64|arm64" fixed="1-110" sev=High range=[0.0,1.0.%d)`, max),
		fmt.Sprintf(`rhcc-container-repository cpe:2.3:a:redhat:enterprise_linux:8:*:appstream:*:*:*:*:* binary/ubi8/nodejs-18 arch="amd64" fixed="1-95" sev=High range=[0.0,1.0.%d)`, max),
		// ubi9/nodejs-16: fixed, but also not affected in the same product.
		fmt.Sprintf(`rhcc-container-repository cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:* source/ubi9/nodejs-20 arch="" fixed="" sev=High range=[0.0,%d.0.0)`, max),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// Fixes in several minor series: each applies to its own series, the
// lowest to every older one too.
func TestContainerRanges(t *testing.T) {
	doc := `{"product_tree": {"branches": [
	  {"product": {"product_id": "P", "product_identification_helper": {"cpe": "cpe:/a:redhat:openshift_container_storage:4"}}},
	  {"product": {"product_id": "a", "product_identification_helper": {"purl": "pkg:oci/rook-ceph-rhel8-operator?repository_url=registry.redhat.io/ocs4/rook-ceph-rhel8-operator&tag=4.7-140.49a6fcf.release_4.7"}}},
	  {"product": {"product_id": "b", "product_identification_helper": {"purl": "pkg:oci/rook-ceph-rhel8-operator?repository_url=registry.redhat.io/ocs4/rook-ceph-rhel8-operator&tag=4.8-167.9a9db5f.release_4.8"}}},
	  {"product": {"product_id": "c", "product_identification_helper": {"purl": "pkg:oci/rook-ceph-rhel8-operator?repository_url=registry.redhat.io&tag=4.8-1"}}},
	  {"product": {"product_id": "d", "product_identification_helper": {"purl": "pkg:oci/rook-ceph-rhel8-operator?repository_url=registry.redhat.io/ocs4/rook-ceph-rhel8-operator&tag=4.8:1"}}}
	 ]},
	 "product_tree_relationships_are_below": 1}`
	doc = strings.Replace(doc, `"product_tree_relationships_are_below": 1}`, `"vulnerabilities": [{"cve": "CVE-2020-8565", "product_status": {"fixed": ["P:a", "P:b", "P:c", "P:d"]}}]}`, 1)
	doc = strings.Replace(doc, `]},`, `], "relationships": [
	  {"full_product_name": {"product_id": "P:a"}, "product_reference": "a", "relates_to_product_reference": "P"},
	  {"full_product_name": {"product_id": "P:b"}, "product_reference": "b", "relates_to_product_reference": "P"},
	  {"full_product_name": {"product_id": "P:c"}, "product_reference": "c", "relates_to_product_reference": "P"},
	  {"full_product_name": {"product_id": "P:d"}, "product_reference": "d", "relates_to_product_reference": "P"}]},`, 1)
	p := newParser(UpdaterName, false)
	_, vulns, err := p.parse([]byte(doc))
	if err != nil || len(vulns) != 2 {
		t.Fatalf("%d records, %v; stats %+v", len(vulns), err, p.stats)
	}
	if p.stats.Products != 2 {
		t.Errorf("unusable products %d, want 2 (no repository path, bad tag)", p.stats.Products)
	}
	for i, v := range vulns {
		v.ID = strconv.Itoa(i + 1)
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{ContainerMatcher{}}, vulns, "test")
	for _, tc := range []struct {
		version string
		want    []string
	}{
		{"4.6-100", []string{"4.7-140.49a6fcf.release_4.7"}}, // older series: the lowest fix
		{"4.7-139", []string{"4.7-140.49a6fcf.release_4.7"}},
		{"4.7-141", nil},
		{"4.8-1", []string{"4.8-167.9a9db5f.release_4.8"}},
		{"4.8-200", nil},
		{"4.9-1", nil}, // newer series than any fix
	} {
		ir := containerReport(&loupe.Package{Name: "ocs4/rook-ceph-rhel8-operator", Version: tc.version, Kind: loupe.BinaryPackage, Arch: "x86_64"})
		var got []string
		for _, ids := range ix.Match(context.Background(), ir).PackageVulnerabilities {
			for _, id := range ids {
				got = append(got, vulns[must(strconv.Atoi(id))-1].FixedInVersion)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: fixed in %q, want %q", tc.version, got, tc.want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// containerReport is the report of one container package, normalized as
// the scanners normalize.
func containerReport(p *loupe.Package) *loupe.IndexReport {
	nv, _ := containerVersion(p.Version)
	p.NormalizedVersion = nv
	p.ID = "1"
	return &loupe.IndexReport{
		Packages:     map[string]*loupe.Package{"1": p},
		Environments: map[string][]*loupe.Environment{"1": {{PackageDB: "root/buildinfo/labels.json"}}},
	}
}

// TestContainerImages indexes layered images through the real indexer
// and matches them with both matchers against the container fixture.
func TestContainerImages(t *testing.T) {
	layerOf := func(entries ...layertest.Entry) *loupe.Layer { return indextest.Layer(t, entries...) }
	ixr := indextest.NewIndexer(t, DistributionScanner{}, RepositoryScanner{}, ContainerScanner{}, ContainerDetector{})
	vulns := containerFixture(t)
	rules := []matcher.Rules{Matcher{}, ContainerMatcher{}}
	mx := matcher.NewIndex(context.Background(), rules, vulns, "test")
	if mx.Count != len(vulns) || mx.Unclaimed != 0 || mx.Invalid != 0 {
		t.Fatalf("index: %d of %d, %d unclaimed, %d invalid", mx.Count, len(vulns), mx.Unclaimed, mx.Invalid)
	}

	f := layertest.File
	ubi9 := func() *loupe.Layer {
		return layerOf(f("etc/os-release", ubi9OSRelease),
			f("root/buildinfo/content_manifests/ubi9-container-9.4-1123.json", ubi9Manifest),
			f("root/buildinfo/Dockerfile-ubi9-9.4-1123", ubi9Dockerfile))
	}
	labels := func(name, created, cpe string) string {
		return fmt.Sprintf(`{"name": %q, "org.opencontainers.image.created": %q, "cpe": %q, "architecture": "x86_64", "build-date": "2024-05-01T00:00:00"}`, name, created, cpe)
	}
	appstream9 := "cpe:/a:redhat:enterprise_linux:9::appstream"
	for _, tc := range []struct {
		name   string
		layers []*loupe.Layer
		pkgs   []string            // container packages: name@version
		want   map[string][]string // package → "CVE fixed"
	}{{
		name: "ubi9/nodejs-18 1-108, fixed in 1-110",
		layers: []*loupe.Layer{ubi9(),
			layerOf(f("root/buildinfo/content_manifests/nodejs-18-container-1-108.json", ubi9Manifest),
				f("root/buildinfo/Dockerfile-ubi9-nodejs-18-1-108", nodejs18Dockerfile)),
			layerOf(f("opt/app-root/src/server.js", "// app\n"))},
		pkgs: []string{"ubi9/nodejs-18@1-108"},
		want: map[string][]string{"ubi9/nodejs-18@1-108": {"CVE-2024-2001 1-110"}},
	}, {
		name: "ubi9/nodejs-18 1-110",
		layers: []*loupe.Layer{ubi9(), layerOf(f("root/buildinfo/Dockerfile-ubi9-nodejs-18-1-110",
			strings.ReplaceAll(nodejs18Dockerfile, "1-108", "1-110")))},
		pkgs: []string{"ubi9/nodejs-18@1-110"},
		want: map[string][]string{},
	}, {
		name:   "ubi9 alone: not in the data",
		layers: []*loupe.Layer{ubi9()},
		pkgs:   []string{"ubi9@9.4-1123"},
		want:   map[string][]string{},
	}, {
		name:   "ubi9/nodejs-20 from labels.json: known affected",
		layers: []*loupe.Layer{ubi9(), layerOf(f("root/buildinfo/labels.json", labels("ubi9/nodejs-20", "2025-01-02T03:04:05Z", appstream9)))},
		pkgs:   []string{"ubi9/nodejs-20@1735787045"},
		want:   map[string][]string{"ubi9/nodejs-20@1735787045": {"CVE-2024-2001 "}},
	}, {
		name:   "ubi9/nodejs-20 of another product",
		layers: []*loupe.Layer{layerOf(f("root/buildinfo/labels.json", labels("ubi9/nodejs-20", "2025-01-02T03:04:05Z", "cpe:/a:redhat:enterprise_linux:8::appstream")))},
		pkgs:   []string{"ubi9/nodejs-20@1735787045"},
		want:   map[string][]string{},
	}, {
		name:   "ubi9/nodejs-16: not affected",
		layers: []*loupe.Layer{ubi9(), layerOf(f("root/buildinfo/labels.json", labels("ubi9/nodejs-16", "2024-01-02T03:04:05Z", appstream9)))},
		pkgs:   []string{"ubi9/nodejs-16@1704164645"},
		want:   map[string][]string{},
	}, {
		name:   "malformed labels.json",
		layers: []*loupe.Layer{layerOf(f("root/buildinfo/labels.json", `{"name": "ubi9/nodejs-20", "org.opencontainers.image.created": `))},
		want:   map[string][]string{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(tc.name))), Layers: tc.layers}
			ir, err := ixr.Index(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			if !ir.Success {
				t.Fatalf("index failed: %s", ir.Err)
			}
			var pkgs []string
			for _, p := range ir.Packages {
				if isContainer(p) {
					pkgs = append(pkgs, p.Name+"@"+p.Version)
					if p.Source == nil || p.Source.Kind != loupe.SourcePackage || p.Arch != "x86_64" {
						t.Errorf("package %+v", p)
					}
				}
			}
			if !slices.Equal(pkgs, tc.pkgs) {
				t.Errorf("container packages %q, want %q", pkgs, tc.pkgs)
			}
			vr := mx.Match(context.Background(), ir)
			got := map[string][]string{}
			for pid, ids := range vr.PackageVulnerabilities {
				p := vr.Packages[pid]
				for _, id := range ids {
					v := vr.Vulnerabilities[id]
					got[p.Name+"@"+p.Version] = append(got[p.Name+"@"+p.Version], v.Name+" "+v.FixedInVersion)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
			// The indexer's record keys find every report a match finds.
			keys := map[uint64]bool{}
			for _, h := range matcher.RecordKeys(rules, ir) {
				keys[h] = true
			}
			for _, v := range vr.Vulnerabilities {
				k, ok := ContainerMatcher{}.VulnerabilityKey(v)
				if !ok {
					k, _ = Matcher{}.VulnerabilityKey(v)
				}
				if !keys[k.Hash()] {
					t.Errorf("%s matched but its key %v is not among the report's", v.Name, k)
				}
			}
		})
	}
}

// The rpm matcher never looks at container packages, nor the container
// matcher at rpms.
func TestContainerRecordKeys(t *testing.T) {
	nv, _ := containerVersion("1-108")
	ctr := &loupe.Package{Name: "ubi9/nodejs-18", Version: "1-108", Kind: loupe.BinaryPackage, NormalizedVersion: nv}
	rpmPkg := rpm("nodejs", "1:18.19.0-1.el9", "x86_64", "nodejs", "")
	repo := Repository("rhel-9-for-x86_64-appstream-rpms", "cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:*")
	if k := (ContainerMatcher{}).RecordKeys(nil, &loupe.IndexRecord{Package: rpmPkg, Distribution: Distribution(9), Repository: repo}); len(k) != 0 {
		t.Errorf("container keys for an rpm: %v", k)
	}
	if k := (ContainerMatcher{}).RecordKeys(nil, &loupe.IndexRecord{Package: ctr.Source}); len(k) != 0 {
		t.Errorf("container keys for nothing: %v", k)
	}
	k := (ContainerMatcher{}).RecordKeys(nil, &loupe.IndexRecord{Package: ctr, Distribution: Distribution(9)})
	if len(k) != 1 || k[0] != (matcher.Key{Namespace: "rhcc", Name: "ubi9/nodejs-18"}) {
		t.Errorf("container keys: %v", k)
	}
}

// FuzzContainerBuildinfo feeds labels.json files and Dockerfiles to the
// container scanners' parsers.
func FuzzContainerBuildinfo(f *testing.F) {
	f.Add([]byte(nodejs18Dockerfile), "Dockerfile-ubi9-nodejs-18-1-108")
	f.Add([]byte(ubi9Dockerfile), "Dockerfile-ubi9-9.4-1123")
	f.Add([]byte(`{"name": "\"a/b\"", "org.opencontainers.image.created": "2025-04-14T02:14:26Z", "cpe": "cpe:/a:redhat:x:1", "architecture": "amd64"}`), "labels.json")
	f.Add([]byte("LABEL a=${b:-${c}} \\\n# x\n d='e\n"), "Dockerfile-v-1.2.3-4")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		DockerfileLabels(b)
		if l, err := ParseContainerLabels(b); err == nil && l.Name != "" && !validLabel(l.Name) {
			t.Fatalf("invalid name %q", l.Name)
		}
		vr, ok := dockerfileVR(name)
		if !ok {
			return
		}
		for _, p := range containerFromDockerfile(context.Background(), name, vr, b) {
			if p.Name == "" || p.Source == nil || p.Source.Name == "" || p.NormalizedVersion.Kind != ContainerVersionKind {
				t.Fatalf("package %+v", p)
			}
			if _, err := (ContainerMatcher{}).Prepare(&loupe.Vulnerability{Package: &loupe.Package{Name: p.Name}, Repo: GoldRepository(), FixedInVersion: p.Version}); err != nil {
				t.Fatalf("version %q: %v", p.Version, err)
			}
		}
	})
}
