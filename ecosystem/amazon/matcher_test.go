package amazon

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
	vulns, _, err := parse(context.Background(), bytes.NewReader(fixture(t)), AL2, "aws-AL2-updater")
	if err != nil {
		t.Fatal(err)
	}
	return vulns
}

func TestMatcher(t *testing.T) {
	ir := report(AL2.Distribution(),
		pkg("kernel", "4.9.75-25.55.amzn2", "x86_64", "", "kernel", "4.9.75-25.55.amzn2"),
		// Every architecture: the updateinfo is the x86_64 repository's,
		// and the fixes are the same on aarch64.
		pkg("kernel", "4.9.75-25.55.amzn2", "aarch64", "", "kernel", "4.9.75-25.55.amzn2"),
		pkg("kernel", "4.9.76-38.79.amzn2", "x86_64", "", "kernel", "4.9.76-38.79.amzn2"),
		// Binary names: kernel-tools is not in the advisory.
		pkg("kernel-tools", "4.9.75-25.55.amzn2", "x86_64", "", "kernel", "4.9.75-25.55.amzn2"),
		// The epoch decides.
		pkg("openssl-libs", "1:1.0.2k-24.amzn2.0.6", "x86_64", "", "openssl", "1.0.2k-24.amzn2.0.6"),
		pkg("openssl-libs", "1.0.2z-1.amzn2", "i686", "", "openssl", "1.0.2z-1.amzn2"),
		pkg("openssl", "1:1.0.2k-24.amzn2.0.7", "x86_64", "", "openssl", "1.0.2k-24.amzn2.0.7"),
	)
	got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), ir)
	want := map[string][]string{
		"kernel 4.9.75-25.55.amzn2":          {"ALAS2-2018-939"},
		"openssl-libs 1:1.0.2k-24.amzn2.0.6": {"ALAS2-2023-2000"},
		"openssl-libs 1.0.2z-1.amzn2":        {"ALAS2-2023-2000"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	// Both kernels (x86_64 and aarch64) are affected.
	vr := rpmfeedstest.Match(t, Matcher(), parseFixture(t), report(AL2.Distribution(),
		pkg("kernel", "4.9.75-25.55.amzn2", "x86_64", "", "kernel", "4.9.75-25.55.amzn2"),
		pkg("kernel", "4.9.75-25.55.amzn2", "aarch64", "", "kernel", "4.9.75-25.55.amzn2")))
	if len(vr) != 1 {
		t.Errorf("matches %v", vr)
	}
	// AL2023 images are not matched with AL2's advisories.
	if got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), report(AL2023.Distribution(),
		pkg("kernel", "4.9.75-25.55.amzn2", "x86_64", "", "kernel", "4.9.75-25.55.amzn2"))); len(got) != 0 {
		t.Errorf("AL2023 matches %v", got)
	}
}

// TestEndToEnd indexes an Amazon Linux 2 layer holding the rpm package's
// Berkeley DB fixture, as Amazon Linux 2 keeps its database, with the
// real scanners, and matches the report against the feed fixture.
func TestEndToEnd(t *testing.T) {
	db := rpmfeedstest.RPMDatabase(t, "Packages.bdb")
	ir := rpmfeedstest.Index(t, rpmfeedstest.NewIndexer(t, DistributionScanner{}), []layertest.Entry{
		layertest.File("etc/os-release", al2),
		layertest.File("var/lib/rpm/Packages", db),
	})
	if len(ir.Packages) != 4 {
		t.Fatalf("%d packages indexed, want 4", len(ir.Packages))
	}
	got := rpmfeedstest.Match(t, Matcher(), parseFixture(t), ir)
	want := map[string][]string{
		// Epoch 2 and a tilde: 2:3.1~rc1-4.lp1 < 2:3.1-1.lp1.
		"loupe-tools 2:3.1~rc1-4.lp1": {"ALAS2-2024-2500"},
		"libloupe 2:3.1~rc1-4.lp1":    {"ALAS2-2024-2500"},
		// loupe-nodejs of the loupe-nodejs:18 stream is not matched by a
		// fix outside any stream; loupe-hello 1.0-1 is the fix itself.
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
}
