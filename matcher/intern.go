package matcher

import "github.com/loupe-dev/loupe"

// interner makes equal values share memory. Vulnerability data repeats a
// lot (a CVE's description in every release it affects, the same
// distribution and package in thousands of records), and the index keeps
// all of it in memory.
type interner struct {
	strs  map[string]string
	dists map[loupe.Distribution]*loupe.Distribution
	repos map[loupe.Repository]*loupe.Repository
	pkgs  map[loupe.Package]*loupe.Package
}

func newInterner() *interner {
	return &interner{
		strs:  make(map[string]string),
		dists: make(map[loupe.Distribution]*loupe.Distribution),
		repos: make(map[loupe.Repository]*loupe.Repository),
		pkgs:  make(map[loupe.Package]*loupe.Package),
	}
}

func (in *interner) str(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := in.strs[s]; ok {
		return c
	}
	in.strs[s] = s
	return s
}

// vuln replaces v's repeated parts with shared copies, in place.
func (in *interner) vuln(v *loupe.Vulnerability) {
	v.Updater = in.str(v.Updater)
	v.Name = in.str(v.Name)
	v.Description = in.str(v.Description)
	v.Links = in.str(v.Links)
	v.Severity = in.str(v.Severity)
	v.FixedInVersion = in.str(v.FixedInVersion)
	if d := v.Dist; d != nil {
		if c, ok := in.dists[*d]; ok {
			v.Dist = c
		} else {
			in.dists[*d] = d
		}
	}
	if r := v.Repo; r != nil {
		if c, ok := in.repos[*r]; ok {
			v.Repo = c
		} else {
			in.repos[*r] = r
		}
	}
	if p := v.Package; p != nil && p.Source == nil {
		if c, ok := in.pkgs[*p]; ok {
			v.Package = c
		} else {
			p.Name = in.str(p.Name)
			in.pkgs[*p] = p
		}
	}
}
