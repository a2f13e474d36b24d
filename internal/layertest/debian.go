package layertest

import (
	"fmt"
	"strings"
)

// Deb is one installed package of a dpkg status file. Source may be
// "name" or "name (version)", as dpkg writes it.
type Deb struct {
	Name, Version, Arch, Source string
}

// DpkgStatus renders a dpkg status file listing debs as installed.
func DpkgStatus(debs ...Deb) string {
	var b strings.Builder
	for i, d := range debs {
		if i > 0 {
			b.WriteString("\n")
		}
		arch := d.Arch
		if arch == "" {
			arch = "amd64"
		}
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\nArchitecture: %s\n", d.Name, arch)
		if d.Source != "" {
			fmt.Fprintf(&b, "Source: %s\n", d.Source)
		}
		fmt.Fprintf(&b, "Version: %s\nDescription: %s package\n test fixture\n", d.Version, d.Name)
	}
	return b.String()
}

// DebianOSRelease renders the os-release of a Debian release.
func DebianOSRelease(versionID, codename string) string {
	return fmt.Sprintf(`PRETTY_NAME="Debian GNU/Linux %[1]s (%[2]s)"
NAME="Debian GNU/Linux"
VERSION_ID="%[1]s"
VERSION="%[1]s (%[2]s)"
VERSION_CODENAME=%[2]s
ID=debian
HOME_URL="https://www.debian.org/"
`, versionID, codename)
}
