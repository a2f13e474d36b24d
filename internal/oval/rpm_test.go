package oval

import (
	"testing"

	"github.com/loupe-dev/loupe"
)

func TestBoundsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		b                 Bounds
		fixed, pkgVersion string
	}{
		{Bounds{}, "", ""},
		{Bounds{Fixed: "2:1.2-3.el9"}, "2:1.2-3.el9", ""},
		{Bounds{LastAffected: "0:9.16.33-1.cm2"}, "", "0:9.16.33-1.cm2"},
		{Bounds{Fixed: "0:1.20.7-1.cm2", After: "0:1.19.0.cm2"}, "fixed=0:1.20.7-1.cm2&greater_than=0:1.19.0.cm2", ""},
		{Bounds{LastAffected: "1.2+git", Introduced: "1.0"}, "introduced=1.0", "1.2+git"},
		{Bounds{Fixed: "1.2+x&y=z", Introduced: "1:0.1"}, "fixed=1.2%2Bx%26y%3Dz&introduced=1:0.1", ""},
	} {
		v := &loupe.Vulnerability{Package: &loupe.Package{Name: "p"}}
		tc.b.Set(v)
		if v.FixedInVersion != tc.fixed || v.Package.Version != tc.pkgVersion {
			t.Errorf("%+v: fixed_in_version %q, package version %q; want %q, %q", tc.b, v.FixedInVersion, v.Package.Version, tc.fixed, tc.pkgVersion)
		}
		got, err := BoundsOf(v)
		if err != nil || got != tc.b {
			t.Errorf("%+v: read back %+v, %v", tc.b, got, err)
		}
	}
	if _, err := BoundsOf(&loupe.Vulnerability{FixedInVersion: "fixed=%zz"}); err == nil {
		t.Error("bad query read back")
	}
	var b Bounds
	if b.Add(&Field{Operation: OpEquals, Value: "1"}) || b.Add(&Field{Operation: OpLessThan}) || b.Add(nil) {
		t.Error("Add took a check Bounds cannot hold")
	}
	if !b.Add(&Field{Operation: OpLessThan, Value: "2"}) || !b.Add(&Field{Operation: OpLessThan, Value: "3"}) || b.Fixed != "2" {
		t.Errorf("Add: %+v, want the first fix kept", b)
	}
}

