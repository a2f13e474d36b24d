package all_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/loupe-dev/loupe/ecosystem/all"
	"github.com/loupe-dev/loupe/indexer"
)

// TestOneScannerClaims runs every registered distribution scanner over one
// layer of each distribution and checks that exactly one of them claims
// it, with the expected did and version_id. The indexer keeps one
// distribution per layer, so a second claim (a derivative read as its
// parent through ID_LIKE, say) would be a wrong report.
func TestOneScannerClaims(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	osr := func(s string) fstest.MapFS { return fstest.MapFS{"etc/os-release": f(s)} }
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		did, vid string
	}{
		{"debian", osr("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n"), "debian", "12"},
		{"debian release file", fstest.MapFS{"etc/debian_version": f("11.9\n")}, "debian", "11"},
		{"ubuntu", osr("NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n"), "ubuntu", "22.04"},
		{"alpine", osr("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n"), "alpine", ""},
		{"wolfi", osr("ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\n"), "wolfi", ""},
		{"chainguard", osr("ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\nVERSION_ID=\"20230214\"\n"), "chainguard", ""},
		{"rhel", osr("NAME=\"Red Hat Enterprise Linux\"\nVERSION_ID=\"9.4\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:9::baseos\"\n"), "rhel", "9"},
		{"centos stream", osr("NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\n"), "centos", "9"},
		{"rocky", osr("NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\nREDHAT_SUPPORT_PRODUCT=\"Rocky Linux\"\n"), "rocky", "9.4"},
		{"rocky release files", fstest.MapFS{"etc/rocky-release": f("Rocky Linux release 9.4 (Blue Onyx)\n"), "etc/redhat-release": f("Rocky Linux release 9.4 (Blue Onyx)\n")}, "rocky", "9.4"},
		{"alma", osr("NAME=\"AlmaLinux\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n"), "almalinux", "9.4"},
		{"fedora", osr("NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\nREDHAT_SUPPORT_PRODUCT=\"Fedora\"\n"), "fedora", "40"},
		{"amazon 2", osr("NAME=\"Amazon Linux\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\n"), "amzn", "2"},
		{"amazon 2023", osr("NAME=\"Amazon Linux\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\n"), "amzn", "2023"},
		{"amazon release file", fstest.MapFS{"etc/system-release": f("Amazon Linux AMI release 2018.03\n")}, "amzn", "2018.03"},
		{"oracle", osr("NAME=\"Oracle Linux Server\"\nVERSION=\"8.9\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.9\"\n"), "ol", "8"},
		{"sles", osr("NAME=\"SLES\"\nVERSION_ID=\"15.5\"\nID=\"sles\"\nID_LIKE=\"suse\"\nCPE_NAME=\"cpe:/o:suse:sles:15:sp5\"\n"), "sles", "15"},
		{"leap", osr("NAME=\"openSUSE Leap\"\nVERSION_ID=\"15.5\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nCPE_NAME=\"cpe:/o:opensuse:leap:15.5\"\n"), "opensuse-leap", "15.5"},
		{"tumbleweed", osr("NAME=\"openSUSE Tumbleweed\"\nID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\nVERSION_ID=\"20240404\"\nCPE_NAME=\"cpe:/o:opensuse:tumbleweed:20240404\"\n"), "opensuse-tumbleweed", "20240404"},
		{"photon", osr("NAME=\"VMware Photon OS\"\nVERSION=\"5.0\"\nID=photon\nVERSION_ID=5.0\nPRETTY_NAME=\"VMware Photon OS/Linux\"\n"), "photon", "5.0"},
		{"mariner", osr("NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20240301\"\nID=mariner\nVERSION_ID=\"2.0\"\n"), "mariner", "2.0"},
		{"azure linux", osr("NAME=\"Microsoft Azure Linux\"\nVERSION=\"3.0.20240727\"\nID=azurelinux\nVERSION_ID=\"3.0\"\n"), "azurelinux", "3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var claims []string
			for _, s := range all.Scanners() {
				if s.Kind() != indexer.DistributionKind {
					continue
				}
				fd, err := s.Scan(context.Background(), tc.fs)
				if err != nil {
					t.Fatalf("%s: %v", s.Name(), err)
				}
				if fd == nil || len(fd.Distributions) == 0 {
					continue
				}
				claims = append(claims, s.Name())
				d := fd.Distributions[0]
				if d.DID != tc.did || d.VersionID != tc.vid {
					t.Errorf("%s: did %q version_id %q, want %q %q", s.Name(), d.DID, d.VersionID, tc.did, tc.vid)
				}
			}
			if len(claims) != 1 {
				t.Errorf("claimed by %v, want exactly one scanner", claims)
			}
		})
	}
}
