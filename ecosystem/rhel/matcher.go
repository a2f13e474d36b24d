package rhel

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
)

// Matcher holds the matching rules of Red Hat's VEX data, Clair's "rhel"
// matcher, for RHEL and UBI images and, unlike Clair, CentOS images.
//
// A vulnerability record names a package (a binary rpm when fixed, a
// source or binary name when known affected), a product CPE, an optional
// module stream, the architectures of the fix and the fixed version. It
// affects an installed package when:
//
//   - the names agree: the record's binary name with the package's name,
//     or the record's component name with the package's source name or
//     its own name;
//   - the module streams are equal ("nodejs:18" only with "nodejs:18",
//     no stream only with no stream);
//   - the package's architecture is among the record's, if it lists any;
//   - the product covers one of the package's repository CPEs (below);
//   - the package's version, compared as rpm does (epoch first), sorts
//     before the fixed version, or the record has none (unfixed).
//
// A package's repository CPEs are, for a repository of its image's
// content manifests: Red Hat's mapping for the content set when Repo2CPE
// has one, else the CPEs DeriveCPEs knows for it, else the CPE the
// repository was indexed with. A package with no repository (CentOS, or
// an image without content manifests) is taken to come from its release's
// main repositories (BaseOS, AppStream and CodeReady Builder; "server"
// for RHEL 5 to 7). Clair matches nothing without repositories.
type Matcher struct {
	// Repo2CPE, when set, resolves content sets with Red Hat's
	// repository-to-CPE mapping.
	Repo2CPE *Repo2CPE
}

var _ matcher.Rules = Matcher{}

// Name implements matcher.Rules.
func (Matcher) Name() string { return "rhel" }

// anyMajor is the namespace of records whose product names no RHEL
// release (cpe:/a:redhat:storage:3).
const anyMajor = "rhel:*"

// VulnerabilityKey implements matcher.Rules.
func (Matcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if v.Repo == nil || v.Repo.Key != RepositoryKey || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	c, ok := parseCPE(repoCPE(v.Repo))
	if !ok {
		return matcher.Key{}, false
	}
	ns := anyMajor
	if m := rhelMajor(&c); m != "" {
		ns = "rhel:" + m
	}
	return matcher.Key{Namespace: ns, Name: v.Package.Name, Source: v.Package.Kind == loupe.SourcePackage}, true
}

func repoCPE(r *loupe.Repository) string {
	if r.CPE != "" {
		return r.CPE
	}
	return r.Name
}

var elEdition = regexp.MustCompile(`^el(\d+)`)

// rhelMajor returns the RHEL major release a product CPE is for: the
// "elN" of a layered product's edition (cpe:/a:redhat:openshift:4.14::el9),
// or the version of an RHEL stream (enterprise_linux, rhel_eus, …).
func rhelMajor(c *cpeName) string {
	if m := elEdition.FindStringSubmatch(c.attrs[5]); m != nil {
		return strings.TrimLeft(m[1], "0")
	}
	switch p := c.attrs[2]; {
	case p == "enterprise_linux", p == "rhel", p == "rhel_eus", p == "rhel_e4s", p == "rhel_aus",
		p == "rhel_tus", p == "rhel_els", p == "enterprise_linux_eus", p == "rhel_mission_critical":
		return c.major()
	}
	return ""
}

// isRHELLike reports whether a distribution's packages are matched
// against Red Hat's data.
func isRHELLike(d *loupe.Distribution) bool {
	return d != nil && (d.DID == "rhel" || d.DID == "centos")
}

