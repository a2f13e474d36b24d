package rhel

import (
	"strings"

	"github.com/loupe-dev/loupe/internal/osrelease"
)

// CPEs travel in Loupe, as in Clair, as CPE 2.3 formatted strings
// ("cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*"); Red Hat's
// data speaks the 2.2 URI binding ("cpe:/o:redhat:enterprise_linux:9::baseos").

// numAttrs is the number of attributes of a CPE 2.3 name: part, vendor,
// product, version, update, edition, language, sw_edition, target_sw,
// target_hw, other.
const numAttrs = 11

// formatCPE returns the CPE 2.3 formatted string of a CPE name given in
// the 2.2 URI binding (whose part must be a, o or h) or already formatted,
// or "" if s is neither. Values are bound as Clair binds them (see
// osrelease.FormatCPE), so "cpe:/a:redhat:rhel_eus:9.2::appstream"
// becomes "cpe:2.3:a:redhat:rhel_eus:9.2:*:appstream:*:*:*:*:*".
func formatCPE(s string) string {
	fs := osrelease.FormatCPE(s)
	attrs := splitFS(fs)
	if len(attrs) != numAttrs {
		return ""
	}
	if !strings.HasPrefix(strings.TrimSpace(s), "cpe:2.3:") && attrs[0] != "a" && attrs[0] != "o" && attrs[0] != "h" {
		return ""
	}
	return fs
}

// splitFS splits a formatted string into its attributes, honouring
// backslash escapes; it returns nil if s is not "cpe:2.3:" followed by
// eleven attributes.
func splitFS(s string) []string {
	rest, ok := strings.CutPrefix(s, "cpe:2.3:")
	if !ok {
		return nil
	}
	out := make([]string, 0, numAttrs)
	start := 0
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case ':':
			out = append(out, rest[start:i])
			start = i + 1
		}
	}
	out = append(out, rest[start:])
	if len(out) != numAttrs {
		return nil
	}
	return out
}

// cpeName is a parsed formatted string, ready for comparisons.
type cpeName struct {
	fs    string
	attrs [numAttrs]string
	// prefix is fs without its trailing ANY attributes, for Red Hat's
	// prefix matching.
	prefix string
}

// parseCPE parses a CPE given in either binding.
func parseCPE(s string) (cpeName, bool) {
	fs := formatCPE(s)
	if fs == "" {
		return cpeName{}, false
	}
	parts := splitFS(fs)
	if parts == nil {
		return cpeName{}, false
	}
	c := cpeName{fs: fs}
	copy(c.attrs[:], parts)
	c.prefix = strings.TrimRight(fs, ":*")
	return c, true
}

// major returns the major version in the CPE's version attribute
// ("9" of "9.2"), or "".
func (c *cpeName) major() string {
	v := c.attrs[3]
	if v == "*" || v == "-" {
		return ""
	}
	if i := strings.IndexAny(v, `.\`); i >= 0 {
		v = v[:i]
	}
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return ""
	}
	return v
}

// covers reports whether a vulnerability scoped to the product c applies
// to a package from a repository with the CPE rec (formatted string), as
// Clair decides it: c is a superset of rec (every attribute of c is ANY or
// equal to rec's), or, for the "CPE patterns" Red Hat's data uses in
// place of matching expressions, rec starts with c once c's trailing ANY
// attributes are trimmed ("cpe:/a:redhat:openshift:4" covers
// "cpe:/a:redhat:openshift:4.13::el8").
func (c *cpeName) covers(rec string) bool {
	if strings.HasPrefix(rec, c.prefix) {
		return true
	}
	rest, ok := strings.CutPrefix(rec, "cpe:2.3:")
	if !ok {
		return false
	}
	i, start := 0, 0
	for j := 0; j <= len(rest) && i < numAttrs; j++ {
		if j < len(rest) {
			switch rest[j] {
			case '\\':
				j++
				continue
			case ':':
			default:
				continue
			}
		}
		if a := c.attrs[i]; a != "*" && a != rest[start:min(j, len(rest))] {
			return false
		}
		i++
		start = j + 1
	}
	return i == numAttrs
}
