package suse_test

import (
	"bytes"
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/suse"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
)

const (
	sles15sp5 = `NAME="SLES"
VERSION="15-SP5"
VERSION_ID="15.5"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"
ID="sles"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:sles:15:sp5"
DOCUMENTATION_URL="https://documentation.suse.com/"
`
	leap155 = `NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.5"
BUG_REPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org/"
`
	tumbleweed = `NAME="openSUSE Tumbleweed"
# VERSION="20240404"
ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
VERSION_ID="20240404"
PRETTY_NAME="openSUSE Tumbleweed"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:tumbleweed:20240404"
`
	slesSAP = `NAME="SLES"
VERSION="15-SP5"
VERSION_ID="15.5"
PRETTY_NAME="SUSE Linux Enterprise Server for SAP Applications 15 SP5"
ID="sles_sap"
CPE_NAME="cpe:/o:suse:sles_sap:15:sp5"
`
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDistributionScanner(t *testing.T) {
	sles15 := &loupe.Distribution{DID: "sles", Name: "SLES", Version: "15", VersionID: "15", PrettyName: "SUSE Linux Enterprise Server 15"}
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		// SLES is its major release, as in Clair.
		{"sles 15 sp5", fstest.MapFS{"etc/os-release": file(sles15sp5)}, sles15},
		{"usr/lib", fstest.MapFS{"usr/lib/os-release": file(sles15sp5)}, sles15},
		{"leap", fstest.MapFS{"etc/os-release": file(leap155)}, &loupe.Distribution{DID: "opensuse-leap", Name: "openSUSE Leap", Version: "15.5", VersionID: "15.5", PrettyName: "openSUSE Leap 15.5"}},
		{"tumbleweed", fstest.MapFS{"etc/os-release": file(tumbleweed)}, &loupe.Distribution{DID: "opensuse-tumbleweed", Name: "openSUSE Tumbleweed", Version: "20240404", VersionID: "20240404", PrettyName: "openSUSE Tumbleweed", CPE: "cpe:2.3:o:opensuse:tumbleweed:20240404:*:*:*:*:*:*:*"}},
		{"no CPE", fstest.MapFS{"etc/os-release": file("ID=sles\nVERSION_ID=\"12.5\"\n")}, suse.SLES("12")},
		{"no CPE leap", fstest.MapFS{"etc/os-release": file("ID=opensuse-leap\nVERSION_ID=\"15.6\"\n")}, suse.Leap("15.6")},
		{"sles 11", fstest.MapFS{"etc/SuSE-release": file("SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n")}, suse.SLES("11")},
		// Other SUSE products are not reported, as in Clair.
		{"sles for sap", fstest.MapFS{"etc/os-release": file(slesSAP)}, nil},
		{"debian", fstest.MapFS{"etc/os-release": file("ID=debian\nVERSION_ID=12\n"), "etc/SuSE-release": file("SUSE Linux Enterprise Server 11")}, nil},
		{"nothing", fstest.MapFS{"etc/hostname": file("x")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := suse.DistributionScanner{}.Scan(context.Background(), tc.fs)
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

// TestLayer reads a real SLE BCI 15 SP5 layer and checks that the
// distribution is the one Clair reports.
func TestLayer(t *testing.T) {
	blob := layertest.Gzip(layertest.Tar(
		layertest.File("usr/lib/os-release", sles15sp5),
		layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
	))
	want := []*loupe.Distribution{{DID: "sles", Name: "SLES", Version: "15", VersionID: "15", PrettyName: "SUSE Linux Enterprise Server 15"}}
	if diff := cmp.Diff(want, scanLayer(t, suse.DistributionScanner{}, blob)); diff != "" {
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
