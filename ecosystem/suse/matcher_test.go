package suse

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
)

func report(d *loupe.Distribution, pkgs ...*loupe.Package) *loupe.IndexReport {
	dist := *d
	dist.ID = "1"
	ir := &loupe.IndexReport{
		Packages:      make(map[string]*loupe.Package),
		Distributions: map[string]*loupe.Distribution{"1": &dist},
		Environments:  make(map[string][]*loupe.Environment),
	}
	for i, p := range pkgs {
		id := strconv.Itoa(i + 1)
		p.ID = id
		ir.Packages[id] = p
		ir.Environments[id] = []*loupe.Environment{{PackageDB: "ndb:usr/lib/sysimage/rpm", DistributionID: "1"}}
	}
	return ir
}

func rpm(name, evr, arch, src string) *loupe.Package {
	return &loupe.Package{Kind: loupe.BinaryPackage, Name: name, Version: evr, Arch: arch,
		Source: &loupe.Package{Kind: loupe.SourcePackage, Name: src, Version: evr}}
}

func matches(ir *loupe.IndexReport, vr *loupe.VulnerabilityReport) map[string][]string {
	out := make(map[string][]string)
	for pid, ids := range vr.PackageVulnerabilities {
		n := ir.Packages[pid].Name
		for _, id := range ids {
			out[n] = append(out[n], vr.Vulnerabilities[id].Name+" "+vr.Vulnerabilities[id].FixedInVersion)
		}
		slices.Sort(out[n])
	}
	return out
}

func TestMatcher(t *testing.T) {
	var vs []*loupe.Vulnerability
	for _, d := range []*loupe.Distribution{SLES("15"), Leap("15.5"), Tumbleweed("", "")} {
		vs = append(vs, parseFile(t, "testdata/suse.xml", d)...)
	}
	for i, v := range vs {
		v.ID = strconv.Itoa(i + 1)
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{Matcher{}}, vs, "test")
	if ix.Count != len(vs) || ix.Invalid != 0 {
		t.Errorf("index: %d of %d indexed, %d invalid", ix.Count, len(vs), ix.Invalid)
	}
	pkgs := func() []*loupe.Package {
		return []*loupe.Package{
			// Architecture: the x86_64 build is fixed at 55.44.1; the
			// s390x record (fixed at 55.50.1) is not for it. SP4's
			// fix is older than this SP5 kernel.
			rpm("kernel-default", "5.14.21-150500.55.45.1", "x86_64", "kernel-default"),
			rpm("kernel-source", "5.14.21-150500.55.39.1", "noarch", "kernel-source"),
			rpm("libopenssl3", "3.0.8-150500.5.20.1", "x86_64", "openssl-3"),
			rpm("libopenssl1_1", "1.1.1l-150500.17.22.1", "x86_64", "openssl-1_1"),
			// Unfixed: any version.
			rpm("curl", "8.0.1-150400.5.41.1", "x86_64", "curl"),
			// "0:" in the fix is epoch 0.
			rpm("vim", "9.1.0330-150500.20.12.1", "x86_64", "vim"),
		}
	}
	want := map[string][]string{
		"kernel-source": {"CVE-2024-1111 0:5.14.21-150500.55.44.1"},
		"libopenssl1_1": {"CVE-2024-2222 0:1.1.1l-150500.17.25.1"},
		"curl":          {"CVE-2024-3333 "},
	}
	for _, d := range []*loupe.Distribution{
		{DID: "sles", Name: "SLES", Version: "15", VersionID: "15", PrettyName: "SUSE Linux Enterprise Server 15"},
		{DID: "opensuse-leap", Name: "openSUSE Leap", Version: "15.5", VersionID: "15.5"},
		{DID: "opensuse-tumbleweed", Name: "openSUSE Tumbleweed", VersionID: "20240404"},
	} {
		ir := report(d, pkgs()...)
		if diff := cmp.Diff(want, matches(ir, ix.Match(context.Background(), ir))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", d.DID, diff)
		}
	}
	// s390x is affected by the later fix.
	s390 := report(SLES("15"), rpm("kernel-default", "5.14.21-150500.55.45.1", "s390x", "kernel-default"))
	if diff := cmp.Diff(map[string][]string{"kernel-default": {"CVE-2024-1111 0:5.14.21-150500.55.50.1"}}, matches(s390, ix.Match(context.Background(), s390))); diff != "" {
		t.Errorf("s390x (-want +got):\n%s", diff)
	}
	// Other releases have no data here.
	for _, d := range []*loupe.Distribution{SLES("12"), Leap("15.6"), {DID: "sled", VersionID: "15"}} {
		ir := report(d, pkgs()...)
		if got := ix.Match(context.Background(), ir).PackageVulnerabilities; len(got) != 0 {
			t.Errorf("%+v matched %v", d, got)
		}
	}
}