func TestRPMRule(t *testing.T) {
	pkg := func(name, version, arch string) *loupe.Package {
		return &loupe.Package{Name: name, Version: version, Arch: arch, Kind: loupe.BinaryPackage}
	}
	withSource := func(p *loupe.Package, name, version string) *loupe.Package {
		p.Source = &loupe.Package{Name: name, Version: version, Kind: loupe.SourcePackage}
		return p
	}
	withModule := func(p *loupe.Package, m string) *loupe.Package { p.Module = m; return p }
	vuln := func(name, arch string, op loupe.ArchOp, b Bounds) *loupe.Vulnerability {
		v := &loupe.Vulnerability{Package: &loupe.Package{Name: name, Arch: arch}, ArchOperation: op}
		b.Set(v)
		return v
	}
	for _, tc := range []struct {
		name     string
		rule     RPMRule
		v        *loupe.Vulnerability
		p        *loupe.Package
		affected bool
	}{
		{"before the fix", RPMRule{}, vuln("bind", "", 0, Bounds{Fixed: "32:9.11.4-26.P2.el7_9.13"}), pkg("bind", "32:9.11.4-26.P2.el7_9.10", "x86_64"), true},
		{"at the fix", RPMRule{}, vuln("bind", "", 0, Bounds{Fixed: "32:9.11.4-26.P2.el7_9.13"}), pkg("bind", "32:9.11.4-26.P2.el7_9.13", "x86_64"), false},
		// Epochs first: a higher version with a lower epoch is older.
		{"epoch: lower epoch", RPMRule{}, vuln("bind", "", 0, Bounds{Fixed: "32:9.11.4-26"}), pkg("bind", "9.16.0-1", "x86_64"), true},
		{"epoch: higher epoch", RPMRule{}, vuln("bind", "", 0, Bounds{Fixed: "0:9.16.0-1"}), pkg("bind", "1:9.11.4-26", "x86_64"), false},
		{"epoch 0 written", RPMRule{}, vuln("curl", "", 0, Bounds{Fixed: "0:7.76.0-6.cm2"}), pkg("curl", "7.76.0-6.cm2", "x86_64"), false},
		{"unfixed", RPMRule{}, vuln("bind", "", 0, Bounds{}), pkg("bind", "99:1-1", "x86_64"), true},
		{"last affected: at it", RPMRule{}, vuln("bind", "", 0, Bounds{LastAffected: "0:9.16.33-1.cm2"}), pkg("bind", "9.16.33-1.cm2", "x86_64"), true},
		{"last affected: after it", RPMRule{}, vuln("bind", "", 0, Bounds{LastAffected: "0:9.16.33-1.cm2"}), pkg("bind", "9.16.34-1.cm2", "x86_64"), false},
		{"greater than: below", RPMRule{}, vuln("golang", "", 0, Bounds{Fixed: "1.20.7-1", After: "1.19.0"}), pkg("golang", "1.18.5-1", "x86_64"), false},
		{"greater than: at", RPMRule{}, vuln("golang", "", 0, Bounds{Fixed: "1.20.7-1", After: "1.19.0"}), pkg("golang", "1.19.0", "x86_64"), false},
		{"greater than: within", RPMRule{}, vuln("golang", "", 0, Bounds{Fixed: "1.20.7-1", After: "1.19.0"}), pkg("golang", "1.20.6-2", "x86_64"), true},
		{"introduced: at", RPMRule{}, vuln("golang", "", 0, Bounds{Introduced: "1.19.0"}), pkg("golang", "1.19.0", "x86_64"), true},
		{"unparsable installed", RPMRule{}, vuln("bind", "", 0, Bounds{}), pkg("bind", ":bad", "x86_64"), false},
		{"arch equals", RPMRule{}, vuln("rsyslog", "aarch64", loupe.ArchOpEquals, Bounds{}), pkg("rsyslog", "1-1", "x86_64"), false},
		{"arch equals: same", RPMRule{}, vuln("rsyslog", "x86_64", loupe.ArchOpEquals, Bounds{}), pkg("rsyslog", "1-1", "x86_64"), true},
		{"arch not equals", RPMRule{}, vuln("rsyslog", "x86_64", loupe.ArchOpNotEquals, Bounds{}), pkg("rsyslog", "1-1", "x86_64"), false},
		{"arch pattern", RPMRule{}, vuln("kernel-default", "(aarch64|s390x|x86_64)", loupe.ArchOpPatternMatch, Bounds{}), pkg("kernel-default", "1-1", "x86_64"), true},
		{"arch pattern: no", RPMRule{}, vuln("kernel-default", "(aarch64|s390x)", loupe.ArchOpPatternMatch, Bounds{}), pkg("kernel-default", "1-1", "x86_64"), false},
		{"arch: none installed", RPMRule{}, vuln("kernel-default", "x86_64", loupe.ArchOpEquals, Bounds{}), pkg("kernel-default", "1-1", ""), false},
		{"arch: none wanted", RPMRule{}, vuln("kernel-default", "", 0, Bounds{}), pkg("kernel-default", "1-1", "s390x"), true},
		{"noarch: exact", RPMRule{}, vuln("tzdata", "x86_64", loupe.ArchOpEquals, Bounds{}), pkg("tzdata", "1-1", "noarch"), false},
		{"noarch: platform", RPMRule{PlatformArch: true}, vuln("tzdata", "x86_64", loupe.ArchOpEquals, Bounds{}), pkg("tzdata", "1-1", "noarch"), true},
		{"i686: platform", RPMRule{PlatformArch: true}, vuln("glibc", "x86_64", loupe.ArchOpPatternMatch, Bounds{}), pkg("glibc", "1-1", "i686"), true},
		{"i686: platform aarch64", RPMRule{PlatformArch: true}, vuln("glibc", "aarch64", loupe.ArchOpEquals, Bounds{}), pkg("glibc", "1-1", "i686"), false},
		{"module: same", RPMRule{}, func() *loupe.Vulnerability {
			v := vuln("nodejs", "", 0, Bounds{Fixed: "1:18.19.1-1"})
			v.Package.Module = "nodejs:18"
			return v
		}(), withModule(pkg("nodejs", "1:18.19.0-1", "x86_64"), "nodejs:18"), true},
		{"module: other stream", RPMRule{}, func() *loupe.Vulnerability {
			v := vuln("nodejs", "", 0, Bounds{Fixed: "1:18.19.1-1"})
			v.Package.Module = "nodejs:18"
			return v
		}(), withModule(pkg("nodejs", "1:16.0.0-1", "x86_64"), "nodejs:16"), false},
		{"module: none for a modular package", RPMRule{}, vuln("nodejs", "", 0, Bounds{Fixed: "1:18.19.1-1"}), withModule(pkg("nodejs", "1:16.0.0-1", "x86_64"), "nodejs:16"), false},
		// By source: the source's version-release, with the binary's
		// epoch.
		{"by source", RPMRule{}, vuln("ca-certificates", "", 0, Bounds{Fixed: "1:2.0.0-2.cm2"}), withSource(pkg("ca-certificates-base", "1:2.0.0-1.cm2", "noarch"), "ca-certificates", "2.0.0-1.cm2"), true},
		{"by source: fixed", RPMRule{}, vuln("ca-certificates", "", 0, Bounds{Fixed: "1:2.0.0-1.cm2"}), withSource(pkg("ca-certificates-base", "1:2.0.0-1.cm2", "noarch"), "ca-certificates", "2.0.0-1.cm2"), false},
		{"by source: subpackage of its own version", RPMRule{}, vuln("python3", "", 0, Bounds{Fixed: "3.11.5-1"}), withSource(pkg("python3-setuptools", "69.0-1", "noarch"), "python3", "3.11.4-1"), true},
		{"by name: own version", RPMRule{}, vuln("curl", "", 0, Bounds{Fixed: "7.88.1-4.ph4"}), withSource(pkg("curl", "7.88.1-4.ph4", "x86_64"), "curl", "7.88.1-3.ph4"), false},
	} {
		c, err := tc.rule.Prepare(tc.v)
		if err != nil {
			t.Errorf("%s: Prepare: %v", tc.name, err)
			continue
		}
		if got := c.Affects(&loupe.IndexRecord{Package: tc.p}, false); got != tc.affected {
			t.Errorf("%s: Affects = %v, want %v", tc.name, got, tc.affected)
		}
	}
}

