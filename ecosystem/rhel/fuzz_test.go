package rhel

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/version"
)

// FuzzCSAFParse feeds documents to the CSAF parser: it must not panic,
// and everything it returns must be a record the matcher can use.
func FuzzCSAFParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/vex/*/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"document": {"tracking": {"id": "CVE-2024-1"}}, "product_tree": {"relationships": [{"full_product_name": {"product_id": "a:b"}, "product_reference": "b", "relates_to_product_reference": "a"}, {"full_product_name": {"product_id": "b"}, "product_reference": "a:b", "relates_to_product_reference": "b"}]}, "vulnerabilities": [{"product_status": {"fixed": ["a:b"], "known_affected": ["b"]}}]}`))
	if b, err := os.ReadFile("testdata/rhcc/cve-2024-2001.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"vulnerabilities": [{"cve": "CVE-1", "product_status": {"known_not_affected": ["x"]}, "scores": [{"cvss_v4": {"vectorString": "CVSS:4.0/AV:N"}, "products": ["x"]}]}]}`))
	m := Matcher{}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := newParser(UpdaterName, false)
		_, vulns, err := p.parse(b)
		if err != nil && len(vulns) != 0 {
			t.Fatalf("error %v with %d vulnerabilities", err, len(vulns))
		}
		for _, v := range vulns {
			checkVuln(t, m, v)
		}
	})
}

func checkVuln(t *testing.T, m Matcher, v *loupe.Vulnerability) {
	t.Helper()
	if v.Name == "" || v.Updater != UpdaterName || v.Package == nil || v.Package.Name == "" || v.Repo == nil {
		t.Fatalf("incomplete vulnerability %+v", v)
	}
	if v.Repo.Key == ContainerRepositoryKey {
		if _, ok := m.VulnerabilityKey(v); ok {
			t.Fatalf("rhel matcher claims container record %+v", v)
		}
		if _, ok := (ContainerMatcher{}).VulnerabilityKey(v); !ok {
			t.Fatalf("container matcher does not claim %+v", v)
		}
		if _, err := (ContainerMatcher{}).Prepare(v); err != nil {
			t.Fatalf("container matcher cannot prepare %+v: %v", v, err)
		}
		return
	}
	if v.FixedInVersion != "" {
		if _, err := version.ParseRPM(v.FixedInVersion); err != nil {
			t.Fatalf("fixed version %q: %v", v.FixedInVersion, err)
		}
	}
	if _, ok := m.VulnerabilityKey(v); !ok {
		t.Fatalf("matcher does not claim %+v (repo %+v)", v, v.Repo)
	}
	if _, err := m.Prepare(v); err != nil {
		t.Fatalf("matcher cannot prepare %+v: %v", v, err)
	}
}

// FuzzFeedParse feeds whole bodies (documents, tars) to Parse.
func FuzzFeedParse(f *testing.F) {
	f.Add(fixtureTar(f))
	b, _ := os.ReadFile("testdata/vex/2024/cve-2024-1001.json")
	f.Add(b)
	f.Add([]byte("\x28\xb5\x2f\xfd"))
	u, _ := NewUpdater(Config{MinYear: -1})
	m := Matcher{}
	f.Fuzz(func(t *testing.T, b []byte) {
		vulns, _, err := u.parse(context.Background(), bytes.NewReader(b))
		if err != nil && len(vulns) != 0 {
			t.Fatalf("error %v with %d vulnerabilities", err, len(vulns))
		}
		for _, v := range vulns {
			checkVuln(t, m, v)
		}
	})
}

// FuzzContentManifest feeds content manifests to the parser and the
// repositories made of them.
func FuzzContentManifest(f *testing.F) {
	f.Add([]byte(ubi9Manifest))
	f.Add([]byte(`{"content_sets": ["a", "b b", "", 7, null, "rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_2"], "metadata": {"image_layer_index": -1}}`))
	f.Add([]byte(`{"content_sets": null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseContentManifest(b)
		if err != nil {
			return
		}
		for _, id := range m.ContentSets {
			if !validRepoID(id) {
				t.Fatalf("invalid content set %q kept", id)
			}
		}
		for _, r := range repositoriesFor(m.ContentSets) {
			id := repoIDOf(r)
			if !validRepoID(id) {
				t.Fatalf("repository %+v names %q", r, id)
			}
			if r.CPE != "" {
				if _, ok := parseCPE(r.CPE); !ok {
					t.Fatalf("repository %+v: bad CPE", r)
				}
			}
		}
	})
}

// FuzzCPE checks the CPE helpers on arbitrary names.
func FuzzCPE(f *testing.F) {
	f.Add("cpe:/o:redhat:enterprise_linux:9::baseos", "cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*")
	f.Add(`cpe:2.3:a:x\:y:z:1:*:*:*:*:*:*:\`, "cpe:/a:redhat:openshift:4")
	f.Fuzz(func(t *testing.T, a, b string) {
		c, ok := parseCPE(a)
		if !ok {
			return
		}
		if !c.covers(c.fs) {
			t.Fatalf("%q does not cover itself", c.fs)
		}
		if !strings.HasPrefix(c.fs, "cpe:2.3:") || formatCPE(c.fs) != c.fs {
			t.Fatalf("%q formats as %q", a, c.fs)
		}
		c.covers(b)
		rhelMajor(&c)
		DeriveCPEs(b)
		if p, err := parsePURL(b); err == nil {
			p.module()
			if p.Name == "" {
				t.Fatalf("%q: empty name", b)
			}
		}
	})
}
