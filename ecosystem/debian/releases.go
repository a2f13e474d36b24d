package debian

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
)

// releases maps Debian codenames to major versions: the security tracker
// speaks codenames, os-release files speak both. Codenames not listed here
// are learned from the mirror's Release files by the updater (mirror_url).
var releases = map[string]int{
	"etch":     4,
	"lenny":    5,
	"squeeze":  6,
	"wheezy":   7,
	"jessie":   8,
	"stretch":  9,
	"buster":   10,
	"bullseye": 11,
	"bookworm": 12,
	"trixie":   13,
	"forky":    14,
	"duke":     15,
}

// codenameOf returns the codename of a major version, or "".
func codenameOf(major int) string {
	for name, v := range releases {
		if v == major {
			return name
		}
	}
	return ""
}

// Distribution returns the Distribution Clair reports for a Debian
// release: version_id is the major version, version "12 (bookworm)".
// A release without a version (sid) has only a codename.
func Distribution(codename string, major int) *loupe.Distribution {
	d := &loupe.Distribution{
		DID:             "debian",
		Name:            "Debian GNU/Linux",
		VersionCodeName: codename,
	}
	if major > 0 {
		d.VersionID = strconv.Itoa(major)
		d.Version = fmt.Sprintf("%d (%s)", major, codename)
		d.PrettyName = fmt.Sprintf("Debian GNU/Linux %d (%s)", major, codename)
	} else {
		d.PrettyName = "Debian GNU/Linux " + codename
	}
	return d
}

// namespace is the key the matcher files Debian data under: the codename,
// which both the tracker and every installed release know.
func namespace(d *loupe.Distribution) string {
	if d.VersionCodeName != "" {
		return "debian:" + strings.ToLower(d.VersionCodeName)
	}
	if n, err := strconv.Atoi(d.VersionID); err == nil {
		if c := codenameOf(n); c != "" {
			return "debian:" + c
		}
	}
	return ""
}
