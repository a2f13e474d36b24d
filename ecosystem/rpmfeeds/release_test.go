package rpmfeeds

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

func TestParseReleaseFile(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Release
		ok   bool
	}{
		{"Rocky Linux release 9.4 (Blue Onyx)\n", Release{"Rocky Linux", "9.4", "Blue Onyx"}, true},
		{"AlmaLinux release 8.9 (Midnight Oncilla)", Release{"AlmaLinux", "8.9", "Midnight Oncilla"}, true},
		{"Fedora release 40 (Forty)\n", Release{"Fedora", "40", "Forty"}, true},
		{"Amazon Linux AMI release 2018.03\n", Release{"Amazon Linux AMI", "2018.03", ""}, true},
		{"Amazon Linux release 2023.4.20240611 (Amazon Linux)", Release{"Amazon Linux", "2023.4.20240611", "Amazon Linux"}, true},
		{"  Amazon Linux release 2 (Karoo)\nsecond line", Release{"Amazon Linux", "2", "Karoo"}, true},
		{"release 9", Release{}, false},
		{"Rocky Linux 9.4", Release{}, false},
		{"", Release{}, false},
		{"\x00\xff", Release{}, false},
	} {
		got, ok := ParseReleaseFile([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseReleaseFile(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMajor(t *testing.T) {
	for in, want := range map[string]string{
		"9.4": "9", "9": "9", "40": "40", "2018.03": "2018", "2023": "2023", " 8.10 ": "8",
		"09": "9", "0": "0", "": "", "rawhide": "", "v9": "", "12345": "",
	} {
		if got := Major(in); got != want {
			t.Errorf("Major(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromOSRelease(t *testing.T) {
	got := FromOSRelease(map[string]string{"ID": "Rocky", "VERSION_ID": "9.4", "CPE_NAME": "cpe:/o:amazon:linux:2018.03:ga"}, "Rocky Linux")
	want := &loupe.Distribution{DID: "rocky", Name: "Rocky Linux", Version: "9.4", VersionID: "9.4", PrettyName: "Rocky Linux 9.4",
		CPE: "cpe:2.3:o:amazon:linux:2018.03:ga:*:*:*:*:*:*"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromOSRelease (-want +got):\n%s", diff)
	}
	if d := FromOSRelease(map[string]string{"ID": "rocky"}, "x"); d != nil {
		t.Errorf("no VERSION_ID: %+v", d)
	}
}

func TestModules(t *testing.T) {
	for title, want := range map[string][]string{
		"Moderate: ruby:3.3 security, bug fix, and enhancement update": {"ruby:3.3"},
		"Moderate: virt:rhel and virt-devel:rhel security update":      {"virt:rhel", "virt-devel:rhel"},
		"Important: container-tools:rhel8 security update":             {"container-tools:rhel8"},
		"Moderate: nodejs:18 security update (RHSA-2024:1234)":         {"nodejs:18"},
		"Important: 389-ds:1.4 security update":                        {"389-ds:1.4"},
		"Low: perl:5.32 and perl:5.32 update.":                         {"perl:5.32"},
		"Important: firefox security update":                           nil,
		"Important: kernel security update for CVE-2024-1086":          nil,
		"Moderate: postgresql:15, postgresql:16 security update":       {"postgresql:15", "postgresql:16"},
		"Bug fix: (python39:3.9) packages":                             {"python39:3.9"},
		"":                                                             nil,
	} {
		if got := ModulesOf(title); !slices.Equal(got, want) {
			t.Errorf("ModulesOf(%q) = %q, want %q", title, got, want)
		}
	}
	for s, want := range map[string]bool{
		"3.3.1-2.module+el9.4.0+20787+4c237fd3": true, "3:10.3.39-1.module_el8.8.0+3609+204d4ab0": true,
		"1.0-1.el9": false, "1.0-1.modules": false,
	} {
		if IsModular(s) != want {
			t.Errorf("IsModular(%q) = %v", s, !want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]loupe.Severity{
		"Low": loupe.Low, "moderate": loupe.Medium, "Medium": loupe.Medium, "Important": loupe.High, "high": loupe.High,
		"Critical": loupe.Critical, "urgent": loupe.Critical, "None": loupe.Unknown, "unspecified": loupe.Unknown, "": loupe.Unknown,
	} {
		if got := NormalizeImpact(in); got != want {
			t.Errorf("NormalizeImpact(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Important: firefox security update": "Important", "Moderate: ruby:3.3 update": "Moderate",
		"firefox bug fix update": "", "Note: something": "", "": "",
	} {
		if got := ImpactOf(in); got != want {
			t.Errorf("ImpactOf(%q) = %q, want %q", in, got, want)
		}
	}
}
