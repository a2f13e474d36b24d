package rpmfeeds

import (
	"regexp"
	"strings"
)

// IsModular reports whether an rpm version or release was built for a
// module stream: RHEL, Rocky and Alma mark those releases
// ".module+el8.9.0+…" or ".module_el8.9.0+…".
func IsModular(versionOrRelease string) bool {
	return strings.Contains(versionOrRelease, ".module+") || strings.Contains(versionOrRelease, ".module_")
}

// moduleToken is a "name:stream" word: a module name and a stream, with
// no space around the colon (which tells it from "Important: …").
var moduleToken = regexp.MustCompile(`(?:^|[\s,(])([A-Za-z0-9][A-Za-z0-9._+-]*):([A-Za-z0-9][A-Za-z0-9._+-]*)`)

// ModulesOf returns the module streams an advisory title names, in order
// and without repeats: "Moderate: virt:rhel and virt-devel:rhel security
// update" names "virt:rhel" and "virt-devel:rhel". CVE and advisory
// identifiers (RHSA-2024:1234) are not streams.
func ModulesOf(title string) []string {
	var out []string
	for _, m := range moduleToken.FindAllStringSubmatch(title, -1) {
		name, stream := m[1], strings.TrimRight(m[2], ".,")
		if stream == "" || isAdvisoryPrefix(name) {
			continue
		}
		s := name + ":" + stream
		dup := false
		for _, o := range out {
			dup = dup || o == s
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// isAdvisoryPrefix reports whether name is an errata identifier's prefix
// (RHSA-2024, RLSA-2024, ALSA-2024, …) rather than a module name.
func isAdvisoryPrefix(name string) bool {
	prefix, year, ok := strings.Cut(name, "-")
	if !ok || len(year) != 4 || len(prefix) < 3 || len(prefix) > 5 {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	for i := 0; i < len(year); i++ {
		if c := year[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}
