package fedora

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds/rpmfeedstest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// Fedora's os-release files, as the container images ship them.
const (
	fedora40 = `NAME="Fedora Linux"
VERSION="40 (Container Image)"
ID=fedora
VERSION_ID=40
VERSION_CODENAME=""
PLATFORM_ID="platform:f40"
PRETTY_NAME="Fedora Linux 40 (Container Image)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:40"
DEFAULT_HOSTNAME="fedora"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f40/system-administrators-guide/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=40
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=40
SUPPORT_END=2025-05-13
VARIANT="Container Image"
VARIANT_ID=container
`
	fedora39 = `NAME="Fedora Linux"
VERSION="39 (Container Image)"
ID=fedora
VERSION_ID=39
VERSION_CODENAME=""
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Container Image)"
CPE_NAME="cpe:/o:fedoraproject:fedora:39"
VARIANT="Container Image"
VARIANT_ID=container
`
	fedora33 = `NAME=Fedora
VERSION="33 (Container Image)"
ID=fedora
VERSION_ID=33
PRETTY_NAME="Fedora 33 (Container Image)"
CPE_NAME="cpe:/o:fedoraproject:fedora:33"
`
	rawhide = `NAME="Fedora Linux"
VERSION="42 (Container Image Prerelease)"
ID=fedora
VERSION_ID=42
VERSION_CODENAME=""
PLATFORM_ID="platform:f42"
PRETTY_NAME="Fedora Linux 42 (Container Image Prerelease)"
CPE_NAME="cpe:/o:fedoraproject:fedora:42"
REDHAT_BUGZILLA_PRODUCT_VERSION=rawhide
`
	centos9 = `NAME="CentOS Stream"
VERSION="9"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="9"
PRETTY_NAME="CentOS Stream 9"
CPE_NAME="cpe:/o:centos:centos:9"
`
)

var want40 = &loupe.Distribution{
	DID: "fedora", Name: "Fedora Linux", Version: "40 (Container Image)", VersionID: "40",
	PrettyName: "Fedora Linux 40 (Container Image)", CPE: "cpe:2.3:o:fedoraproject:fedora:40:*:*:*:*:*:*:*",
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDistributionScanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		{"40", fstest.MapFS{"etc/os-release": file(fedora40)}, want40},
		{"39", fstest.MapFS{"etc/os-release": file(fedora39)}, &loupe.Distribution{
			DID: "fedora", Name: "Fedora Linux", Version: "39 (Container Image)", VersionID: "39",
			PrettyName: "Fedora Linux 39 (Container Image)", CPE: "cpe:2.3:o:fedoraproject:fedora:39:*:*:*:*:*:*:*",
		}},
		{"33", fstest.MapFS{"etc/os-release": file(fedora33)}, &loupe.Distribution{
			DID: "fedora", Name: "Fedora", Version: "33 (Container Image)", VersionID: "33",
			PrettyName: "Fedora 33 (Container Image)", CPE: "cpe:2.3:o:fedoraproject:fedora:33:*:*:*:*:*:*:*",
		}},
		{"rawhide", fstest.MapFS{"etc/os-release": file(rawhide)}, &loupe.Distribution{
			DID: "fedora", Name: "Fedora Linux", Version: "42 (Container Image Prerelease)", VersionID: "42",
			PrettyName: "Fedora Linux 42 (Container Image Prerelease)", CPE: "cpe:2.3:o:fedoraproject:fedora:42:*:*:*:*:*:*:*",
		}},
		{"usr/lib only", fstest.MapFS{"usr/lib/os-release": file(fedora40)}, want40},
		{"release file only", fstest.MapFS{"etc/fedora-release": file("Fedora release 40 (Forty)\n")}, &loupe.Distribution{
			DID: "fedora", Name: "Fedora Linux", Version: "40 (Forty)", VersionID: "40",
			PrettyName: "Fedora Linux 40 (Forty)", CPE: "cpe:2.3:o:fedoraproject:fedora:40:*:*:*:*:*:*:*",
		}},
		{"rawhide release file", fstest.MapFS{"etc/fedora-release": file("Fedora release 42 (Rawhide)\n")}, &loupe.Distribution{
			DID: "fedora", Name: "Fedora Linux", Version: "42 (Rawhide)", VersionID: "42",
			PrettyName: "Fedora Linux 42 (Rawhide)", CPE: "cpe:2.3:o:fedoraproject:fedora:42:*:*:*:*:*:*:*",
		}},
		{"centos", fstest.MapFS{"etc/os-release": file(centos9)}, nil},
		{"other release file", fstest.MapFS{"etc/fedora-release": file("Rocky Linux release 9.4 (Blue Onyx)")}, nil},
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
	ir := rpmfeedstest.Index(t, ix, []layertest.Entry{
		layertest.Dir("etc"), layertest.Dir("usr/lib"),
		layertest.File("usr/lib/os-release", fedora40),
		layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
		layertest.File("etc/fedora-release", "Fedora release 40 (Forty)\n"),
		layertest.Symlink("etc/redhat-release", "fedora-release"),
		layertest.Symlink("etc/system-release", "fedora-release"),
	}, []layertest.Entry{layertest.File("etc/motd", "hello\n")})
	want := *want40
	want.ID = "1"
	if diff := cmp.Diff(map[string]*loupe.Distribution{"1": &want}, ir.Distributions); diff != "" {
		t.Errorf("distributions (-want +got):\n%s", diff)
	}
}
