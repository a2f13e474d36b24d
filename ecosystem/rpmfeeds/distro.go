package rpmfeeds

import (
	"io/fs"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// Distro describes a distribution that is told by its os-release ID or, in
// an image with no os-release, by its own release file, and whose
// vulnerabilities are filed by major release. Rocky Linux, AlmaLinux and
// Fedora are such distributions; their packages wrap a Distro in their
// own scanner and matcher so that each keeps its name.
type Distro struct {
	// ID is os-release's ID and the distributions' DID ("rocky").
	ID string
	// Name is the distribution's NAME ("Rocky Linux").
	Name string
	// ReleaseFile is the release file read without os-release
	// ("etc/rocky-release").
	ReleaseFile string
	// ReleaseName is what the release file's name starts with ("Rocky
	// Linux"; Fedora's says "Fedora", not "Fedora Linux").
	ReleaseName string
	// CPEPrefix is the distribution's CPE up to the release
	// ("cpe:2.3:o:rocky:rocky:").
	CPEPrefix string
}

// Distribution returns the distribution vulnerabilities of a release are
// filed under: {did ID, name Name, version and version_id release,
// pretty_name "Name release", cpe CPEPrefix+release+":*:…"}.
func (d Distro) Distribution(release string) *loupe.Distribution {
	return &loupe.Distribution{
		DID:        d.ID,
		Name:       d.Name,
		Version:    release,
		VersionID:  release,
		PrettyName: d.Name + " " + release,
		CPE:        d.cpe(release),
	}
}

func (d Distro) cpe(release string) string { return d.CPEPrefix + release + ":*:*:*:*:*:*:*" }

// Namespace returns the matcher's namespace of one of the distribution's
// releases, "<ID>:<major>", or "" when its version_id has no major
// release.
func (d Distro) Namespace(dist *loupe.Distribution) string {
	if m := Major(dist.VersionID); m != "" {
		return d.ID + ":" + m
	}
	return ""
}

// Patterns returns the files Detect reads, for indexer.Scanner.Patterns.
func (d Distro) Patterns() []string {
	return osrelease.Patterns(d.ReleaseFile)
}

// Detect reports the layer's distribution when it is this one. With an
// os-release (etc/, then usr/lib/) whose ID is ID, its fields as written
// there (FromOSRelease). With none, from the release file ("Rocky Linux
// release 9.4 (Blue Onyx)"): version "9.4 (Blue Onyx)", version_id "9.4",
// and a CPE without the edition os-release's carries.
func (d Distro) Detect(fsys fs.FS) *indexer.Findings {
	var found *loupe.Distribution
	if kv, ok := osrelease.Read(fsys); ok {
		if strings.EqualFold(kv["ID"], d.ID) {
			found = FromOSRelease(kv, d.Name)
		}
	} else if b, err := fs.ReadFile(fsys, d.ReleaseFile); err == nil {
		if r, ok := ParseReleaseFile(b); ok && strings.HasPrefix(r.Name, d.ReleaseName) {
			found = d.fromRelease(r)
		}
	}
	if found == nil {
		return &indexer.Findings{}
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{found}}
}

func (d Distro) fromRelease(r Release) *loupe.Distribution {
	version := r.VersionID
	if r.Codename != "" {
		version += " (" + r.Codename + ")"
	}
	return &loupe.Distribution{
		DID:        d.ID,
		Name:       d.Name,
		Version:    version,
		VersionID:  r.VersionID,
		PrettyName: d.Name + " " + version,
		CPE:        d.cpe(Major(r.VersionID)),
	}
}
