package oracle

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
)

// report builds an index report of packages on one distribution.
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

// rpm is an installed package as the rpm scanner reports it.
func rpm(name, evr, arch, module, srcName, srcVersion string) *loupe.Package {
	return &loupe.Package{Kind: loupe.BinaryPackage, Name: name, Version: evr, Arch: arch, Module: module,
		Source: &loupe.Package{Kind: loupe.SourcePackage, Name: srcName, Version: srcVersion}}
}

// matches renders a report's matches as "package: fixed versions".
func matches(ir *loupe.IndexReport, vr *loupe.VulnerabilityReport) map[string][]string {
	out := make(map[string][]string)
	for pid, ids := range vr.PackageVulnerabilities {
		for _, id := range ids {
			out[ir.Packages[pid].Name] = append(out[ir.Packages[pid].Name], vr.Vulnerabilities[id].FixedInVersion)
		}
		slices.Sort(out[ir.Packages[pid].Name])
	}
	return out
}

func TestMatcher(t *testing.T) {
	vs := parseFile(t, "testdata/elsa.xml")
	for i, v := range vs {
		v.ID = strconv.Itoa(i + 1)
	}
	// Records of another ecosystem are not Oracle's.
	vs = append(vs, &loupe.Vulnerability{ID: "100", Name: "RHSA-x", Package: &loupe.Package{Name: "bind"},
		Dist: &loupe.Distribution{DID: "rhel", VersionID: "8"}, FixedInVersion: "99:1-1"})
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{Matcher{}}, vs, "test")
	if ix.Count != 7 || ix.Unclaimed != 1 || ix.Invalid != 0 {
		t.Errorf("index: %d indexed, %d unclaimed, %d invalid", ix.Count, ix.Unclaimed, ix.Invalid)
	}

	ol8 := report(Distribution(8),
		// Epoch: 32:…el8_9 is before 32:…el8_9.1.
		rpm("bind", "32:9.11.36-11.el8_9", "x86_64", "", "bind", "9.11.36-11.el8_9"),
		// Epoch: a higher version with no epoch is still older.
		rpm("bind-libs", "9.16.23-1.el8", "x86_64", "", "bind", "9.16.23-1.el8"),
		// Architecture: x86_64 was fixed at 15.el8_9.1; the aarch64
		// record (fixed at .3) does not apply to it.
		rpm("rsyslog", "8.2102.0-15.el8_9.2", "x86_64", "", "rsyslog", "8.2102.0-15.el8_9.2"),
		// noarch: fits the record for every architecture.
		rpm("rsyslog-doc", "8.2102.0-15.el8_9", "noarch", "", "rsyslog", "8.2102.0-15.el8_9"),
		// The module stream must be the record's.
		rpm("nodejs", "1:18.19.1-1.module+el8.9.0+90171+b8c1d6b5", "x86_64", "nodejs:18", "nodejs", "18.19.1-1.module+el8.9.0+90171+b8c1d6b5"),
		rpm("npm", "1:10.2.4-1.18.19.1.1.module+el8.9.0+90171+b8c1d6b5", "x86_64", "nodejs:18", "nodejs", "18.19.1-1.module+el8.9.0+90171+b8c1d6b5"),
		// ksplice records were left out: an ordinary glibc is fine.
		rpm("glibc", "2.28-236.0.1.el8", "x86_64", "", "glibc", "2.28-236.0.1.el8"),
	)
	got := matches(ol8, ix.Match(context.Background(), ol8))
	want := map[string][]string{
		"bind":        {"32:9.11.36-11.el8_9.1"},
		"bind-libs":   {"32:9.11.36-11.el8_9.1"},
		"rsyslog-doc": {"0:8.2102.0-15.el8_9.1"},
		"nodejs":      {"1:18.19.1-1.0.1.module+el8.9.0+90171+b8c1d6b5"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Oracle Linux 8 (-want +got):\n%s", diff)
	}

	// The same rsyslog on aarch64 is affected: its fix came later.
	arm := report(Distribution(8), rpm("rsyslog", "8.2102.0-15.el8_9.2", "aarch64", "", "rsyslog", "8.2102.0-15.el8_9.2"))
	if diff := cmp.Diff(map[string][]string{"rsyslog": {"0:8.2102.0-15.el8_9.3"}}, matches(arm, ix.Match(context.Background(), arm))); diff != "" {
		t.Errorf("aarch64 (-want +got):\n%s", diff)
	}
	// Another stream of nodejs is not this record's.
	other := report(Distribution(8), rpm("nodejs", "1:16.20.0-1.module+el8.8.0", "x86_64", "nodejs:16", "nodejs", "16.20.0-1.module+el8.8.0"))
	if got := ix.Match(context.Background(), other).PackageVulnerabilities; len(got) != 0 {
		t.Errorf("nodejs:16 matched %v", got)
	}
	// Oracle Linux 7 has its own data; OL 8's bind record is not its.
	ol7 := report(&loupe.Distribution{DID: "ol", Name: "Oracle Linux Server", VersionID: "7.9"},
		rpm("openssl", "1:1.0.2k-25.el7_9", "x86_64", "", "openssl", "1.0.2k-25.el7_9"),
		rpm("bind", "32:9.11.4-26.P2.el7", "x86_64", "", "bind", "9.11.4-26.P2.el7"))
	if diff := cmp.Diff(map[string][]string{"openssl": {"1:1.0.2k-26.el7_9"}}, matches(ol7, ix.Match(context.Background(), ol7))); diff != "" {
		t.Errorf("Oracle Linux 7 (-want +got):\n%s", diff)
	}
	// A RHEL image is not Oracle's to match.
	rhel := report(&loupe.Distribution{DID: "rhel", VersionID: "8"}, rpm("bind", "32:9.11.36-1.el8", "x86_64", "", "bind", "9.11.36-1.el8"))
	if keys := (Matcher{}).RecordKeys(nil, &rhel.Records()[0]); len(keys) != 0 {
		t.Errorf("RHEL record keys: %v", keys)
	}
}
