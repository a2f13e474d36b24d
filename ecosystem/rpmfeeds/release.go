package rpmfeeds

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// FromOSRelease returns the distribution an os-release describes, its
// fields as the file gives them: did ID (lower-cased), name NAME,
// version VERSION, version_id VERSION_ID, version_code_name
// VERSION_CODENAME, pretty_name PRETTY_NAME and the CPE of CPE_NAME. It
// is what Trivy and Grype read (they key on ID and VERSION_ID). A missing
// NAME is defaultName, a missing VERSION is VERSION_ID, and a missing
// PRETTY_NAME is NAME and VERSION. It returns nil when VERSION_ID does not
// start with a number.
func FromOSRelease(kv map[string]string, defaultName string) *loupe.Distribution {
	id := strings.TrimSpace(kv["VERSION_ID"])
	if Major(id) == "" {
		return nil
	}
	d := &loupe.Distribution{
		DID:             strings.ToLower(strings.TrimSpace(kv["ID"])),
		Name:            strings.TrimSpace(kv["NAME"]),
		Version:         strings.TrimSpace(kv["VERSION"]),
		VersionID:       id,
		VersionCodeName: strings.TrimSpace(kv["VERSION_CODENAME"]),
		PrettyName:      strings.TrimSpace(kv["PRETTY_NAME"]),
		CPE:             osrelease.FormatCPE(kv["CPE_NAME"]),
	}
	if d.Name == "" {
		d.Name = defaultName
	}
	if d.Version == "" {
		d.Version = id
	}
	if d.PrettyName == "" {
		d.PrettyName = d.Name + " " + d.Version
	}
	return d
}

// Release is what a distribution-specific release file says: "Rocky
// Linux release 9.4 (Blue Onyx)" is {Name "Rocky Linux", VersionID
// "9.4", Codename "Blue Onyx"}.
type Release struct {
	Name, VersionID, Codename string
}

var releaseLine = regexp.MustCompile(`^(.+?)\s+release\s+(\d[0-9A-Za-z._]*)(?:\s+\(([^)]*)\))?`)

// ParseReleaseFile reads the first line of a release file such as
// etc/rocky-release. ok is false when it is not "<name> release
// <version>[ (<codename>)]".
func ParseReleaseFile(b []byte) (r Release, ok bool) {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	m := releaseLine.FindSubmatch(bytes.TrimSpace(line))
	if m == nil {
		return Release{}, false
	}
	return Release{Name: string(m[1]), VersionID: string(m[2]), Codename: strings.TrimSpace(string(m[3]))}, true
}

// Major returns the leading number of a version ("9" of "9.4", "2018" of
// "2018.03"), without leading zeros, or "" when v does not start with a
// digit or the number is implausibly long.
func Major(v string) string {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	if i == 0 || i > 4 {
		return ""
	}
	m := strings.TrimLeft(v[:i], "0")
	if m == "" {
		return "0"
	}
	return m
}
