package debian_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/ecosystem/ubuntu"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

const (
	bookwormRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`
	stretchRelease = `PRETTY_NAME="Debian GNU/Linux 9 (stretch)"
NAME="Debian GNU/Linux"
VERSION_ID="9"
VERSION="9 (stretch)"
ID=debian
`
	trixieTesting = `PRETTY_NAME="Debian GNU/Linux trixie/sid"
NAME="Debian GNU/Linux"
VERSION_CODENAME=trixie
ID=debian
`
	sidRelease = `PRETTY_NAME="Debian GNU/Linux trixie/sid"
NAME="Debian GNU/Linux"
ID=debian
`
	jammyRelease = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
`
	jammyLSB = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.4 LTS\"\n"
)

func TestDistributionScanners(t *testing.T) {
	bookworm := debian.Distribution("bookworm", 12)
	for _, tc := range []struct {
		name         string
		fs           fstest.MapFS
		debian, ubun *loupe.Distribution
	}{
		{"bookworm", fstest.MapFS{"etc/os-release": file(bookwormRelease)}, bookworm, nil},
		{"usr/lib only", fstest.MapFS{"usr/lib/os-release": file(bookwormRelease)}, bookworm, nil},
		{"etc wins over usr/lib", fstest.MapFS{"etc/os-release": file(bookwormRelease), "usr/lib/os-release": file(stretchRelease)}, bookworm, nil},
		{"codename from VERSION", fstest.MapFS{"etc/os-release": file(stretchRelease)}, debian.Distribution("stretch", 9), nil},
		{"testing", fstest.MapFS{"etc/os-release": file(trixieTesting)}, debian.Distribution("trixie", 13), nil},
		{"sid", fstest.MapFS{"etc/os-release": file(sidRelease)}, debian.Distribution("trixie", 13), nil},
		{"debian_version only", fstest.MapFS{"etc/debian_version": file("12.5\n")}, bookworm, nil},
		{"debian_version testing", fstest.MapFS{"etc/debian_version": file("bookworm/sid\n")}, bookworm, nil},
		{"debian_version unknown", fstest.MapFS{"etc/debian_version": file("99.1\n")}, nil, nil},
		{"ubuntu", fstest.MapFS{"etc/os-release": file(jammyRelease), "etc/debian_version": file("bookworm/sid")}, nil, ubuntu.Distribution("22.04", "jammy")},
		{"ubuntu lsb-release only", fstest.MapFS{"etc/lsb-release": file(jammyLSB), "etc/debian_version": file("bookworm/sid")}, nil, ubuntu.Distribution("22.04", "jammy")},
		{"nothing", fstest.MapFS{"etc/hostname": file("x")}, nil, nil},
		{"garbage os-release", fstest.MapFS{"etc/os-release": file("\x00\x01 not = a release\n===\n")}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []struct {
				name string
				scan func() ([]*loupe.Distribution, error)
				want *loupe.Distribution
			}{
				{"debian", func() ([]*loupe.Distribution, error) {
					f, err := debian.DistributionScanner{}.Scan(context.Background(), tc.fs)
					return f.Distributions, err
				}, tc.debian},
				{"ubuntu", func() ([]*loupe.Distribution, error) {
					f, err := ubuntu.DistributionScanner{}.Scan(context.Background(), tc.fs)
					if err != nil {
						return nil, err
					}
					return f.Distributions, nil
				}, tc.ubun},
			} {
				got, err := s.scan()
				if err != nil {
					t.Fatalf("%s scanner: %v", s.name, err)
				}
				var want []*loupe.Distribution
				if s.want != nil {
					want = []*loupe.Distribution{s.want}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s scanner (-want +got):\n%s", s.name, diff)
				}
			}
		})
	}
}

func TestClairDistributionShape(t *testing.T) {
	want := &loupe.Distribution{DID: "debian", Name: "Debian GNU/Linux", Version: "10 (buster)", VersionCodeName: "buster", VersionID: "10", PrettyName: "Debian GNU/Linux 10 (buster)"}
	if diff := cmp.Diff(want, debian.Distribution("buster", 10)); diff != "" {
		t.Errorf("Debian 10 (-want +got):\n%s", diff)
	}
	u := ubuntu.Distribution("18.04", "bionic")
	if u.Version != "18.04 (Bionic)" || u.PrettyName != "Ubuntu 18.04" || u.Name != "Ubuntu" || u.DID != "ubuntu" {
		t.Errorf("Ubuntu 18.04 = %+v", u)
	}
}