// recordMajor returns the RHEL major release of a record, "" if the
// record is not for Red Hat's data.
func recordMajor(r *loupe.IndexRecord) string {
	if r.Repository != nil && r.Repository.Key != RepositoryKey {
		return ""
	}
	if r.Distribution != nil {
		if !isRHELLike(r.Distribution) {
			return ""
		}
		return majorOf(r.Distribution.VersionID)
	}
	if r.Repository == nil {
		return ""
	}
	if c, ok := parseCPE(repoCPE(r.Repository)); ok {
		return rhelMajor(&c)
	}
	for _, s := range DeriveCPEs(repoIDOf(r.Repository)) {
		if c, ok := parseCPE(s); ok {
			return rhelMajor(&c)
		}
	}
	return ""
}

// RecordKeys implements matcher.Rules.
func (Matcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	if r.Package == nil || r.Package.Name == "" {
		return dst
	}
	major := recordMajor(r)
	if major == "" {
		return dst
	}
	bin := r.Package.Name
	src := bin
	if r.Package.Source != nil && r.Package.Source.Name != "" {
		src = r.Package.Source.Name
	}
	for _, ns := range [...]string{"rhel:" + major, anyMajor} {
		dst = append(dst,
			matcher.Key{Namespace: ns, Name: bin},
			matcher.Key{Namespace: ns, Name: src, Source: true})
		if src != bin {
			// Known-affected components are named by source or binary
			// package, both filed as Source.
			dst = append(dst, matcher.Key{Namespace: ns, Name: bin, Source: true})
		}
	}
	return dst
}

var errNoProduct = errors.New("rhel: vulnerability has no product CPE")

// Prepare implements matcher.Rules.
func (m Matcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	c, ok := parseCPE(repoCPE(v.Repo))
	if !ok {
		return nil, errNoProduct
	}
	k := &constraint{m: m, product: c, module: normalizeModule(v.Package.Module)}
	if a := v.Package.Arch; a != "" {
		switch v.ArchOperation {
		case loupe.ArchOpNotEquals:
			k.notArch = a
		default:
			k.arches = strings.Split(a, "|")
		}
	}
	if f := strings.TrimSpace(v.FixedInVersion); f != "" {
		fixed, err := version.ParseRPM(f)
		if err != nil {
			return nil, err
		}
		k.fixed = &fixed
	}
	return k, nil
}

// normalizeModule reduces a module to "name:stream": Clair's older index
// reports carry the whole label, "name:stream:version:context".
func normalizeModule(m string) string {
	if strings.Count(m, ":") < 2 {
		return m
	}
	if s, err := moduleStream(m); err == nil {
		return s
	}
	return m
}

type constraint struct {
	m       Matcher
	product cpeName
	module  string
	arches  []string
	notArch string
	fixed   *version.RPM // nil: unfixed
}

// Affects implements matcher.Constraint.
func (k *constraint) Affects(r *loupe.IndexRecord, _ bool) bool {
	p := r.Package
	if normalizeModule(p.Module) != k.module {
		return false
	}
	if p.Arch != "" {
		if k.arches != nil && !slices.Contains(k.arches, p.Arch) {
			return false
		}
		if k.notArch != "" && p.Arch == k.notArch {
			return false
		}
	}
	if !slices.ContainsFunc(k.m.recordCPEs(r), k.product.covers) {
		return false
	}
	if k.fixed == nil {
		return true
	}
	installed, err := version.ParseRPM(p.Version)
	if err != nil {
		return false
	}
	return installed.Compare(*k.fixed) < 0
}

// recordCPEs returns the CPEs of the repository a record's package comes
// from (see Matcher).
func (m Matcher) recordCPEs(r *loupe.IndexRecord) []string {
	repo := r.Repository
	if repo == nil {
		if r.Distribution == nil {
			return nil
		}
		return mainlineCPEs(majorOf(r.Distribution.VersionID))
	}
	if id := repoIDOf(repo); id != "" {
		if cpes, ok := m.Repo2CPE.CPEs(id); ok {
			return cpes
		}
		if cpes := deriveCached(id); len(cpes) > 0 {
			return cpes
		}
	}
	if repo.CPE != "" {
		return []string{repo.CPE}
	}
	return nil
}
