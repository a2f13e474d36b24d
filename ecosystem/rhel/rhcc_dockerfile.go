package rhel

import (
	"strings"
)

// Bounds on what a Dockerfile may make the label reader do.
const (
	maxDockerfileVars  = 1024
	maxDockerfileValue = 64 << 10
)

// DockerfileLabels returns the labels a Dockerfile sets in its last
// stage, with ARG and ENV variables ($NAME, ${NAME}, ${NAME:-default},
// ${NAME:+alternative}) expanded as Docker expands them. It reads
// "LABEL key=value …" and the legacy "LABEL key value"; quotes group and
// are removed, variables are not expanded inside single quotes. Lines
// it cannot make sense of are ignored.
func DockerfileLabels(b []byte) map[string]string {
	labels := make(map[string]string)
	args := make(map[string]string) // ARGs before the first FROM, and of the stage
	env := make(map[string]string)
	lookup := func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		v, ok := args[k]
		return v, ok
	}
	set := func(m map[string]string, k, v string) {
		if len(m) < maxDockerfileVars || m[k] != "" {
			m[k] = v
		}
	}
	for _, ins := range dockerfileInstructions(string(b)) {
		cmd, rest, _ := strings.Cut(ins, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(cmd) {
		case "FROM":
			clear(labels)
			clear(env)
		case "ARG":
			for _, w := range dockerfileWords(rest, lookup) {
				k, v, ok := strings.Cut(w, "=")
				if _, had := lookup(k); !ok && had {
					continue // ARG name: keeps its value
				}
				set(args, k, v)
			}
		case "ENV", "LABEL":
			m := env
			if strings.EqualFold(cmd, "LABEL") {
				m = labels
			}
			words := dockerfileWords(rest, lookup)
			if len(words) > 0 && !strings.Contains(words[0], "=") {
				// Legacy form: one key, the rest of the line its value.
				k, v, _ := strings.Cut(rest, " ")
				vs := dockerfileWords(strings.TrimSpace(v), lookup)
				set(m, unquoteWord(k), strings.Join(vs, " "))
				continue
			}
			for _, w := range words {
				if k, v, ok := strings.Cut(w, "="); ok && k != "" {
					set(m, k, v)
				}
			}
		}
	}
	return labels
}

// dockerfileInstructions splits a Dockerfile into instructions: comment
// lines dropped, lines ending in a backslash joined with the next.
func dockerfileInstructions(s string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || (t == "" && cur.Len() > 0) {
			continue
		}
		cont := strings.HasSuffix(t, `\`) && !strings.HasSuffix(t, `\\`)
		if cont {
			t = t[:len(t)-1]
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(t)
		if !cont {
			if cur.Len() > 0 {
				out = append(out, cur.String())
			}
			cur.Reset()
		}
		if cur.Len() > maxDockerfileValue {
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// dockerfileWords splits an instruction's arguments into words, as the
// shell would: white space separates, quotes group and are removed,
// backslashes escape outside single quotes, variables are expanded
// outside single quotes.
func dockerfileWords(s string, lookup func(string) (string, bool)) []string {
	var out []string
	var w strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == '$' && lookup != nil:
			v, n := expandVar(s[i:], lookup)
			w.WriteString(v)
			i += n - 1
			inWord = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
		if w.Len() > maxDockerfileValue {
			return out
		}
	}
	if inWord {
		out = append(out, w.String())
	}
	return out
}

// expandVar expands the variable reference at the start of s ("$NAME",
// "${NAME}", "${NAME:-word}", "${NAME:+word}") and returns its value and
// the number of bytes it takes. A "$" that starts no reference stands
// for itself.
func expandVar(s string, lookup func(string) (string, bool)) (string, int) {
	isName := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if len(s) > 1 && s[1] == '{' {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "$", 1
		}
		body := s[2:end]
		name, mod, word := body, "", ""
		if i := strings.Index(body, ":"); i >= 0 && i+1 < len(body) {
			name, mod, word = body[:i], body[i:i+2], body[i+2:]
		}
		v, ok := lookup(name)
		switch mod {
		case ":-":
			if !ok || v == "" {
				v = word
			}
		case ":+":
			if ok && v != "" {
				v = word
			} else {
				v = ""
			}
		}
		return v, end + 1
	}
	n := 1
	for n < len(s) && isName(s[n]) {
		n++
	}
	if n == 1 {
		return "$", 1
	}
	v, _ := lookup(s[1:n])
	return v, n
}

// unquoteWord removes the quotes around a word.
func unquoteWord(s string) string {
	if w := dockerfileWords(s, nil); len(w) == 1 {
		return w[0]
	}
	return s
}
