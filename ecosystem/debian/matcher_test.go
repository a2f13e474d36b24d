package debian

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
)

func TestMatcher(t *testing.T) {
	bookworm := Distribution("bookworm", 12)
	bullseye := Distribution("bullseye", 11)
	vuln := func(id, src, fixed string, d *loupe.Distribution) *loupe.Vulnerability {
		return &loupe.Vulnerability{ID: id, Updater: UpdaterName, Name: "CVE-" + id,
			Package: &loupe.Package{Name: src, Kind: loupe.SourcePackage}, Dist: d, FixedInVersion: fixed}
	}
	vulns := []*loupe.Vulnerability{
		vuln("1", "util-linux", "2.38.1-5+deb12u1", bookworm), // fixed after the installed source version
		vuln("2", "util-linux", "2.38.1-1", bookworm),         // fixed before it
		vuln("3", "util-linux", "", bookworm),                 // open
		vuln("4", "util-linux", "2.38.1-5+deb12u1", bullseye), // another release
		vuln("5", "openssl", "3.0.13-1~deb12u1", bookworm),
		vuln("6", "openssl", "0", bookworm), // not affected: left out
		vuln("7", "openssl", "not a version!", bookworm),
		{ID: "8", Updater: "other", Name: "GHSA-x", Package: &loupe.Package{Name: "util-linux"}}, // not Debian's
	}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{Matcher{}}, vulns, "test")
	if ix.Count != 5 || ix.Invalid != 2 || ix.Unclaimed != 1 {
		t.Errorf("index counts: %d indexed, %d invalid, %d unclaimed; want 5, 2, 1", ix.Count, ix.Invalid, ix.Unclaimed)
	}
	d := *bookworm
	d.ID = "1"
	ir := &loupe.IndexReport{
		Packages: map[string]*loupe.Package{
			// binNMU with an epoch: only the source version compares
			// right against the tracker's source versions.
			"1": {ID: "1", Name: "bsdutils", Version: "1:2.38.1-5+b1", Source: &loupe.Package{Name: "util-linux", Version: "2.38.1-5"}},
			"2": {ID: "2", Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: &loupe.Package{Name: "openssl", Version: "3.0.11-1~deb12u2"}},
			"3": {ID: "3", Name: "libssl3-new", Version: "3.0.15-1~deb12u1", Source: &loupe.Package{Name: "openssl", Version: "3.0.15-1~deb12u1"}},
			// The package is its own source.
			"4": {ID: "4", Name: "util-linux", Version: "2.38.1-5"},
		},
		Distributions: map[string]*loupe.Distribution{"1": &d},
		Environments: map[string][]*loupe.Environment{
			"1": {{DistributionID: "1"}}, "2": {{DistributionID: "1"}}, "3": {{DistributionID: "1"}}, "4": {{DistributionID: "1"}},
		},
	}
	vr := ix.Match(context.Background(), ir)
	want := map[string][]string{
		"1": {"1", "3"},
		"2": {"5"},
		"4": {"1", "3"},
	}
	if diff := cmp.Diff(want, vr.PackageVulnerabilities); diff != "" {
		t.Errorf("package vulnerabilities (-want +got):\n%s", diff)
	}
	if len(vr.Vulnerabilities) != 3 {
		t.Errorf("report has %d vulnerabilities, want 3", len(vr.Vulnerabilities))
	}
}

func TestNormalizeUrgency(t *testing.T) {
	for in, want := range map[string]loupe.Severity{
		"unimportant": loupe.Negligible, "low": loupe.Low, "medium**": loupe.Medium, "HIGH": loupe.High,
		"not yet assigned": loupe.Unknown, "end-of-life": loupe.Unknown, "": loupe.Unknown,
	} {
		if got := NormalizeUrgency(in); got != want {
			t.Errorf("NormalizeUrgency(%q) = %v, want %v", in, got, want)
		}
	}
}
