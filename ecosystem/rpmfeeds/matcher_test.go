package rpmfeeds

import (
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
)

func dist(did, versionID string) *loupe.Distribution {
	return &loupe.Distribution{DID: did, VersionID: versionID}
}

func testMatcher() Matcher {
	return NewMatcher("test-matcher", "rocky", func(d *loupe.Distribution) string {
		if m := Major(d.VersionID); m != "" {
			return "rocky:" + m
		}
		return ""
	})
}

func TestKeys(t *testing.T) {
	m := testMatcher()
	for _, tc := range []struct {
		v    *loupe.Vulnerability
		want matcher.Key
		ok   bool
	}{
		{&loupe.Vulnerability{Dist: dist("rocky", "9"), Package: &loupe.Package{Name: "openssl", Kind: "source"}}, matcher.Key{Namespace: "rocky:9", Name: "openssl", Source: true}, true},
		{&loupe.Vulnerability{Dist: dist("rocky", "8"), Package: &loupe.Package{Name: "openssl-libs", Kind: "binary"}}, matcher.Key{Namespace: "rocky:8", Name: "openssl-libs"}, true},
		{&loupe.Vulnerability{Dist: dist("almalinux", "9"), Package: &loupe.Package{Name: "openssl"}}, matcher.Key{}, false},
		{&loupe.Vulnerability{Dist: dist("rocky", ""), Package: &loupe.Package{Name: "openssl"}}, matcher.Key{}, false},
		{&loupe.Vulnerability{Dist: dist("rocky", "9"), Package: &loupe.Package{}}, matcher.Key{}, false},
		{&loupe.Vulnerability{Dist: dist("rocky", "9")}, matcher.Key{}, false},
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}}, matcher.Key{}, false},
	} {
		k, ok := m.VulnerabilityKey(tc.v)
		if k != tc.want || ok != tc.ok {
			t.Errorf("VulnerabilityKey(%+v) = %v, %v; want %v, %v", tc.v, k, ok, tc.want, tc.ok)
		}
	}
	if (Matcher{}).Name() != "" {
		t.Error("zero matcher has a name")
	}
	if _, ok := (Matcher{}).VulnerabilityKey(&loupe.Vulnerability{Dist: dist("rocky", "9"), Package: &loupe.Package{Name: "a"}}); ok {
		t.Error("zero matcher claims a vulnerability")
	}

	rec := &loupe.IndexRecord{Distribution: dist("rocky", "9.4"), Package: &loupe.Package{Name: "openssl-libs", Source: &loupe.Package{Name: "openssl"}}}
	keys := m.RecordKeys(nil, rec)
	if len(keys) != 2 || keys[0] != (matcher.Key{Namespace: "rocky:9", Name: "openssl-libs"}) || keys[1] != (matcher.Key{Namespace: "rocky:9", Name: "openssl", Source: true}) {
		t.Errorf("RecordKeys = %v", keys)
	}
	own := &loupe.IndexRecord{Distribution: dist("rocky", "9.4"), Package: &loupe.Package{Name: "bash"}}
	if keys := m.RecordKeys(nil, own); len(keys) != 2 || keys[1] != (matcher.Key{Namespace: "rocky:9", Name: "bash", Source: true}) {
		t.Errorf("RecordKeys of a package with no source = %v", keys)
	}
	for _, r := range []*loupe.IndexRecord{
		{Distribution: dist("almalinux", "9.4"), Package: &loupe.Package{Name: "bash"}},
		{Package: &loupe.Package{Name: "bash"}},
		{Distribution: dist("rocky", "9.4")},
	} {
		if keys := m.RecordKeys(nil, r); len(keys) != 0 {
			t.Errorf("RecordKeys(%+v) = %v", r, keys)
		}
	}
}

