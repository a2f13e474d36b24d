package rhel

import (
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/version"
)

// Container images in Red Hat's VEX documents are components with "oci"
// package URLs ("pkg:oci/nodejs-18@sha256:…?arch=amd64&repository_url=
// registry.access.redhat.com/ubi9/nodejs-18&tag=1-110") of products
// named by CPE. They make records as Clair makes them:
//
//   - the package name is the image's repository: the purl's
//     namespace/name when it has a namespace, else the path of its
//     repository_url ("ubi9/nodejs-18"), else its name;
//   - fixed: one record per (product, image, tag), its architectures
//     folded into a pattern; the fixed version is the tag, the range the
//     tag's major.minor series, and for the lowest series fixed of an
//     image, every version below it too;
//   - known_affected: one unfixed record per (product, image), of kind
//     source, whose range holds every version;
//   - known_not_affected: no record, and (unlike Clair, which stores an
//     inverted record) no fixed or affected record for the same image in
//     a product the statement covers.
//
// The product is the record's repository, key ContainerRepositoryKey,
// name and CPE the product's CPE 2.3 formatted string.

// containerEntry is one usable container product status.
type containerEntry struct {
	id   string
	cpe  *cpeName
	name string
	tag  string
	arch string
}

// containerRow is one container record of a CSAF vulnerability.
type containerRow struct {
	cpe    *cpeName
	name   string
	tag    string // "" for known affected
	arches []string
	first  string
	rng    *loupe.Range
}

var ociTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// containerEntry resolves a product status ID to a container image, or
// returns nil (counted) when it is an oci component that cannot be used;
// ok is false when the ID is not an oci component at all.
func (p *parser) containerEntry(ix *docIndex, id string) (e *containerEntry, ok bool) {
	pkg, prod := ix.resolve(id)
	if pkg == nil || prod == nil || pkg.Helper.PURL == "" {
		return nil, false
	}
	pu, err := parsePURL(pkg.Helper.PURL)
	if err != nil || pu.Type != "oci" {
		return nil, false
	}
	tag, repoURL := ociQualifiers(pkg.Helper.PURL)
	c := p.cpe(prod.Helper.CPE)
	name := containerName(&pu, repoURL)
	if c == nil || name == "" || !validLabel(name) {
		p.stats.Products++
		return nil, true
	}
	e = &containerEntry{id: id, cpe: c, name: name, arch: pu.Arch}
	if tag != "" {
		if _, err := version.ParseRPM(ensureRelease(tag)); err != nil || !ociTag.MatchString(tag) {
			p.stats.Products++
			return nil, true
		}
		e.tag = tag
	}
	return e, true
}

// ociQualifiers returns the tag and repository_url qualifiers of an oci
// purl (parsePURL keeps those of rpms only).
func ociQualifiers(s string) (tag, repoURL string) {
	s, _, _ = strings.Cut(s, "#")
	_, quals, _ := strings.Cut(s, "?")
	for quals != "" {
		var kv string
		kv, quals, _ = strings.Cut(quals, "&")
		k, v, _ := strings.Cut(kv, "=")
		v, err := url.PathUnescape(v)
		if err != nil {
			continue
		}
		switch strings.ToLower(k) {
		case "tag":
			tag = v
		case "repository_url":
			repoURL = v
		}
	}
	return tag, repoURL
}

// containerName returns the repository an oci purl names, "" if none.
func containerName(pu *purl, repoURL string) string {
	if pu.Namespace != "" {
		return pu.Namespace + "/" + pu.Name
	}
	if repoURL == "" {
		return pu.Name
	}
	_, repo, ok := strings.Cut(repoURL, "/")
	if !ok {
		return ""
	}
	return repo
}