func TestRPMRulePrepareErrors(t *testing.T) {
	for name, v := range map[string]*loupe.Vulnerability{
		"no package":  {FixedInVersion: "1-1"},
		"no name":     {Package: &loupe.Package{}},
		"bad fixed":   {Package: &loupe.Package{Name: "p"}, FixedInVersion: "x:1-1"},
		"bad last":    {Package: &loupe.Package{Name: "p", Version: "1-"}},
		"bad pattern": {Package: &loupe.Package{Name: "p", Arch: "(x86_64"}, ArchOperation: loupe.ArchOpPatternMatch},
		"bad query":   {Package: &loupe.Package{Name: "p"}, FixedInVersion: "fixed=%zz"},
	} {
		if _, err := (RPMRule{}).Prepare(v); err == nil {
			t.Errorf("%s: Prepare succeeded", name)
		}
	}
}

func TestFeedURL(t *testing.T) {
	const dir, file = "https://up.example/oval/", "doc.xml.bz2"
	for _, tc := range []struct{ in, want string }{
		{"", dir + file},
		{"https://mirror.example/suse", "https://mirror.example/suse/doc.xml.bz2"},
		{"https://mirror.example/suse/", "https://mirror.example/suse/doc.xml.bz2"},
		{"https://mirror.example", "https://mirror.example/doc.xml.bz2"},
		{"https://mirror.example/other.xml", "https://mirror.example/other.xml"},
		{"file:///srv/feeds/elsa-2024.xml.BZ2", "file:///srv/feeds/elsa-2024.xml.BZ2"},
		{"file:///srv/feeds", "file:///srv/feeds/doc.xml.bz2"},
		{"https://mirror.example/photon.json?token=x", "https://mirror.example/photon.json?token=x"},
	} {
		got, err := FeedURL(tc.in, dir, file)
		if err != nil || got != tc.want {
			t.Errorf("FeedURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ftp://x/y.xml", "://", "mirror.example/x.xml"} {
		if _, err := FeedURL(bad, dir, file); err == nil {
			t.Errorf("FeedURL(%q) succeeded", bad)
		}
	}
	if _, err := (FeedConfig{Compression: "lzma"}).Resolve(dir, file); err == nil {
		t.Error("unknown compression accepted")
	}
	if got, err := (FeedConfig{Compression: "bz2"}).Resolve(dir, file); err != nil || got != dir+file {
		t.Errorf("Resolve = %q, %v", got, err)
	}
}
