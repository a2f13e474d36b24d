package layer

import (
	"path"
	"strings"
)

// Patterns is a Selector built from path patterns, compiled once so that
// Want costs a map look-up for the common cases:
//
//   - "etc/os-release": that exact name;
//   - "var/lib/dpkg/status.d/*", "root/buildinfo/Dockerfile-*": names in
//     one directory, the last element matched against the pattern's;
//   - "**/*.jar": any name whose last element matches the pattern after
//     "**/", at any depth;
//   - anything else: a path.Match pattern over the whole name.
type Patterns struct {
	exact map[string]bool
	inDir map[string][]string // directory: patterns of the last element
	base  []string
	globs []string
}

// NewPatterns compiles patterns. A malformed pattern never matches.
func NewPatterns(patterns ...string) *Patterns {
	p := &Patterns{exact: make(map[string]bool), inDir: make(map[string][]string)}
	for _, pat := range patterns {
		p.Add(pat)
	}
	return p
}

// Add adds one pattern.
func (p *Patterns) Add(pat string) {
	pat = strings.TrimPrefix(pat, "/")
	dir, elem := path.Split(pat)
	switch {
	case strings.HasPrefix(pat, "**/"):
		p.base = append(p.base, pat[3:])
	case !strings.ContainsAny(pat, `*?[\`):
		p.exact[path.Clean(pat)] = true
	case dir != "" && !strings.ContainsAny(dir, `*?[\`):
		d := path.Clean(dir)
		p.inDir[d] = append(p.inDir[d], elem)
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
	base := name[i+1:]
	if i > 0 {
		for _, e := range p.inDir[name[:i]] {
			if e == "*" {
				return true
			}
			if ok, _ := path.Match(e, base); ok {
				return true
			}
		}
	}
	for _, b := range p.base {
		if ok, _ := path.Match(b, base); ok {
			return true
		}
	}
	for _, g := range p.globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}
