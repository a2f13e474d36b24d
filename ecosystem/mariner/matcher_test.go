package mariner

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
		ir.Environments[id] = []*loupe.Environment{{PackageDB: "sqlite:var/lib/rpm", DistributionID: "1"}}
	}
	return ir
}

func rpm(name, evr, arch, src, srcVersion string) *loupe.Package {
	return &loupe.Package{Kind: loupe.BinaryPackage, Name: name, Version: evr, Arch: arch,
		Source: &loupe.Package{Kind: loupe.SourcePackage, Name: src, Version: srcVersion}}
}

func matches(ir *loupe.IndexReport, vr *loupe.VulnerabilityReport) map[string][]string {
	out := make(map[string][]string)
	for pid, ids := range vr.PackageVulnerabilities {
		n := ir.Packages[pid].Name
		for _, id := range ids {
			out[n] = append(out[n], vr.Vulnerabilities[id].Name)
		}
		slices.Sort(out[n])
	}
	return out
}

func TestMatcher(t *testing.T) {
	vs := parseFile(t, "testdata/azurelinux.xml", Releases[2])
	for i, v := range vs {
		v.ID = strconv.Itoa(i + 1)
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{Matcher{}}, vs, "test")
	if ix.Count != 4 || ix.Invalid != 0 {
		t.Errorf("index: %d indexed, %d invalid", ix.Count, ix.Invalid)
	}
	azl3 := &loupe.Distribution{DID: "azurelinux", Name: "Microsoft Azure Linux", Version: "3.0", VersionID: "3.0", PrettyName: "Microsoft Azure Linux 3.0"}
	pkgs := func() []*loupe.Package {
		return []*loupe.Package{
			// Within (1.21.0, 1.22.5-1).
			rpm("golang", "1.22.3-1.azl3", "x86_64", "golang", "1.22.3-1.azl3"),
			// Below the lower bound.
			rpm("golang-old", "1.20.5-1.azl3", "x86_64", "golang", "1.20.5-1.azl3"),
			// Found through its source package.
			rpm("openssl-libs", "3.3.0-1.azl3", "x86_64", "openssl", "3.3.0-1.azl3"),
			rpm("openssl", "3.3.0-2.azl3", "x86_64", "openssl", "3.3.0-2.azl3"),
			// Unfixed: up to and including the last build.
			rpm("bind-utils", "9.19.0-1.azl3", "x86_64", "bind", "9.19.0-1.azl3"),
			rpm("bind-libs", "9.19.1-1.azl3", "x86_64", "bind", "9.19.1-1.azl3"),
			// Not applicable: no record.
			rpm("glibc", "2.38-3.azl3", "x86_64", "glibc", "2.38-3.azl3"),
			// Epoch: the binary's, with the source's version-release.
			rpm("ca-certificates-base", "1:3.0.0-7.azl3", "noarch", "ca-certificates", "3.0.0-7.azl3"),
			rpm("ca-certificates-tools", "1:3.0.0-8.azl3", "noarch", "ca-certificates", "3.0.0-8.azl3"),
		}
	}
	ir := report(azl3, pkgs()...)
	want := map[string][]string{
		"golang":               {"CVE-2024-0101"},
		"openssl-libs":         {"CVE-2024-0102"},
		"bind-utils":           {"CVE-2024-0103"},
		"ca-certificates-base": {"CVE-2024-0105"},
	}
	if diff := cmp.Diff(want, matches(ir, ix.Match(context.Background(), ir))); diff != "" {
		t.Errorf("Azure Linux 3.0 (-want +got):\n%s", diff)
	}
	// CBL-Mariner 2.0 has its own data.
	cm2 := report(Mariner("2.0"), pkgs()...)
	if got := ix.Match(context.Background(), cm2).PackageVulnerabilities; len(got) != 0 {
		t.Errorf("CBL-Mariner 2.0 matched %v", got)
	}
	// Keys: by name and by source name, once when they are the same.
	r := ir.Records()[0]
	if keys := (Matcher{}).RecordKeys(nil, &r); len(keys) != 1 || keys[0] != (matcher.Key{Namespace: "azurelinux:3.0", Name: "golang", Source: true}) {
		t.Errorf("golang keys = %v", keys)
	}
}
