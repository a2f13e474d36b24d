package rocky

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds/rpmfeedstest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// Rocky Linux's os-release files, as the images ship them.
const (
	rocky94 = `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.4"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
`
	rocky89 = `NAME="Rocky Linux"
VERSION="8.9 (Green Obsidian)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.9"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Rocky Linux 8.9 (Green Obsidian)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:8:GA"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2029-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-8"
ROCKY_SUPPORT_PRODUCT_VERSION="8.9"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="8.9"
`
	alma94 = `NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
`
)

var (
	want94 = &loupe.Distribution{
		DID: "rocky", Name: "Rocky Linux", Version: "9.4 (Blue Onyx)", VersionID: "9.4",
		PrettyName: "Rocky Linux 9.4 (Blue Onyx)", CPE: "cpe:2.3:o:rocky:rocky:9:*:baseos:*:*:*:*:*",
	}
	want89 = &loupe.Distribution{
		DID: "rocky", Name: "Rocky Linux", Version: "8.9 (Green Obsidian)", VersionID: "8.9",
		PrettyName: "Rocky Linux 8.9 (Green Obsidian)", CPE: "cpe:2.3:o:rocky:rocky:8:ga:*:*:*:*:*:*",
	}
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDistributionScanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		{"9.4", fstest.MapFS{"etc/os-release": file(rocky94)}, want94},
		{"8.9", fstest.MapFS{"etc/os-release": file(rocky89)}, want89},
		{"usr/lib only", fstest.MapFS{"usr/lib/os-release": file(rocky94)}, want94},
		{"etc wins", fstest.MapFS{"etc/os-release": file(rocky89), "usr/lib/os-release": file(rocky94)}, want89},
		{"release file only", fstest.MapFS{"etc/rocky-release": file("Rocky Linux release 9.4 (Blue Onyx)\n")}, &loupe.Distribution{
			DID: "rocky", Name: "Rocky Linux", Version: "9.4 (Blue Onyx)", VersionID: "9.4",
			PrettyName: "Rocky Linux 9.4 (Blue Onyx)", CPE: "cpe:2.3:o:rocky:rocky:9:*:*:*:*:*:*:*",
		}},
		{"os-release wins over release file", fstest.MapFS{"etc/os-release": file(alma94), "etc/rocky-release": file("Rocky Linux release 9.4 (Blue Onyx)\n")}, nil},
		{"alma", fstest.MapFS{"etc/os-release": file(alma94)}, nil},
		{"no VERSION_ID", fstest.MapFS{"etc/os-release": file("ID=rocky\nNAME=\"Rocky Linux\"\n")}, nil},
		{"garbage release file", fstest.MapFS{"etc/rocky-release": file("\x00\x01garbage")}, nil},
		{"other release file", fstest.MapFS{"etc/rocky-release": file("AlmaLinux release 9.4 (Seafoam Ocelot)")}, nil},
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
		{"rocky 9 base", [][]layertest.Entry{{
			layertest.Dir("etc"), layertest.Dir("usr/lib"),
			layertest.File("usr/lib/os-release", rocky94),
			layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
			layertest.File("etc/rocky-release", "Rocky Linux release 9.4 (Blue Onyx)\n"),
			layertest.Symlink("etc/redhat-release", "rocky-release"),
			layertest.Symlink("etc/system-release", "rocky-release"),
		}}, want94},
		{"rocky 8, app layer on top", [][]layertest.Entry{
			{layertest.File("etc/os-release", rocky89)},
			{layertest.File("app/main.py", "print('hi')\n")},
		}, want89},
		{"os-release deleted", [][]layertest.Entry{
			{layertest.File("etc/os-release", rocky94), layertest.File("etc/rocky-release", "Rocky Linux release 9.4 (Blue Onyx)\n")},
			{layertest.Whiteout("etc", "os-release"), layertest.File("etc/rocky-release", "Rocky Linux release 9.5 (Blue Onyx)\n")},
		}, &loupe.Distribution{
			DID: "rocky", Name: "Rocky Linux", Version: "9.5 (Blue Onyx)", VersionID: "9.5",
			PrettyName: "Rocky Linux 9.5 (Blue Onyx)", CPE: "cpe:2.3:o:rocky:rocky:9:*:*:*:*:*:*:*",
		}},
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
