package rocky

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds/rpmfeedstest"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/matcher"
)

var (
	report = rpmfeedstest.Report
	pkg    = rpmfeedstest.Pkg
)

var rocky94Dist = &loupe.Distribution{
	DID: "rocky", Name: "Rocky Linux", Version: "9.4 (Blue Onyx)", VersionID: "9.4",
	PrettyName: "Rocky Linux 9.4 (Blue Onyx)", CPE: "cpe:2.3:o:rocky:rocky:9:*:baseos:*:*:*:*:*",
}

func parseFixture(t testing.TB) []*loupe.Vulnerability {
	t.Helper()
	vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(fixture(t)))
	if err != nil {
		t.Fatal(err)
	}
	return vulns
}

func TestMatcher(t *testing.T) {
	vulns := parseFixture(t)
	other := &loupe.Vulnerability{Name: "ALSA-1", Package: &loupe.Package{Name: "openssl"},
		Dist: &loupe.Distribution{DID: "almalinux", VersionID: "9"}}
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{Matcher()}, rpmfeedstest.WithIDs(append(vulns, other)), "test")
	if ix.Count != len(vulns) || ix.Invalid != 0 || ix.Unclaimed != 1 {
		t.Errorf("index counts: %d indexed, %d invalid, %d unclaimed; want %d, 0, 1", ix.Count, ix.Invalid, ix.Unclaimed, len(vulns))
	}
	const (
		node18 = "nodejs:18"
		modRel = ".module+el9.3.0+16000+aaaaaaaa"
	)
	ir := report(rocky94Dist,
		// Found by source: the source's version with the binary's epoch.
		pkg("openssl-libs", "1:3.0.7-24.el9", "x86_64", "", "openssl", "3.0.7-24.el9"),
		// Fixed; without the binary's epoch, the source version 3.0.7-27
		// would sort before 1:3.0.7-25.
		pkg("openssl-libs", "1:3.0.7-27.el9", "aarch64", "", "openssl", "3.0.7-27.el9"),
		// The epoch decides: 3.0.8 with no epoch is before 1:3.0.7.
		pkg("openssl-compat", "3.0.8-1.el9", "x86_64", "", "openssl", "3.0.8-1.el9"),
		// Module streams: the advisory's stream only.
		pkg("nodejs", "1:18.18.2-1"+modRel, "x86_64", node18, "nodejs", "18.18.2-1"+modRel),
		pkg("npm", "1:10.2.3-1.18.18.2.1"+modRel, "x86_64", node18, "nodejs", "18.18.2-1"+modRel),
		pkg("nodejs-libs", "1:18.0.0-1"+modRel, "x86_64", "nodejs:20", "nodejs", "18.0.0-1"+modRel),
		pkg("nodejs-full-i18n", "1:16.20.2-1.el9", "x86_64", "", "nodejs", "16.20.2-1.el9"),
		// Unfixed: every version.
		pkg("zlib", "1.2.11-40.el9", "x86_64", "", "zlib", "1.2.11-40.el9"),
		// Another release's fix.
		pkg("libxml2", "2.9.7-1.el8", "x86_64", "", "libxml2", "2.9.7-1.el8"),
		// A package that is its own source.
		pkg("nodejs-nodemon", "3.0.0-1"+modRel, "noarch", node18, "", ""),
	)
	got := rpmfeedstest.Matches(ir, ix.Match(context.Background(), ir))
	want := map[string][]string{
		"openssl-libs 1:3.0.7-24.el9":                            {"RLSA-2024:0101"},
		"openssl-compat 3.0.8-1.el9":                             {"RLSA-2024:0101"},
		"nodejs 1:18.18.2-1.module+el9.3.0+16000+aaaaaaaa":       {"RLSA-2024:0102"},
		"npm 1:10.2.3-1.18.18.2.1.module+el9.3.0+16000+aaaaaaaa": {"RLSA-2024:0102"},
		"zlib 1.2.11-40.el9":                                     {"RLSA-2024:0201"},
		"nodejs-nodemon 3.0.0-1.module+el9.3.0+16000+aaaaaaaa":   {"RLSA-2024:0102"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}

	// Records of another distribution are not Rocky Linux's.
	alma := *rocky94Dist
	alma.DID = "almalinux"
	ir = report(&alma, pkg("zlib", "1.2.11-40.el9", "x86_64", "", "zlib", "1.2.11-40.el9"))
	if vr := ix.Match(context.Background(), ir); len(vr.PackageVulnerabilities) != 0 {
		t.Errorf("AlmaLinux record matched: %v", vr.PackageVulnerabilities)
	}
}

// TestEndToEnd indexes a Rocky Linux 8 layer holding the rpm package's
// SQLite database fixture with the real scanners, and matches the report
// against the feed fixture.
func TestEndToEnd(t *testing.T) {
	db := rpmfeedstest.RPMDatabase(t, "rpm.sqlite")
	ir := rpmfeedstest.Index(t, rpmfeedstest.NewIndexer(t, DistributionScanner{}), []layertest.Entry{
		layertest.File("etc/os-release", rocky89),
		layertest.File("var/lib/rpm/rpmdb.sqlite", db),
	})
	if d := ir.Distributions["1"]; d == nil || Namespace(d) != "rocky:8" {
		t.Fatalf("distribution %+v", ir.Distributions)
	}
	got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), ir)
	want := map[string][]string{
		// Epoch 2 and a tilde: 2:3.1~rc1-4.lp1 < 2:3.1-1.lp1.
		"loupe-tools 2:3.1~rc1-4.lp1": {"RLSA-2024:0200"},
		// By its source, loupe-tools.
		"libloupe 2:3.1~rc1-4.lp1": {"RLSA-2024:0200"},
		// In the loupe-nodejs:18 stream.
		"loupe-nodejs 18.19.0-1.module+el8.9.0+20473+c4e3d824": {"RLSA-2024:0200"},
		// loupe-hello 1.0-1 is the fixed version itself.
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
}
