package alma

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds/rpmfeedstest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// AlmaLinux's os-release files, as the images ship them.
const (
	alma94 = `NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-9"
ALMALINUX_MANTISBT_PROJECT_VERSION="9.4"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
SUPPORT_END=2032-06-01
`
	alma89 = `NAME="AlmaLinux"
VERSION="8.9 (Midnight Oncilla)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.9"
PLATFORM_ID="platform:el8"
PRETTY_NAME="AlmaLinux 8.9 (Midnight Oncilla)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:8::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-8"
ALMALINUX_MANTISBT_PROJECT_VERSION="8.9"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="8.9"
`
	rocky94 = `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
VERSION_ID="9.4"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
`
)

var (
	want94 = &loupe.Distribution{
		DID: "almalinux", Name: "AlmaLinux", Version: "9.4 (Seafoam Ocelot)", VersionID: "9.4",
		PrettyName: "AlmaLinux 9.4 (Seafoam Ocelot)", CPE: "cpe:2.3:o:almalinux:almalinux:9:*:baseos:*:*:*:*:*",
	}
	want89 = &loupe.Distribution{
		DID: "almalinux", Name: "AlmaLinux", Version: "8.9 (Midnight Oncilla)", VersionID: "8.9",
		PrettyName: "AlmaLinux 8.9 (Midnight Oncilla)", CPE: "cpe:2.3:o:almalinux:almalinux:8:*:baseos:*:*:*:*:*",
	}
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDistributionScanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		{"9.4", fstest.MapFS{"etc/os-release": file(alma94)}, want94},
		{"8.9", fstest.MapFS{"etc/os-release": file(alma89)}, want89},
		{"usr/lib only", fstest.MapFS{"usr/lib/os-release": file(alma94)}, want94},
		{"etc wins", fstest.MapFS{"etc/os-release": file(alma89), "usr/lib/os-release": file(alma94)}, want89},
		{"release file only", fstest.MapFS{"etc/almalinux-release": file("AlmaLinux release 9.4 (Seafoam Ocelot)\n")}, &loupe.Distribution{
			DID: "almalinux", Name: "AlmaLinux", Version: "9.4 (Seafoam Ocelot)", VersionID: "9.4",
			PrettyName: "AlmaLinux 9.4 (Seafoam Ocelot)", CPE: "cpe:2.3:o:almalinux:almalinux:9:*:*:*:*:*:*:*",
		}},
		{"rocky", fstest.MapFS{"etc/os-release": file(rocky94), "etc/almalinux-release": file("AlmaLinux release 9.4 (Seafoam Ocelot)\n")}, nil},
		{"no VERSION_ID", fstest.MapFS{"etc/os-release": file("ID=almalinux\n")}, nil},
		{"garbage release file", fstest.MapFS{"etc/almalinux-release": file("\xff\xfe")}, nil},
		{"nothing", fstest.MapFS{"etc/hostname": file("x")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DistributionScanner{}.Scan(context.Background(), tc.fs)
			if err != nil {
				t.Fatal(err)
			}
			var want []*loupe.Distribution
			if tc.want != nil {
				want = []*loupe.Distribution{tc.want}
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
		want   *loupe.Distribution
	}{
		{"alma 9 base", [][]layertest.Entry{{
			layertest.Dir("etc"), layertest.Dir("usr/lib"),
			layertest.File("usr/lib/os-release", alma94),
			layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
			layertest.File("etc/almalinux-release", "AlmaLinux release 9.4 (Seafoam Ocelot)\n"),
			layertest.Symlink("etc/redhat-release", "almalinux-release"),
			layertest.Symlink("etc/system-release", "almalinux-release"),
		}}, want94},
		{"alma 8, app layer on top", [][]layertest.Entry{
			{layertest.File("etc/os-release", alma89)},
			{layertest.File("srv/app.jar", "PK")},
		}, want89},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ir := rpmfeedstest.Index(t, ix, tc.layers...)
			want := *tc.want
			want.ID = "1"
			if diff := cmp.Diff(map[string]*loupe.Distribution{"1": &want}, ir.Distributions); diff != "" {
				t.Errorf("distributions (-want +got):\n%s", diff)
			}
		})
	}
}
