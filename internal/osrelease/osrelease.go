package osrelease

import (
	"bufio"
	"bytes"
	"io/fs"
	"strings"
)

// Paths where os-release lives, in order of precedence.
const (
	EtcPath    = "etc/os-release"
	UsrLibPath = "usr/lib/os-release"
)

// maxLine bounds a single line; longer lines are skipped.
const maxLine = 64 << 10

// Parse returns the assignments in b. Later assignments of a key win.
func Parse(b []byte) map[string]string {
	out := make(map[string]string)
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(make([]byte, 0, 4096), maxLine)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || !validKey(key) {
			continue
		}
		out[key] = unquote(strings.TrimSpace(val))
	}
	return out
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || (i > 0 && '0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}

// unquote undoes shell quoting: 'single' quotes are literal, "double"
// quotes honour backslash escapes of $ " \ and `, and unquoted values honour
// backslash escapes of any character. Anything after a closing quote is
// appended, as a shell would.
func unquote(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\'':
			end := strings.IndexByte(v[i+1:], '\'')
			if end < 0 {
				b.WriteString(v[i+1:])
				return b.String()
			}
			b.WriteString(v[i+1 : i+1+end])
			i += end + 1
		case '"':
			i++
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("$\"\\`", v[i+1]) >= 0 {
					i++
				}
				b.WriteByte(v[i])
			}
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		case '#':
			// An unquoted # after white space starts a comment.
			if i > 0 && (v[i-1] == ' ' || v[i-1] == '\t') {
				return strings.TrimSpace(b.String())
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Read reads and parses etc/os-release, or usr/lib/os-release when the
// former is absent or unreadable (a directory, a link to nowhere). found
// is false when neither can be read.
func Read(fsys fs.FS) (kv map[string]string, found bool) {
	for _, p := range [...]string{EtcPath, UsrLibPath} {
		if b, err := fs.ReadFile(fsys, p); err == nil {
			return Parse(b), true
		}
	}
	return nil, false
}

// Patterns returns the os-release paths and then more, for a scanner's
// indexer.Scanner.Patterns.
func Patterns(more ...string) []string {
	return append([]string{EtcPath, UsrLibPath}, more...)
}
