package oracle_test

import (
	"bytes"
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/oracle"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
)

const (
	ol89 = `NAME="Oracle Linux Server"
VERSION="8.9"
ID="ol"
ID_LIKE="fedora"
VARIANT="Server"
VARIANT_ID="server"
VERSION_ID="8.9"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Oracle Linux Server 8.9"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:oracle:linux:8:9:server"
HOME_URL="https://linux.oracle.com/"
`
	ol94 = `NAME="Oracle Linux Server"
VERSION="9.4"
ID="ol"
ID_LIKE="fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Oracle Linux Server 9.4"
CPE_NAME="cpe:/o:oracle:linux:9:4:server"
`
	rhel9 = `NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
VERSION_ID="9.4"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
`
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDistributionScanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		{"ol8", fstest.MapFS{"etc/os-release": file(ol89)}, oracle.Distribution(8)},
		{"usr/lib", fstest.MapFS{"usr/lib/os-release": file(ol94)}, oracle.Distribution(9)},
		{"no ID", fstest.MapFS{"etc/os-release": file("NAME=\"Oracle Linux Server\"\nVERSION_ID=\"7.9\"\nPRETTY_NAME=\"Oracle Linux Server 7.9\"\n")}, oracle.Distribution(7)},
		// Oracle Linux 6 has no os-release, and a redhat-release
		// that names Red Hat.
		{"ol6", fstest.MapFS{
			"etc/oracle-release": file("Oracle Linux Server release 6.10\n"),
			"etc/redhat-release": file("Red Hat Enterprise Linux Server release 6.10 (Santiago)\n"),
		}, oracle.Distribution(6)},
		{"ol5 issue", fstest.MapFS{"etc/issue": file("Oracle Linux Server release 5.11\nKernel \\r on an \\m\n")}, oracle.Distribution(5)},
		{"rhel", fstest.MapFS{"etc/os-release": file(rhel9), "etc/issue": file("Oracle Linux Server release 5.11")}, nil},
		{"unknown release", fstest.MapFS{"etc/oracle-release": file("Oracle Linux Server release 4.8\n")}, nil},
		{"no version", fstest.MapFS{"etc/os-release": file("ID=ol\n")}, nil},
		{"nothing", fstest.MapFS{"etc/hostname": file("x")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := oracle.DistributionScanner{}.Scan(context.Background(), tc.fs)
			if err != nil {
				t.Fatal(err)
			}
			var want []*loupe.Distribution
			if tc.want != nil {
				want = []*loupe.Distribution{tc.want}
			}
			if diff := cmp.Diff(want, f.Distributions); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLayer reads a real Oracle Linux 8 layer (os-release a link into
// usr/lib, as the images have it) and checks that the distribution is the
// one Clair reports.
func TestLayer(t *testing.T) {
	blob := layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("usr/lib/os-release", ol89),
		layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
		layertest.File("etc/oracle-release", "Oracle Linux Server release 8.9\n"),
		layertest.File("etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n"),
	))
	want := []*loupe.Distribution{{DID: "ol", Name: "Oracle Linux Server", Version: "8", VersionID: "8",
		VersionCodeName: "Oracle Linux 8", PrettyName: "Oracle Linux Server 8"}}
	if diff := cmp.Diff(want, scanLayer(t, oracle.DistributionScanner{}, blob)); diff != "" {
		t.Errorf("distributions (-want +got):\n%s", diff)
	}
}

// scanLayer reads a real layer blob in one pass, as the indexer does,
// and runs the distribution scanner on what it kept.
func scanLayer(t *testing.T, s indexer.Scanner, blob []byte) []*loupe.Distribution {
	t.Helper()
	c, err := layer.Read(context.Background(), bytes.NewReader(blob), layer.NewPatterns(s.Patterns()...), layer.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Scan(context.Background(), c.FS())
	if err != nil {
		t.Fatal(err)
	}
	return f.Distributions
}
