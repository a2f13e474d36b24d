package layer

import (
	"path"
	"strings"
)

// Patterns is a Selector built from path patterns, compiled once so that
// Want costs a map look-up for the common cases:
//
//   - "etc/os-release": that exact name;
//   - "var/lib/dpkg/status.d/*": the direct children of a directory;
//   - "**/*.jar": any name whose last element matches the pattern after
//     "**/", at any depth;
//   - anything else: a path.Match pattern over the whole name.
type Patterns struct {
	exact    map[string]bool
	children map[string]bool
	base     []string
	globs    []string
}

// NewPatterns compiles patterns. A malformed pattern never matches.
func NewPatterns(patterns ...string) *Patterns {
	p := &Patterns{exact: make(map[string]bool), children: make(map[string]bool)}
	for _, pat := range patterns {
		p.Add(pat)
	}
	return p
}

// Add adds one pattern.
func (p *Patterns) Add(pat string) {
	pat = strings.TrimPrefix(pat, "/")
	switch {
	case strings.HasPrefix(pat, "**/"):
		p.base = append(p.base, pat[3:])
	case !strings.ContainsAny(pat, `*?[\`):
		p.exact[path.Clean(pat)] = true
	case strings.HasSuffix(pat, "/*") && !strings.ContainsAny(pat[:len(pat)-2], `*?[\`):
		p.children[path.Clean(pat[:len(pat)-2])] = true
	default:
		p.globs = append(p.globs, pat)
	}
}

// Want implements Selector.
func (p *Patterns) Want(name string) bool {
	if p.exact[name] {
		return true
	}
	i := strings.LastIndexByte(name, '/')
	if len(p.children) != 0 && i > 0 && p.children[name[:i]] {
		return true
	}
	if len(p.base) != 0 {
		base := name[i+1:]
		for _, b := range p.base {
			if ok, _ := path.Match(b, base); ok {
				return true
			}
		}
	}
	for _, g := range p.globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}
