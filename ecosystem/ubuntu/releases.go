package ubuntu

import (
	"strings"
)

// releases maps every Ubuntu release's version to its codename. Images
// name both (os-release VERSION_ID and VERSION_CODENAME); the OSV data
// names the version in the ecosystem ("Ubuntu:22.04:LTS") and the codename
// in the purl's distro qualifier. The table fills whichever is missing;
// releases newer than it are learned from the data itself.
var releases = map[string]string{
	"4.10":  "warty",
	"5.04":  "hoary",
	"5.10":  "breezy",
	"6.06":  "dapper",
	"6.10":  "edgy",
	"7.04":  "feisty",
	"7.10":  "gutsy",
	"8.04":  "hardy",
	"8.10":  "intrepid",
	"9.04":  "jaunty",
	"9.10":  "karmic",
	"10.04": "lucid",
	"10.10": "maverick",
	"11.04": "natty",
	"11.10": "oneiric",
	"12.04": "precise",
	"12.10": "quantal",
	"13.04": "raring",
	"13.10": "saucy",
	"14.04": "trusty",
	"14.10": "utopic",
	"15.04": "vivid",
	"15.10": "wily",
	"16.04": "xenial",
	"16.10": "yakkety",
	"17.04": "zesty",
	"17.10": "artful",
	"18.04": "bionic",
	"18.10": "cosmic",
	"19.04": "disco",
	"19.10": "eoan",
	"20.04": "focal",
	"20.10": "groovy",
	"21.04": "hirsute",
	"21.10": "impish",
	"22.04": "jammy",
	"22.10": "kinetic",
	"23.04": "lunar",
	"23.10": "mantic",
	"24.04": "noble",
	"24.10": "oracular",
	"25.04": "plucky",
	"25.10": "questing",
	"26.04": "resolute",
}

// versionOf returns the version of a codename in the table, or "".
func versionOf(codename string) string {
	codename = strings.ToLower(codename)
	for v, c := range releases {
		if c == codename {
			return v
		}
	}
	return ""
}

// codenameOf returns the codename of a version ("22.04", or "22.04.4" as
// lsb-release may spell a point release) in the table, or "".
func codenameOf(version string) string {
	if c, ok := releases[version]; ok {
		return c
	}
	if i := strings.IndexByte(version, '.'); i >= 0 {
		if j := strings.IndexByte(version[i+1:], '.'); j >= 0 {
			return releases[version[:i+1+j]]
		}
	}
	return ""
}

// namespace is the key the matcher files Ubuntu data under:
// "ubuntu:<codename>". The codename is what both the data and every
// detected release carry; a distribution with only a version gets its
// codename from the table.
func namespace(version, codename string) string {
	codename = strings.ToLower(strings.TrimSpace(codename))
	if codename == "" {
		codename = codenameOf(strings.TrimSpace(version))
	}
	if codename == "" {
		return ""
	}
	return "ubuntu:" + codename
}
