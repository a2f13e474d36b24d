package osrelease

import "strings"

// FormatCPE turns the CPE name of an os-release CPE_NAME into the CPE 2.3
// formatted-string binding that Clair reports. It accepts a 2.2 URI
// ("cpe:/o:redhat:enterprise_linux:8::baseos") or an already formatted
// string ("cpe:2.3:o:…"), and returns "" for anything else.
func FormatCPE(name string) string {
	name = strings.TrimSpace(name)
	switch {
	case strings.HasPrefix(name, "cpe:2.3:"):
		if strings.Count(name, ":")-strings.Count(name, `\:`) != 12 {
			return ""
		}
		return name
	case !strings.HasPrefix(name, "cpe:/"):
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(name, "cpe:/"), ":")
	if len(parts) > 7 || parts[0] == "" {
		return ""
	}
	// The URI's components (part, vendor, product, version, update,
	// edition, language) are the first seven of the formatted string's
	// eleven; the 2.2 edition may pack the four extended attributes as
	// "~edition~sw_edition~target_sw~target_hw~other".
	var attrs [11]string
	for i := range attrs {
		attrs[i] = "*"
	}
	for i, p := range parts {
		if i == 5 && strings.HasPrefix(p, "~") {
			for j, e := range strings.SplitN(p[1:], "~", 5) {
				attrs[[]int{5, 7, 8, 9, 10}[j]] = bindValue(e)
			}
			continue
		}
		attrs[i] = bindValue(p)
	}
	return "cpe:2.3:" + strings.Join(attrs[:], ":")
}

// bindValue converts one URI-bound value to its formatted-string form:
// lowercase, percent-decoded, with every character but letters, digits,
// '_', '.' and '-' escaped by a backslash (the formatted-string binding
// leaves those three unquoted, as Clair's CPEs show: "9.2", not "9\.2").
// An empty value is ANY ("*"), "-" is NA.
func bindValue(v string) string {
	switch v {
	case "":
		return "*"
	case "-":
		return "-"
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' && i+2 < len(v) {
			if d, ok := unhex(v[i+1], v[i+2]); ok {
				c = d
				i += 2
			}
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !(('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '_' || c == '.' || c == '-') {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func unhex(hi, lo byte) (byte, bool) {
	h, ok1 := hexval(hi)
	l, ok2 := hexval(lo)
	return h<<4 | l, ok1 && ok2
}

func hexval(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
