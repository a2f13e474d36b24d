package ubuntu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/ecosystem/ubuntu"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
)

// osRelease renders an Ubuntu os-release in the shape base-files writes.
func osRelease(point, codename, animal string) string {
	ver := point
	if n := len(point); n > 5 && point[5] == '.' {
		ver = point[:5]
	}
	lts := ""
	if ver[3:] == "04" && (ver[0]-'0')%2 == 0 {
		lts = " LTS"
	}
	return fmt.Sprintf(`PRETTY_NAME="Ubuntu %[1]s%[4]s"
NAME="Ubuntu"
VERSION_ID="%[2]s"
VERSION="%[1]s%[4]s (%[5]s)"
VERSION_CODENAME=%[3]s
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=%[3]s
LOGO=ubuntu-logo
`, point, ver, codename, lts, animal)
}

// lsbRelease renders an Ubuntu etc/lsb-release.
func lsbRelease(ver, codename, desc string) string {
	return fmt.Sprintf("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=%s\nDISTRIB_CODENAME=%s\nDISTRIB_DESCRIPTION=%q\n", ver, codename, desc)
}

// ubuntuBase is the release files of an Ubuntu base layer: os-release in
// usr/lib with etc/os-release linking to it, lsb-release, and the
// debian_version every Ubuntu ships.
func ubuntuBase(point, codename, animal string) []layertest.Entry {
	ver := point[:5]
	return []layertest.Entry{
		layertest.Dir("etc"),
		layertest.File("etc/debian_version", "trixie/sid\n"),
		layertest.File("etc/lsb-release", lsbRelease(ver, codename, "Ubuntu "+point)),
		layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
		layertest.Dir("usr/lib"),
		layertest.File("usr/lib/os-release", osRelease(point, codename, animal)),
	}
}

