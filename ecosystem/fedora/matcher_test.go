package fedora

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
	vulns, _, err := parse(context.Background(), bytes.NewReader(fixture(t)))
	if err != nil {
		t.Fatal(err)
	}
	return vulns
}

func TestMatcher(t *testing.T) {
	ir := report(want40,
		// By source, the source's version with the binary's epoch.
		pkg("openssl-libs", "1:3.2.1-1.fc40", "x86_64", "", "openssl", "3.2.1-1.fc40"),
		pkg("openssl-libs", "1:3.2.1-2.fc40", "x86_64", "", "openssl", "3.2.1-2.fc40"),
		// The epoch decides: 3.3.0 with no epoch is before 1:3.2.1.
		pkg("openssl-compat", "3.3.0-1.fc40", "x86_64", "", "openssl", "3.3.0-1.fc40"),
		// A subpackage versioned apart from its source: the source's
		// version is compared.
		pkg("python3-libs", "3.12.1-2.fc40", "x86_64", "", "python3.12", "3.12.1-2.fc40"),
		pkg("python-unversioned-command", "3.12.1-2.fc40", "noarch", "", "python3.12", "3.12.1-2.fc40"),
		pkg("python3-idle-docs", "99.0-1.fc40", "noarch", "", "python3.12", "3.12.1-2.fc40"),
		// Another release's fix.
		pkg("libxml2", "2.10.4-1.fc40", "x86_64", "", "libxml2", "2.10.4-1.fc40"),
		// Not fixed in a stable update.
		pkg("curl", "8.5.0-1.fc40", "x86_64", "", "curl", "8.5.0-1.fc40"),
	)
	got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), ir)
	want := map[string][]string{
		"openssl-libs 1:3.2.1-1.fc40":              {"FEDORA-2024-1a2b3c4d5e"},
		"openssl-compat 3.3.0-1.fc40":              {"FEDORA-2024-1a2b3c4d5e"},
		"python3-libs 3.12.1-2.fc40":               {"FEDORA-2024-2b3c4d5e6f"},
		"python-unversioned-command 3.12.1-2.fc40": {"FEDORA-2024-2b3c4d5e6f"},
		"python3-idle-docs 99.0-1.fc40":            {"FEDORA-2024-2b3c4d5e6f"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	f39 := Distribution("39")
	got = rpmfeedstest.Match(t, Matcher(), parseFixture(t), report(f39, pkg("libxml2", "2.10.4-1.fc39", "x86_64", "", "libxml2", "2.10.4-1.fc39")))
	if diff := cmp.Diff(map[string][]string{"libxml2 2.10.4-1.fc39": {"FEDORA-2024-3c4d5e6f7a"}}, got); diff != "" {
		t.Errorf("Fedora 39 matches (-want +got):\n%s", diff)
	}
}

// TestEndToEnd indexes a Fedora 40 layer holding the rpm package's SQLite
// database fixture with the real scanners, and matches the report
// against the feed fixture.
func TestEndToEnd(t *testing.T) {
	db := rpmfeedstest.RPMDatabase(t, "rpm.sqlite")
	ir := rpmfeedstest.Index(t, rpmfeedstest.NewIndexer(t, DistributionScanner{}), []layertest.Entry{
		layertest.File("etc/os-release", fedora40),
		layertest.File("usr/lib/sysimage/rpm/rpmdb.sqlite", db),
	})
	got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), ir)
	want := map[string][]string{
		// Epoch 2 and a tilde: 2:3.1~rc1-4.lp1 < 2:3.1-1.lp1.
		"loupe-tools 2:3.1~rc1-4.lp1": {"FEDORA-2024-5e6f7a8b9c"},
		// By its source, loupe-tools.
		"libloupe 2:3.1~rc1-4.lp1": {"FEDORA-2024-5e6f7a8b9c"},
		// loupe-nodejs of the loupe-nodejs:18 stream is not matched by a
		// fix outside any stream; loupe-hello 1.0-1 is the fix itself.
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
}
