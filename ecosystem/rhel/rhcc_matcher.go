package rhel

import (
	"errors"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/version"
)

// ContainerMatcher holds the matching rules of Red Hat's VEX data for
// container images (Clair's "rhel-container-matcher"): the records whose
// product is a container repository (key ContainerRepositoryKey),
// against the container packages ContainerScanner and ContainerDetector
// report.
//
// A record affects an image when:
//
//   - its name (the image's repository, "ubi9/nodejs-18") is the
//     package's name;
//   - its product covers the image's CPE, when the image names one (its
//     labels.json "cpe" label); an image without a CPE belongs to every
//     product, as Clair's "Red Hat Container Catalog" repository does;
//   - the image's version is in the record's range of normalized versions
//     (for a fix, the fix's major.minor series, and every older series
//     for the lowest fix of the image: a 1.3 image is not told of a fix
//     made in 1.4 when 1.3 has its own);
//   - the image's version sorts before the fixed version, compared as rpm
//     versions ("1-108" < "1-110"; a version without a release gets
//     "-0"), or the record has none.
//
// Architectures are not compared, as in Clair: images label theirs
// "x86_64", Red Hat's data names them "amd64".
type ContainerMatcher struct{}

var _ matcher.Rules = ContainerMatcher{}

// Name implements matcher.Rules.
func (ContainerMatcher) Name() string { return "rhel-container-matcher" }

const containerNamespace = "rhcc"

// VulnerabilityKey implements matcher.Rules.
func (ContainerMatcher) VulnerabilityKey(v *loupe.Vulnerability) (matcher.Key, bool) {
	if v.Repo == nil || v.Repo.Key != ContainerRepositoryKey || v.Package == nil || v.Package.Name == "" {
		return matcher.Key{}, false
	}
	return matcher.Key{Namespace: containerNamespace, Name: v.Package.Name}, true
}

// isContainer reports whether a package is a container image.
func isContainer(p *loupe.Package) bool {
	return p != nil && p.Name != "" && p.NormalizedVersion.Kind == ContainerVersionKind && p.Kind != loupe.SourcePackage
}

// RecordKeys implements matcher.Rules.
func (ContainerMatcher) RecordKeys(dst []matcher.Key, r *loupe.IndexRecord) []matcher.Key {
	if !isContainer(r.Package) {
		return dst
	}
	return append(dst, matcher.Key{Namespace: containerNamespace, Name: r.Package.Name})
}

var errBadContainerRange = errors.New("rhcc: range is not of container versions")

// Prepare implements matcher.Rules.
func (ContainerMatcher) Prepare(v *loupe.Vulnerability) (matcher.Constraint, error) {
	k := &containerConstraint{}
	s := v.Repo.CPE
	if s == "" && strings.HasPrefix(v.Repo.Name, "cpe:") {
		s = v.Repo.Name
	}
	if s != "" {
		c, ok := parseCPE(s)
		if !ok {
			return nil, errNoProduct
		}
		k.product = &c
	}
	if r := v.Range; r != nil {
		if r.Lower.Kind != ContainerVersionKind && r.Lower.Kind != "" || r.Upper.Kind != ContainerVersionKind {
			return nil, errBadContainerRange
		}
		k.rng = r
	}
	if f := strings.TrimSpace(v.FixedInVersion); f != "" {
		fixed, err := version.ParseRPM(ensureRelease(f))
		if err != nil {
			return nil, err
		}
		k.fixed = &fixed
	}
	return k, nil
}

// ensureRelease gives a container tag without a release the release "0",
// so that tags compare as rpm versions.
func ensureRelease(tag string) string {
	if !strings.Contains(tag, "-") {
		return tag + "-0"
	}
	return tag
}

type containerConstraint struct {
	product *cpeName // nil: the catalog, any product
	rng     *loupe.Range
	fixed   *version.RPM // nil: unfixed
}

// Affects implements matcher.Constraint.
func (k *containerConstraint) Affects(r *loupe.IndexRecord, _ bool) bool {
	p := r.Package
	if k.product != nil && p.CPE != "" && !k.product.covers(p.CPE) {
		return false
	}
	if k.rng != nil {
		nv := p.NormalizedVersion
		lower := k.rng.Lower
		lower.Kind = ContainerVersionKind
		if nv.Compare(&lower) < 0 || nv.Compare(&k.rng.Upper) >= 0 {
			return false
		}
	}
	if k.fixed == nil {
		return true
	}
	installed, err := version.ParseRPM(ensureRelease(p.Version))
	if err != nil {
		return false
	}
	return installed.Compare(*k.fixed) < 0
}
