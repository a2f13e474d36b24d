package photon_test

import (
	"bytes"
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/photon"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
)

const (
	photon5 = `NAME="VMware Photon OS"
VERSION="5.0"
ID=photon
VERSION_ID=5.0
PRETTY_NAME="VMware Photon OS/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://vmware.github.io/photon/"
BUG_REPORT_URL="https://github.com/vmware/photon/issues"
`
	photon1 = `NAME="VMware Photon"
VERSION="1.0"
ID=photon
VERSION_ID=1.0
PRETTY_NAME="VMware Photon/Linux"
`
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDistributionScanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		{"5.0", fstest.MapFS{"etc/os-release": file(photon5)}, photon.Distribution("5.0")},
		{"1.0", fstest.MapFS{"usr/lib/os-release": file(photon1)}, photon.Distribution("1.0")},
		{"major only", fstest.MapFS{"etc/os-release": file("ID=photon\nVERSION_ID=4\n")}, photon.Distribution("4.0")},
		{"photon-release", fstest.MapFS{"etc/photon-release": file("VMware Photon OS 3.0\nPHOTON_BUILD_NUMBER=a1b2c3d\n")}, photon.Distribution("3.0")},
		{"photon-release 1.0", fstest.MapFS{"etc/photon-release": file("VMware Photon Linux 1.0\nPHOTON_BUILD_NUMBER=62c543d\n")}, photon.Distribution("1.0")},
		{"other", fstest.MapFS{"etc/os-release": file("ID=fedora\nVERSION_ID=40\n"), "etc/photon-release": file("VMware Photon OS 5.0")}, nil},
		{"nothing", fstest.MapFS{"etc/hostname": file("x")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := photon.DistributionScanner{}.Scan(context.Background(), tc.fs)
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

// TestLayer reads a real Photon OS 5.0 layer and checks that the
// distribution is the one Clair reports.
func TestLayer(t *testing.T) {
	blob := layertest.Gzip(layertest.Tar(
		layertest.File("etc/os-release", photon5),
		layertest.File("etc/photon-release", "VMware Photon OS 5.0\nPHOTON_BUILD_NUMBER=dde71ec57\n"),
	))
	want := []*loupe.Distribution{{DID: "photon", Name: "VMware Photon OS", Version: "5.0", VersionID: "5.0", PrettyName: "VMware Photon OS/Linux"}}
	if diff := cmp.Diff(want, scanLayer(t, photon.DistributionScanner{}, blob)); diff != "" {
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