// containerRows returns the container records of a vulnerability's
// product statuses.
func (p *parser) containerRows(ix *docIndex, ps *csafProductStatus) []*containerRow {
	var notAffected []*containerEntry
	for _, id := range ps.KnownNotAffected {
		if e, _ := p.containerEntry(ix, id); e != nil {
			notAffected = append(notAffected, e)
		}
	}
	excluded := func(e *containerEntry) bool {
		for _, na := range notAffected {
			if na.name == e.name && na.cpe.covers(e.cpe.fs) && (na.tag == "" || na.tag == e.tag) {
				p.stats.NotAffected++
				return true
			}
		}
		return false
	}
	type key struct{ cpe, name, tag string }
	var rows []*containerRow
	index := make(map[key]*containerRow)
	add := func(e *containerEntry, tag string) *containerRow {
		k := key{e.cpe.fs, e.name, tag}
		r, ok := index[k]
		if !ok {
			r = &containerRow{cpe: e.cpe, name: e.name, tag: tag, first: e.id}
			index[k] = r
			rows = append(rows, r)
		}
		if e.arch != "" && !slices.Contains(r.arches, e.arch) {
			r.arches = append(r.arches, e.arch)
		}
		return r
	}
	// Fixed: the range of each fix is its minor series; the lowest
	// series fixed for an image reaches down to every older version.
	lowest := make(map[string]*containerRow)
	for _, id := range ps.Fixed {
		e, _ := p.containerEntry(ix, id)
		if e == nil || e.tag == "" || excluded(e) {
			continue
		}
		r := add(e, e.tag)
		if r.rng != nil {
			continue
		}
		major, minor, ok := tagMinor(e.tag)
		if !ok {
			// A tag that is no version ("latest"): only the rpm-style
			// comparison applies, within no series.
			r.rng = &loupe.Range{Lower: loupe.Version{Kind: ContainerVersionKind}, Upper: loupe.Version{Kind: ContainerVersionKind}}
			r.rng.Upper.V[0] = math.MaxInt32
			continue
		}
		r.rng = &loupe.Range{Lower: loupe.Version{Kind: ContainerVersionKind}, Upper: loupe.Version{Kind: ContainerVersionKind}}
		r.rng.Lower.V[0], r.rng.Lower.V[1] = major, minor
		r.rng.Upper.V[0], r.rng.Upper.V[1], r.rng.Upper.V[2] = major, minor, math.MaxInt32
		if l, ok := lowest[e.name]; !ok || r.rng.Lower.Compare(&l.rng.Lower) < 0 {
			lowest[e.name] = r
		}
	}
	for _, r := range lowest {
		r.rng.Lower = loupe.Version{Kind: ContainerVersionKind}
	}
	// Known affected: every version.
	for _, id := range ps.KnownAffected {
		e, _ := p.containerEntry(ix, id)
		if e == nil || excluded(e) {
			continue
		}
		r := add(e, "")
		if r.rng == nil {
			r.rng = &loupe.Range{Lower: loupe.Version{Kind: ContainerVersionKind}, Upper: loupe.Version{Kind: ContainerVersionKind}}
			r.rng.Upper.V[0] = math.MaxInt32
		}
	}
	return rows
}

// containerRepository returns the product of container records.
func (p *parser) containerRepository(c *cpeName) *loupe.Repository {
	k := ContainerRepositoryKey + "\x00" + c.fs
	if r, ok := p.repos[k]; ok {
		return r
	}
	r := &loupe.Repository{Name: c.fs, Key: ContainerRepositoryKey, CPE: c.fs}
	p.repos[k] = r
	return r
}

// containerVuln fills in the container-specific fields of a record.
func (p *parser) containerVuln(v *loupe.Vulnerability, r *containerRow) {
	v.Package = &loupe.Package{Name: r.name, Kind: loupe.BinaryPackage}
	if r.tag == "" {
		v.Package.Kind = loupe.SourcePackage
	}
	if len(r.arches) > 0 {
		v.Package.Arch = strings.Join(r.arches, "|")
		v.ArchOperation = loupe.ArchOpPatternMatch
	}
	v.Repo = p.containerRepository(r.cpe)
	v.FixedInVersion = r.tag
	rng := *r.rng
	v.Range = &rng
}
