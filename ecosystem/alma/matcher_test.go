package alma

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds/rpmfeedstest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

var (
	report = rpmfeedstest.Report
	pkg    = rpmfeedstest.Pkg
)

func parseFixture(t testing.TB) []*loupe.Vulnerability {
	t.Helper()
	vulns, _, err := parse(context.Background(), bytes.NewReader(fixture(t)), "9")
	if err != nil {
		t.Fatal(err)
	}
	return vulns
}

func TestMatcher(t *testing.T) {
	const mod = ".module_el9.3.0+60+aaaaaaaa"
	ir := report(want94,
		// Architectures: the erratum's only.
		pkg("openssl-libs", "1:3.0.7-24.el9", "x86_64", "", "openssl", "3.0.7-24.el9"),
		pkg("openssl-libs", "1:3.0.7-24.el9", "s390x", "", "openssl", "3.0.7-24.el9"),
		pkg("openssl", "1:3.0.7-24.el9", "aarch64", "", "openssl", "3.0.7-24.el9"),
		// The epoch decides: 3.0.8 with no epoch is before 1:3.0.7.
		pkg("openssl", "3.0.8-1.el9", "x86_64", "", "openssl", "3.0.8-1.el9"),
		// Fixed.
		pkg("openssl", "1:3.0.7-25.el9_3", "x86_64", "", "openssl", "3.0.7-25.el9_3"),
		// Binary names only: the erratum does not list openssl-devel.
		pkg("openssl-devel", "1:3.0.7-24.el9", "x86_64", "", "openssl", "3.0.7-24.el9"),
		// Module streams: each fix for its own stream.
		pkg("nodejs", "1:18.18.0-1"+mod, "x86_64", "nodejs:18", "nodejs", "18.18.0-1"+mod),
		pkg("npm", "1:10.2.0-1.18.18.0.1"+mod, "x86_64", "nodejs:18", "nodejs", "18.18.0-1"+mod),
		pkg("nodejs", "1:20.10.0-1"+mod, "x86_64", "nodejs:20", "nodejs", "20.10.0-1"+mod),
		pkg("nodejs", "1:20.12.0-1"+mod, "aarch64", "nodejs:20", "nodejs", "20.12.0-1"+mod),
		pkg("nodejs", "1:16.20.2-1.el9", "x86_64", "", "nodejs", "16.20.2-1.el9"),
		pkg("postgresql", "15.5-1"+mod, "x86_64", "postgresql:15", "postgresql", "15.5-1"+mod),
		pkg("postgresql", "13.0-1"+mod, "x86_64", "postgresql:13", "postgresql", "13.0-1"+mod),
		pkg("zlib", "1.2.11-40.el9", "x86_64", "", "zlib", "1.2.11-40.el9"),
	)
	got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), ir)
	want := map[string][]string{
		"openssl-libs 1:3.0.7-24.el9":                         {"ALSA-2024:0101"},
		"openssl 1:3.0.7-24.el9":                              {"ALSA-2024:0101"},
		"openssl 3.0.8-1.el9":                                 {"ALSA-2024:0101"},
		"nodejs 1:18.18.0-1.module_el9.3.0+60+aaaaaaaa":       {"ALSA-2024:0102"},
		"npm 1:10.2.0-1.18.18.0.1.module_el9.3.0+60+aaaaaaaa": {"ALSA-2024:0102"},
		"nodejs 1:20.10.0-1.module_el9.3.0+60+aaaaaaaa":       {"ALSA-2024:0102"},
		"postgresql 15.5-1.module_el9.3.0+60+aaaaaaaa":        {"ALSA-2024:0300"},
		"zlib 1.2.11-40.el9":                                  {"ALBA-2024:0201"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	rocky := *want94
	rocky.DID = "rocky"
	if got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), report(&rocky, pkg("zlib", "1.2.11-40.el9", "x86_64", "", "zlib", "1.2.11-40.el9"))); len(got) != 0 {
		t.Errorf("Rocky Linux record matched: %v", got)
	}
}

// TestEndToEnd indexes an AlmaLinux 9 layer holding the rpm package's
// SQLite database fixture with the real scanners, and matches the report
// against the feed fixture.
func TestEndToEnd(t *testing.T) {
	db := rpmfeedstest.RPMDatabase(t, "rpm.sqlite")
	ir := rpmfeedstest.Index(t, rpmfeedstest.NewIndexer(t, DistributionScanner{}), []layertest.Entry{
		layertest.File("etc/os-release", alma94),
		layertest.File("var/lib/rpm/rpmdb.sqlite", db),
	})
	got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), ir)
	want := map[string][]string{
		// Epoch 2 and a tilde: 2:3.1~rc1-4.lp1 < 2:3.1-1.lp1.
		"loupe-tools 2:3.1~rc1-4.lp1": {"ALSA-2024:0400"},
		"libloupe 2:3.1~rc1-4.lp1":    {"ALSA-2024:0400"},
		// In the loupe-nodejs:18 stream, noarch.
		"loupe-nodejs 18.19.0-1.module+el8.9.0+20473+c4e3d824": {"ALSA-2024:0400"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
}