func TestConstraint(t *testing.T) {
	vuln := func(fixed, module, arch string, op loupe.ArchOp) *loupe.Vulnerability {
		return &loupe.Vulnerability{Package: &loupe.Package{Name: "p", Module: module, Arch: arch}, FixedInVersion: fixed, ArchOperation: op}
	}
	rec := func(version, module, arch, srcVersion string) *loupe.IndexRecord {
		p := &loupe.Package{Name: "p", Version: version, Module: module, Arch: arch}
		if srcVersion != "" {
			p.Source = &loupe.Package{Name: "src", Version: srcVersion}
		}
		return &loupe.IndexRecord{Package: p}
	}
	for _, tc := range []struct {
		name     string
		v        *loupe.Vulnerability
		r        *loupe.IndexRecord
		bySource bool
		want     bool
	}{
		{"before the fix", vuln("1.2-3", "", "", 0), rec("1.2-2", "", "x86_64", ""), false, true},
		{"the fix", vuln("1.2-3", "", "", 0), rec("1.2-3", "", "x86_64", ""), false, false},
		{"after the fix", vuln("1.2-3", "", "", 0), rec("1.10-1", "", "x86_64", ""), false, false},
		{"epoch wins", vuln("1:1.2-3", "", "", 0), rec("9.9-9", "", "x86_64", ""), false, true},
		{"epoch zero written", vuln("0:1.2-3", "", "", 0), rec("1.2-2", "", "", ""), false, true},
		{"tilde", vuln("3.1-1", "", "", 0), rec("3.1~rc1-4", "", "", ""), false, true},
		{"caret", vuln("3.1^git1-1", "", "", 0), rec("3.1-1", "", "", ""), false, true},
		{"unfixed", vuln("", "", "", 0), rec("99-1", "", "", ""), false, true},
		{"unparsable installed version", vuln("1-1", "", "", 0), rec("", "", "", ""), false, false},
		{"module: same stream", vuln("18.2-1", "nodejs:18", "", 0), rec("18.1-1", "nodejs:18", "", ""), false, true},
		{"module: other stream", vuln("18.2-1", "nodejs:18", "", 0), rec("18.1-1", "nodejs:20", "", ""), false, false},
		{"module: not modular", vuln("18.2-1", "nodejs:18", "", 0), rec("18.1-1", "", "", ""), false, false},
		{"module: modular package, plain fix", vuln("18.2-1", "", "", 0), rec("18.1-1", "nodejs:18", "", ""), false, false},
		{"arch equals", vuln("2-1", "", "x86_64", loupe.ArchOpEquals), rec("1-1", "", "x86_64", ""), false, true},
		{"arch equals, other", vuln("2-1", "", "x86_64", loupe.ArchOpEquals), rec("1-1", "", "aarch64", ""), false, false},
		{"arch not equals", vuln("2-1", "", "x86_64", loupe.ArchOpNotEquals), rec("1-1", "", "aarch64", ""), false, true},
		{"arch pattern", vuln("2-1", "", "^(?:aarch64|x86_64)$", loupe.ArchOpPatternMatch), rec("1-1", "", "aarch64", ""), false, true},
		{"arch pattern, other", vuln("2-1", "", "^(?:aarch64|x86_64)$", loupe.ArchOpPatternMatch), rec("1-1", "", "s390x", ""), false, false},
		{"arch, package has none", vuln("2-1", "", "x86_64", loupe.ArchOpEquals), rec("1-1", "", "", ""), false, false},
		{"by source: source version", vuln("2.0-1", "", "", 0), rec("7.0-1", "", "", "1.0-1"), true, true},
		{"by binary: own version", vuln("2.0-1", "", "", 0), rec("7.0-1", "", "", "1.0-1"), false, false},
		{"by source: binary's epoch", vuln("1:2.0-1", "", "", 0), rec("1:2.0-2", "", "", "2.0-2"), true, false},
		{"by source: no source version", vuln("2.0-1", "", "", 0), rec("1.0-1", "", "", ""), true, true},
		{"by source: bad source version", vuln("2.0-1", "", "", 0), rec("3.0-1", "", "", "x:y"), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewConstraint(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Affects(tc.r, tc.bySource); got != tc.want {
				t.Errorf("Affects = %v, want %v", got, tc.want)
			}
		})
	}
	for _, v := range []*loupe.Vulnerability{
		vuln("not a version:", "", "", 0),
		vuln("1-1", "", "(", loupe.ArchOpPatternMatch),
		vuln("1-1", "", "x86_64", loupe.ArchOpNone),
	} {
		if _, err := NewConstraint(v); err == nil {
			t.Errorf("NewConstraint(%+v): no error", v)
		}
	}
}
