package amazon

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds/rpmfeedstest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// Amazon Linux's os-release files, as the images ship them.
const (
	al1v201609 = `NAME="Amazon Linux AMI"
VERSION="2016.09"
ID="amzn"
ID_LIKE="rhel fedora"
VERSION_ID="2016.09"
PRETTY_NAME="Amazon Linux AMI 2016.09"
ANSI_COLOR="0;33"
CPE_NAME="cpe:/o:amazon:linux:2016.09:ga"
HOME_URL="http://aws.amazon.com/amazon-linux-ami/"
`
	al1v201803 = `NAME="Amazon Linux AMI"
VERSION="2018.03"
ID="amzn"
ID_LIKE="rhel fedora"
VERSION_ID="2018.03"
PRETTY_NAME="Amazon Linux AMI 2018.03"
ANSI_COLOR="0;33"
CPE_NAME="cpe:/o:amazon:linux:2018.03:ga"
HOME_URL="http://aws.amazon.com/amazon-linux-ami/"
`
	al2 = `NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"
PRETTY_NAME="Amazon Linux 2"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
HOME_URL="https://amazonlinux.com/"
SUPPORT_END="2026-06-30"
`
	al2023 = `NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.4.20240611"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2028-03-15"
`
	al2022 = `NAME="Amazon Linux"
VERSION="2022"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2022"
PLATFORM_ID="platform:al2022"
PRETTY_NAME="Amazon Linux 2022"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2022"
`
	fedora = `NAME="Fedora Linux"
VERSION="40 (Container Image)"
ID=fedora
VERSION_ID=40
CPE_NAME="cpe:/o:fedoraproject:fedora:40"
`
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestClairDistributions(t *testing.T) {
	// Clair's distributions, field for field.
	for r, want := range map[Release]loupe.Distribution{
		AL1:    {DID: "amzn", Name: "Amazon Linux AMI", Version: "2018.03", VersionID: "2018.03", PrettyName: "Amazon Linux AMI 2018.03", CPE: "cpe:2.3:o:amazon:linux:2018.03:ga:*:*:*:*:*:*"},
		AL2:    {DID: "amzn", Name: "Amazon Linux", Version: "2", VersionID: "2", PrettyName: "Amazon Linux 2", CPE: "cpe:2.3:o:amazon:amazon_linux:2:*:*:*:*:*:*:*"},
		AL2023: {DID: "amzn", Name: "Amazon Linux", Version: "2023", VersionID: "2023", PrettyName: "Amazon Linux 2023", CPE: "cpe:2.3:o:amazon:amazon_linux:2023:*:*:*:*:*:*:*"},
	} {
		if diff := cmp.Diff(&want, r.Distribution()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", r, diff)
		}
	}
	if Release("AL2022").Distribution() != nil {
		t.Error("AL2022 has a distribution")
	}
}

func TestDistributionScanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want Release
	}{
		{"AL1 2016.09", fstest.MapFS{"etc/os-release": file(al1v201609)}, AL1},
		{"AL1 2018.03", fstest.MapFS{"etc/os-release": file(al1v201803)}, AL1},
		{"AL2", fstest.MapFS{"etc/os-release": file(al2)}, AL2},
		{"AL2023", fstest.MapFS{"etc/os-release": file(al2023)}, AL2023},
		{"AL2023 usr/lib", fstest.MapFS{"usr/lib/os-release": file(al2023)}, AL2023},
		{"AL2022 preview", fstest.MapFS{"etc/os-release": file(al2022)}, ""},
		{"no CPE_NAME", fstest.MapFS{"etc/os-release": file("ID=amzn\nVERSION_ID=2\n")}, AL2},
		{"no CPE_NAME, 2023 point release", fstest.MapFS{"etc/os-release": file("ID=amzn\nVERSION_ID=2023.4\n")}, AL2023},
		{"fedora", fstest.MapFS{"etc/os-release": file(fedora), "etc/system-release": file("Amazon Linux release 2 (Karoo)")}, ""},
		{"AL2 system-release", fstest.MapFS{"etc/system-release": file("Amazon Linux release 2 (Karoo)\n")}, AL2},
		{"AL1 system-release", fstest.MapFS{"etc/system-release": file("Amazon Linux AMI release 2018.03\n")}, AL1},
		{"AL2023 amazon-linux-release", fstest.MapFS{"etc/amazon-linux-release": file("Amazon Linux release 2023.4.20240611 (Amazon Linux)\n")}, AL2023},
		{"other system-release", fstest.MapFS{"etc/system-release": file("Fedora release 40 (Forty)\n")}, ""},
		{"nothing", fstest.MapFS{"etc/hostname": file("x")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DistributionScanner{}.Scan(context.Background(), tc.fs)
			if err != nil {
				t.Fatal(err)
			}
			var want []*loupe.Distribution
			if d := tc.want.Distribution(); d != nil {
				want = []*loupe.Distribution{d}
			}
			if diff := cmp.Diff(want, f.Distributions); diff != "" {
				t.Errorf("distributions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDistributionLayers indexes real layers and checks that the report
// names the distribution exactly.
func TestDistributionLayers(t *testing.T) {
	ix := rpmfeedstest.NewIndexer(t, DistributionScanner{})
	for _, tc := range []struct {
		name   string
		layers [][]layertest.Entry
		want   Release
	}{
		{"AL2023 base", [][]layertest.Entry{{
			layertest.Dir("etc"), layertest.Dir("usr/lib"),
			layertest.File("usr/lib/os-release", al2023),
			layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
			layertest.File("etc/amazon-linux-release", "Amazon Linux release 2023.4.20240611 (Amazon Linux)\n"),
			layertest.Symlink("etc/system-release", "amazon-linux-release"),
		}}, AL2023},
		{"AL2 base and app", [][]layertest.Entry{
			{layertest.File("etc/os-release", al2), layertest.File("etc/system-release", "Amazon Linux release 2 (Karoo)\n")},
			{layertest.File("opt/app/run.sh", "#!/bin/sh\n")},
		}, AL2},
		{"AL1", [][]layertest.Entry{{layertest.File("etc/os-release", al1v201803)}}, AL1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ir := rpmfeedstest.Index(t, ix, tc.layers...)
			want := tc.want.Distribution()
			want.ID = "1"
			if diff := cmp.Diff(map[string]*loupe.Distribution{"1": want}, ir.Distributions); diff != "" {
				t.Errorf("distributions (-want +got):\n%s", diff)
			}
		})
	}
}
