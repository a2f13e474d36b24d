package rhel

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// ContainerRepositoryKey marks the products of container vulnerability
// records (Clair's "rhcc-container-repository").
const ContainerRepositoryKey = "rhcc-container-repository"

// ContainerVersionKind is the kind of the normalized versions of
// container images (Clair's "rhctag"): the major and minor release of
// the image's tag.
const ContainerVersionKind = "rhctag"

// GoldRepository returns the repository Clair names "Red Hat Container
// Catalog": the product of containers whose image does not name one.
func GoldRepository() *loupe.Repository {
	return &loupe.Repository{
		Name: "Red Hat Container Catalog",
		URI:  "https://catalog.redhat.com/software/containers/explore",
		Key:  ContainerRepositoryKey,
	}
}

// Where Red Hat's build systems leave an image's own description.
const (
	buildinfoDir     = "root/buildinfo"
	labelsFile       = "root/buildinfo/labels.json"
	altLabelsFile    = "usr/share/buildinfo/labels.json"
	maxBuildinfoSize = 1 << 20
)

// containerHint is the RepositoryHint of container packages.
const containerHint = "rhcc"

// ContainerScanner reports the Red Hat container image a layer holds, as
// Clair's "rhel_containerscanner" does: from the Dockerfile the legacy
// build system (OSBS) leaves in root/buildinfo, named after the image's
// name-version-release (root/buildinfo/Dockerfile-ubi9-nodejs-18-1-108).
// The package's version is the file name's version-release ("1-108"),
// its name the Dockerfile's "name" label ("ubi9/nodejs-18"), its source
// package the "com.redhat.component" label ("nodejs-18-container"), its
// architecture the "architecture" label. A Dockerfile without those
// labels, or whose version does not start with a number, reports
// nothing.
//
// The package's file (Package.Filepath) is root/buildinfo, for this
// scanner and ContainerDetector alike: the image a layer describes
// replaces those of the layers below, so only the newest Red Hat image of
// a layered build is reported (Clair reports the older ones too, marked
// unmatchable). Container packages have no repository (see the package
// documentation).
type ContainerScanner struct{}

var _ indexer.Scanner = ContainerScanner{}

// Name implements indexer.Scanner.
func (ContainerScanner) Name() string { return "rhel_containerscanner" }

// Version implements indexer.Scanner.
func (ContainerScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (ContainerScanner) Kind() string { return indexer.PackageKind }

// Patterns implements indexer.Scanner.
func (ContainerScanner) Patterns() []string { return []string{buildinfoDir + "/Dockerfile-*"} }

// Scan implements indexer.Scanner.
func (ContainerScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	f := &indexer.Findings{}
	names, _ := fs.Glob(fsys, buildinfoDir+"/Dockerfile-*") // sorted
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		vr, ok := dockerfileVR(path.Base(name))
		if !ok {
			continue
		}
		b, ok := readSmall(ctx, fsys, name)
		if !ok {
			continue
		}
		pkgs := containerFromDockerfile(ctx, name, vr, b)
		if pkgs != nil {
			f.Packages = pkgs
			break
		}
	}
	return f, nil
}

// containerFromDockerfile returns the container package a buildinfo
// Dockerfile describes, or nil.
func containerFromDockerfile(ctx context.Context, name, vr string, b []byte) []*loupe.Package {
	nv, ok := containerVersion(vr)
	if !ok {
		return nil
	}
	labels := DockerfileLabels(b)
	comp, arch, image := labels["com.redhat.component"], labels["architecture"], labels["name"]
	if comp == "" || arch == "" || image == "" {
		slog.InfoContext(ctx, "buildinfo Dockerfile lacks component, name or architecture label", "path", name)
		return nil
	}
	return containerPackages(name, comp, image, vr, arch, "", nv)
}

// dockerfileVR returns the version-release of a buildinfo Dockerfile's
// name, "Dockerfile-<name>-<version>-<release>".
func dockerfileVR(base string) (string, bool) {
	nvr, ok := strings.CutPrefix(base, "Dockerfile-")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(nvr, '-')
	if i <= 0 {
		return "", false
	}
	j := strings.LastIndexByte(nvr[:i], '-')
	if j <= 0 || j+1 == i || i+1 == len(nvr) {
		return "", false
	}
	vr := nvr[j+1:]
	return vr, ociTag.MatchString(vr)
}

// ContainerDetector reports the Red Hat container image a layer holds, as
// Clair's "rhel_package_container_detector" does: from the labels.json
// file newer build systems (Konflux) leave in root/buildinfo (or, in
// RHCOS, usr/share/buildinfo). The package's name is the "name" label,
// its version the Unix time of "org.opencontainers.image.created"
// ("1744596866"), its architecture the "architecture" label; a
// "cpe" label names the image's product, kept as the package's CPE.
// Labels wrapped in a second layer of JSON quoting (a build tooling bug
// Clair works around) are unquoted. Without a name, architecture or
// creation time, nothing is reported.
type ContainerDetector struct{}