// scan reads a layer blob as the indexer does, keeping what the Ubuntu
// and Debian distribution scanners ask for, and runs both.
func scan(t *testing.T, blob []byte) (ubuntuDists, debianDists []*loupe.Distribution) {
	t.Helper()
	us, ds := ubuntu.DistributionScanner{}, debian.DistributionScanner{}
	sel := layer.NewPatterns(append(us.Patterns(), ds.Patterns()...)...)
	c, err := layer.Read(context.Background(), bytes.NewReader(blob), sel, layer.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	uf, err := us.Scan(context.Background(), c.FS())
	if err != nil {
		t.Fatal(err)
	}
	df, err := ds.Scan(context.Background(), c.FS())
	if err != nil {
		t.Fatal(err)
	}
	return uf.Distributions, df.Distributions
}

func TestDistributionLayers(t *testing.T) {
	dist := func(ver, codename, title string) *loupe.Distribution {
		return &loupe.Distribution{DID: "ubuntu", Name: "Ubuntu", VersionID: ver, VersionCodeName: codename,
			Version: ver + " (" + title + ")", PrettyName: "Ubuntu " + ver}
	}
	mint := `NAME="Linux Mint"
VERSION="21.3 (Virginia)"
ID=linuxmint
ID_LIKE="ubuntu debian"
VERSION_ID="21.3"
VERSION_CODENAME=virginia
UBUNTU_CODENAME=jammy
`
	for _, tc := range []struct {
		name    string
		entries []layertest.Entry
		want    *loupe.Distribution
	}{
		{"20.04 focal", ubuntuBase("20.04.6", "focal", "Focal Fossa"), dist("20.04", "focal", "Focal")},
		{"22.04 jammy", ubuntuBase("22.04.5", "jammy", "Jammy Jellyfish"), dist("22.04", "jammy", "Jammy")},
		{"24.04 noble", ubuntuBase("24.04.1", "noble", "Noble Numbat"), dist("24.04", "noble", "Noble")},
		{"24.10 oracular", ubuntuBase("24.10", "oracular", "Oracular Oriole"), dist("24.10", "oracular", "Oracular")},
		{"25.04 plucky", ubuntuBase("25.04", "plucky", "Plucky Puffin"), dist("25.04", "plucky", "Plucky")},
		{"25.10 questing", ubuntuBase("25.10", "questing", "Questing Quokka"), dist("25.10", "questing", "Questing")},
		{
			// A release newer than Loupe's table: os-release names it.
			"future release",
			[]layertest.Entry{layertest.File("etc/os-release", osRelease("27.04", "zephyr", "Zephyr Zebra"))},
			dist("27.04", "zephyr", "Zephyr"),
		},
		{
			"os-release in etc only",
			[]layertest.Entry{layertest.File("etc/os-release", osRelease("24.04", "noble", "Noble Numbat"))},
			dist("24.04", "noble", "Noble"),
		},
		{
			"usr/lib/os-release only",
			[]layertest.Entry{layertest.File("usr/lib/os-release", osRelease("22.04.4", "jammy", "Jammy Jellyfish"))},
			dist("22.04", "jammy", "Jammy"),
		},
		{
			"lsb-release only",
			[]layertest.Entry{layertest.File("etc/lsb-release", lsbRelease("18.04", "bionic", "Ubuntu 18.04.6 LTS"))},
			dist("18.04", "bionic", "Bionic"),
		},
		{
			// etc/os-release links into a lower layer: this layer's
			// lsb-release decides.
			"dangling os-release link",
			[]layertest.Entry{
				layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
				layertest.File("etc/lsb-release", lsbRelease("24.04", "noble", "Ubuntu 24.04.1 LTS")),
			},
			dist("24.04", "noble", "Noble"),
		},
		{
			"lsb-release without codename",
			[]layertest.Entry{layertest.File("etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\n")},
			dist("20.04", "focal", "Focal"),
		},
		{
			// 14.04's os-release has no VERSION_CODENAME.
			"trusty os-release",
			[]layertest.Entry{layertest.File("etc/os-release", "NAME=\"Ubuntu\"\nVERSION=\"14.04.6 LTS, Trusty Tahr\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"Ubuntu 14.04.6 LTS\"\nVERSION_ID=\"14.04\"\n")},
			dist("14.04", "trusty", "Trusty"),
		},
		{
			"codename only",
			[]layertest.Entry{layertest.File("etc/os-release", "ID=ubuntu\nVERSION_CODENAME=noble\n")},
			dist("24.04", "noble", "Noble"),
		},
		{"neither version nor codename", []layertest.Entry{layertest.File("etc/os-release", "ID=ubuntu\nNAME=Ubuntu\n")}, nil},
		{
			// A stripped os-release is completed by lsb-release.
			"os-release without the release",
			[]layertest.Entry{
				layertest.File("etc/os-release", "ID=ubuntu\nNAME=Ubuntu\n"),
				layertest.File("etc/lsb-release", lsbRelease("25.04", "plucky", "Ubuntu 25.04")),
			},
			dist("25.04", "plucky", "Plucky"),
		},
		{
			// ... but not by an lsb-release about another release.
			"lsb-release of another release",
			[]layertest.Entry{
				layertest.File("etc/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\n"),
				layertest.File("etc/lsb-release", lsbRelease("24.04", "noble", "Ubuntu 24.04")),
			},
			dist("22.04", "jammy", "Jammy"),
		},
		{
			"derivative",
			[]layertest.Entry{
				layertest.File("etc/os-release", mint),
				layertest.File("etc/lsb-release", "DISTRIB_ID=LinuxMint\nDISTRIB_RELEASE=21.3\nDISTRIB_CODENAME=virginia\n"),
			},
			nil,
		},
		{
			// os-release settles it, whatever lsb-release says.
			"os-release of another distribution",
			[]layertest.Entry{
				layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
				layertest.File("etc/lsb-release", lsbRelease("22.04", "jammy", "Ubuntu 22.04")),
			},
			nil,
		},
		{"no release files", []layertest.Entry{layertest.File("var/lib/dpkg/status", "")}, nil},
		{"os-release is a directory", []layertest.Entry{layertest.Dir("etc/os-release"), layertest.File("etc/os-release/x", "ID=ubuntu")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, comp := range []struct {
				name string
				wrap func([]byte) []byte
			}{{"tar", func(b []byte) []byte { return b }}, {"gzip", layertest.Gzip}, {"zstd", layertest.Zstd}} {
				u, d := scan(t, comp.wrap(layertest.Tar(tc.entries...)))
				var want []*loupe.Distribution
				if tc.want != nil {
					want = []*loupe.Distribution{tc.want}
				}
				if diff := cmp.Diff(want, u); diff != "" {
					t.Errorf("%s: ubuntu (-want +got):\n%s", comp.name, diff)
				}
				if tc.want != nil && len(d) != 0 {
					t.Errorf("%s: the Debian scanner also reports %+v", comp.name, d[0])
				}
			}
		})
	}
}

// TestClairDistribution pins the Distribution to the JSON Clair reports
// for an Ubuntu image.
func TestClairDistribution(t *testing.T) {
	d := *ubuntu.Distribution("22.04", "jammy")
	d.ID = "1"
	b, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"1","did":"ubuntu","name":"Ubuntu","version":"22.04 (Jammy)","version_code_name":"jammy","version_id":"22.04","arch":"","cpe":"","pretty_name":"Ubuntu 22.04"}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}
