package mariner_test

import (
	"bytes"
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/mariner"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
)

const (
	cm2 = `NAME="Common Base Linux Mariner"
VERSION="2.0.20240123"
ID=mariner
VERSION_ID="2.0"
PRETTY_NAME="CBL-Mariner/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/cbl-mariner"
BUG_REPORT_URL="https://aka.ms/cbl-mariner"
SUPPORT_URL="https://aka.ms/cbl-mariner"
`
	azl3 = `NAME="Microsoft Azure Linux"
VERSION="3.0.20240727"
ID=azurelinux
VERSION_ID="3.0"
PRETTY_NAME="Microsoft Azure Linux 3.0"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/azurelinux"
BUG_REPORT_URL="https://aka.ms/azurelinux"
SUPPORT_URL="https://aka.ms/azurelinux"
`
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestDistributionScanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want *loupe.Distribution
	}{
		{"cbl-mariner 2.0", fstest.MapFS{"etc/os-release": file(cm2)}, mariner.Mariner("2.0")},
		{"azure linux 3.0", fstest.MapFS{"usr/lib/os-release": file(azl3)}, mariner.AzureLinux("3.0")},
		{"mariner-release", fstest.MapFS{"etc/mariner-release": file("CBL-Mariner 2.0.20240123\nMARINER_BUILD_NUMBER=a1b2c3\n")}, mariner.Mariner("2.0")},
		{"azurelinux-release", fstest.MapFS{"etc/azurelinux-release": file("Microsoft Azure Linux 3.0.20240727\nAZURELINUX_BUILD_NUMBER=a1b2c3\n")}, mariner.AzureLinux("3.0")},
		{"cbl-mariner 1.0", fstest.MapFS{"etc/os-release": file("NAME=\"Common Base Linux Mariner\"\nID=mariner\nVERSION_ID=1.0\nPRETTY_NAME=\"CBL-Mariner/Linux\"\n")}, mariner.Mariner("1.0")},
		{"other", fstest.MapFS{"etc/os-release": file("ID=fedora\nVERSION_ID=40\n"), "etc/mariner-release": file("CBL-Mariner 2.0")}, nil},
		{"no version", fstest.MapFS{"etc/os-release": file("ID=mariner\n")}, nil},
		{"nothing", fstest.MapFS{"etc/hostname": file("x")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := mariner.DistributionScanner{}.Scan(context.Background(), tc.fs)
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

// TestLayer reads a real Azure Linux 3.0 layer (zstd, as Microsoft
// ships them) and checks the distribution.
func TestLayer(t *testing.T) {
	blob := layertest.Zstd(layertest.Tar(
		layertest.File("etc/os-release", azl3),
		layertest.File("etc/azurelinux-release", "Microsoft Azure Linux 3.0.20240727\n"),
	))
	want := []*loupe.Distribution{{DID: "azurelinux", Name: "Microsoft Azure Linux", Version: "3.0", VersionID: "3.0", PrettyName: "Microsoft Azure Linux 3.0"}}
	if diff := cmp.Diff(want, scanLayer(t, mariner.DistributionScanner{}, blob)); diff != "" {
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