var _ indexer.Scanner = ContainerDetector{}

// Name implements indexer.Scanner.
func (ContainerDetector) Name() string { return "rhel_package_container_detector" }

// Version implements indexer.Scanner.
func (ContainerDetector) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (ContainerDetector) Kind() string { return indexer.PackageKind }

// Patterns implements indexer.Scanner.
func (ContainerDetector) Patterns() []string { return []string{labelsFile, altLabelsFile} }

// Scan implements indexer.Scanner.
func (ContainerDetector) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	f := &indexer.Findings{}
	for _, name := range []string{labelsFile, altLabelsFile} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, ok := readSmall(ctx, fsys, name)
		if !ok {
			continue
		}
		l, err := ParseContainerLabels(b)
		if err != nil {
			slog.WarnContext(ctx, "container labels malformed", "path", name, "reason", err)
			return f, nil
		}
		if l.Name == "" || l.Architecture == "" || l.Created.IsZero() {
			slog.WarnContext(ctx, "container labels lack name, architecture or creation time", "path", name)
			return f, nil
		}
		vr := strconv.FormatInt(l.Created.Unix(), 10)
		nv, ok := containerVersion(vr)
		if !ok {
			return f, nil
		}
		f.Packages = containerPackages(name, l.Name, l.Name, vr, l.Architecture, formatCPE(l.CPE), nv)
		return f, nil
	}
	return f, nil
}

// ContainerLabels are the labels.json fields Loupe reads.
type ContainerLabels struct {
	Name         string
	Architecture string
	CPE          string
	Created      time.Time
}

// ParseContainerLabels parses a buildinfo labels.json. A creation time
// that is not RFC 3339 is left zero.
func ParseContainerLabels(b []byte) (*ContainerLabels, error) {
	var raw map[string]any
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	str := func(k string) string {
		s, _ := raw[k].(string)
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
		return strings.TrimSpace(s)
	}
	l := &ContainerLabels{Name: str("name"), Architecture: str("architecture"), CPE: str("cpe")}
	if t, err := time.Parse(time.RFC3339, str("org.opencontainers.image.created")); err == nil {
		l.Created = t
	}
	if !validLabel(l.Name) || !validLabel(l.Architecture) {
		l.Name, l.Architecture = "", ""
	}
	return l, nil
}

// validLabel reports whether a label can name a package: no control
// characters, white space or colons, at most 255 bytes.
func validLabel(s string) bool {
	if len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// containerPackages returns the binary package of an image (with its
// source package).
func containerPackages(db, src, name, vr, arch, cpe string, nv loupe.Version) []*loupe.Package {
	if !validLabel(src) || !validLabel(name) || !validLabel(arch) {
		return nil
	}
	s := &loupe.Package{
		Name: src, Version: vr, Kind: loupe.SourcePackage, NormalizedVersion: nv, Arch: arch,
	}
	return []*loupe.Package{{
		Name: name, Version: vr, Kind: loupe.BinaryPackage, Source: s,
		NormalizedVersion: nv, Arch: arch, CPE: cpe,
		PackageDB: db, Filepath: buildinfoDir, RepositoryHint: containerHint,
	}}
}

// containerVersion returns the normalized version of a container tag: the
// major and minor release of "[v]major[.minor[…]][-release]" (Clair's
// rhctag). Tags that do not start with a number have none.
func containerVersion(tag string) (loupe.Version, bool) {
	major, minor, ok := tagMinor(tag)
	if !ok {
		return loupe.Version{}, false
	}
	v := loupe.Version{Kind: ContainerVersionKind}
	v.V[0], v.V[1] = major, minor
	return v, true
}

// tagMinor parses the major and minor release of a container tag.
func tagMinor(tag string) (major, minor int32, ok bool) {
	s := strings.TrimPrefix(tag, "v")
	if i := strings.IndexByte(s, '-'); i > 0 {
		s = s[:i]
	}
	first, rest, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil || n < 0 || first[0] == '+' {
		return 0, 0, false
	}
	second, _, _ := strings.Cut(rest, ".")
	m, err := strconv.ParseInt(second, 10, 64)
	if err != nil || m < 0 || second == "" || second[0] == '+' {
		m = 0
	}
	return clamp32(n), clamp32(m), true
}

func clamp32(n int64) int32 {
	return int32(min(n, math.MaxInt32))
}

// readSmall reads a buildinfo file, false if it is absent, not a regular
// file or too large.
func readSmall(ctx context.Context, fsys fs.FS, name string) ([]byte, bool) {
	info, err := fs.Stat(fsys, name)
	if err != nil || !info.Mode().IsRegular() {
		return nil, false
	}
	if info.Size() > maxBuildinfoSize {
		slog.WarnContext(ctx, "buildinfo file too large; skipped", "path", name)
		return nil, false
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, false
	}
	return b, true
}
