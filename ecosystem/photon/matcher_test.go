package photon

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
	vs := parseFile(t, "testdata/cve_data_photon5.0.json", "5.0")
	for i, v := range vs {
		v.ID = strconv.Itoa(i + 1)
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{Matcher{}}, vs, "test")
	if ix.Count != len(vs) || ix.Invalid != 0 {
		t.Errorf("index: %d of %d indexed, %d invalid", ix.Count, len(vs), ix.Invalid)
	}
	pkgs := func() []*loupe.Package {
		return []*loupe.Package{
			rpm("curl", "8.7.1-1.ph5", "x86_64", "curl", "8.7.1-1.ph5"),
			// Listed itself, and through its source package: a CVE
			// listed for curl alone affects libcurl too.
			rpm("curl-libs", "8.7.1-1.ph5", "x86_64", "curl", "8.7.1-1.ph5"),
			rpm("openssl-libs", "3.0.13-1.ph5", "x86_64", "openssl", "3.0.13-1.ph5"),
			rpm("httpd", "2.4.58-1.ph5", "x86_64", "httpd", "2.4.58-1.ph5"),
			rpm("linux-esx", "6.1.90-1.ph5", "x86_64", "linux-esx", "6.1.90-1.ph5"),
			// The fix has an epoch this build does not.
			rpm("libgcrypt", "1.10.3-1.ph5", "x86_64", "libgcrypt", "1.10.3-1.ph5"),
			rpm("krb5", "1.21.2-3.ph5", "x86_64", "krb5", "1.21.2-3.ph5"),
		}
	}
	ir := report(Distribution("5.0"), pkgs()...)
	want := map[string][]string{
		"curl":         {"CVE-2024-1001"},
		"curl-libs":    {"CVE-2024-1001", "CVE-2024-1002"},
		"openssl-libs": {"CVE-2024-1003"},
		"libgcrypt":    {"CVE-2024-1006"},
	}
	if diff := cmp.Diff(want, matches(ir, ix.Match(context.Background(), ir))); diff != "" {
		t.Errorf("Photon 5.0 (-want +got):\n%s", diff)
	}
	// Photon 4.0 has its own data.
	ph4 := report(Distribution("4.0"), pkgs()...)
	if got := ix.Match(context.Background(), ph4).PackageVulnerabilities; len(got) != 0 {
		t.Errorf("Photon 4.0 matched %v", got)
	}
}
