package rhel

import (
	"bytes"
	"context"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// Release files read when an image has no os-release.
const (
	redhatReleasePath = "etc/redhat-release"
	centosReleasePath = "etc/centos-release"
)

var distributionPatterns = osrelease.Patterns(redhatReleasePath, centosReleasePath)

// releaseText matches RHEL's name and major version in os-release values
// and release files ("Red Hat Enterprise Linux 9.4 (Plow)", "Red Hat
// Enterprise Linux Server release 7.9 (Maipo)"), the expression Clair
// applies.
var releaseText = regexp.MustCompile(`Red Hat Enterprise Linux (?:Server|Atomic Host)?\s*(?:release)?\s*(\d+)(?:\.\d)?`)

// Distribution returns the Distribution Clair reports for a major release
// of Red Hat Enterprise Linux (UBI images included).
func Distribution(major int) *loupe.Distribution {
	n := strconv.Itoa(major)
	return &loupe.Distribution{
		DID:        "rhel",
		Name:       "Red Hat Enterprise Linux Server",
		Version:    n,
		VersionID:  n,
		PrettyName: "Red Hat Enterprise Linux Server " + n,
		CPE:        "cpe:2.3:o:redhat:enterprise_linux:" + n + ":*:*:*:*:*:*:*",
	}
}

// DistributionScanner recognises Red Hat Enterprise Linux and UBI images
// from etc/os-release (then usr/lib/os-release), falling back to
// etc/redhat-release in images that have no os-release.
//
// An os-release is RHEL's when its ID is "rhel", or, when it has no ID,
// when its names match Clair's expression. Unlike Clair, which matches the
// expression against the whole file, Loupe does not take CentOS Stream
// (whose REDHAT_SUPPORT_PRODUCT is "Red Hat Enterprise Linux 9") for RHEL:
// CentOSScanner reports it.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "rhel" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string { return distributionPatterns }

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, ok := osrelease.Read(fsys); ok {
		d = rhelFromOSRelease(kv)
	} else if b, err := fs.ReadFile(fsys, redhatReleasePath); err == nil {
		if m := releaseText.FindSubmatch(b); m != nil {
			d = distributionOf(string(m[1]))
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

func rhelFromOSRelease(kv map[string]string) *loupe.Distribution {
	switch id := strings.ToLower(kv["ID"]); id {
	case "rhel":
		if major := majorOf(kv["VERSION_ID"]); major != "" {
			return distributionOf(major)
		}
	case "":
	default:
		return nil
	}
	for _, k := range []string{"PRETTY_NAME", "NAME", "VERSION"} {
		if m := releaseText.FindStringSubmatch(kv[k]); m != nil {
			return distributionOf(m[1])
		}
	}
	return nil
}

func distributionOf(major string) *loupe.Distribution {
	n, err := strconv.Atoi(major)
	if err != nil || n <= 0 || n > 99 {
		return nil
	}
	return Distribution(n)
}

// majorOf returns the leading number of a version ("9" of "9.4"), or "".
func majorOf(v string) string {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	if i == 0 || i > 2 || (i < len(v) && v[i] != '.') {
		return ""
	}
	return strings.TrimLeft(v[:i], "0")
}

// CentOSScanner recognises CentOS Linux (5 to 8) and CentOS Stream (8 to
// 10), which Clair does not detect. The distribution follows os-release:
// did "centos", name "CentOS Linux" or "CentOS Stream", version_id the
// major version, version and pretty_name as written there, and the CPE of
// CPE_NAME. Without os-release (CentOS 6 and older), etc/centos-release
// and etc/redhat-release give the same fields.
type CentOSScanner struct{}

var _ indexer.Scanner = CentOSScanner{}

// Name implements indexer.Scanner.
func (CentOSScanner) Name() string { return "centos" }

// Version implements indexer.Scanner.
func (CentOSScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (CentOSScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (CentOSScanner) Patterns() []string { return distributionPatterns }

// centosReleaseText matches "CentOS Linux release 7.9.2009 (Core)",
// "CentOS Stream release 9" and "CentOS release 6.10 (Final)".
var centosReleaseText = regexp.MustCompile(`^CentOS (Linux |Stream )?release (\d+)[.\d]*\s*(?:\((\w+)\))?`)

// Scan implements indexer.Scanner.
func (CentOSScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, ok := osrelease.Read(fsys); ok {
		if strings.EqualFold(kv["ID"], "centos") {
			d = centosFromOSRelease(kv)
		}
	} else {
		for _, p := range []string{centosReleasePath, redhatReleasePath} {
			if b, err := fs.ReadFile(fsys, p); err == nil {
				d = centosFromRelease(b)
				break
			}
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

func centosFromOSRelease(kv map[string]string) *loupe.Distribution {
	major := majorOf(kv["VERSION_ID"])
	if major == "" {
		return nil
	}
	name := kv["NAME"]
	if name == "" {
		name = "CentOS Linux"
	}
	d := &loupe.Distribution{
		DID:             "centos",
		Name:            name,
		Version:         kv["VERSION"],
		VersionID:       major,
		VersionCodeName: kv["VERSION_CODENAME"],
		PrettyName:      kv["PRETTY_NAME"],
		CPE:             formatCPE(kv["CPE_NAME"]),
	}
	if d.Version == "" {
		d.Version = major
	}
	if d.PrettyName == "" {
		d.PrettyName = name + " " + d.Version
	}
	return d
}

func centosFromRelease(b []byte) *loupe.Distribution {
	m := centosReleaseText.FindSubmatch(bytes.TrimSpace(b))
	if m == nil {
		return nil
	}
	major := strings.TrimLeft(string(m[2]), "0")
	if major == "" || len(major) > 2 {
		return nil
	}
	name := "CentOS Linux"
	if string(m[1]) == "Stream " {
		name = "CentOS Stream"
	}
	version := major
	if len(m[3]) > 0 {
		version += " (" + string(m[3]) + ")"
	}
	return &loupe.Distribution{
		DID:        "centos",
		Name:       name,
		Version:    version,
		VersionID:  major,
		PrettyName: name + " " + version,
		CPE:        "cpe:2.3:o:centos:centos:" + major + ":*:*:*:*:*:*:*",
	}
}
