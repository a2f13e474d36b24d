package amazon

import (
	"context"
	"io/fs"
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// ID is Amazon Linux's os-release ID, its distributions' DID.
const ID = "amzn"

// Release is an Amazon Linux release, as Clair names them.
type Release string

// The releases.
const (
	AL1    Release = "AL1"
	AL2    Release = "AL2"
	AL2023 Release = "AL2023"
)

// Releases are the releases Loupe (and Clair) support, oldest first.
var Releases = []Release{AL1, AL2, AL2023}

// Distribution returns the distribution Clair reports for a release, for
// images and vulnerabilities alike: Amazon Linux AMI 2018.03 (every
// Amazon Linux 1 image, whatever its point release), Amazon Linux 2 and
// Amazon Linux 2023. It returns nil for an unknown release.
func (r Release) Distribution() *loupe.Distribution {
	switch r {
	case AL1:
		return &loupe.Distribution{
			DID: ID, Name: "Amazon Linux AMI", Version: "2018.03", VersionID: "2018.03",
			PrettyName: "Amazon Linux AMI 2018.03", CPE: "cpe:2.3:o:amazon:linux:2018.03:ga:*:*:*:*:*:*",
		}
	case AL2:
		return &loupe.Distribution{
			DID: ID, Name: "Amazon Linux", Version: "2", VersionID: "2",
			PrettyName: "Amazon Linux 2", CPE: "cpe:2.3:o:amazon:amazon_linux:2:*:*:*:*:*:*:*",
		}
	case AL2023:
		return &loupe.Distribution{
			DID: ID, Name: "Amazon Linux", Version: "2023", VersionID: "2023",
			PrettyName: "Amazon Linux 2023", CPE: "cpe:2.3:o:amazon:amazon_linux:2023:*:*:*:*:*:*:*",
		}
	}
	return nil
}

// Namespace returns the matcher's namespace of an Amazon Linux
// distribution, "amzn:<version_id>" ("amzn:2018.03", "amzn:2",
// "amzn:2023"), as Clair's matcher keys on the DID and version_id.
func Namespace(d *loupe.Distribution) string {
	if v := strings.TrimSpace(d.VersionID); v != "" {
		return ID + ":" + v
	}
	return ""
}

// Release files read when an image has no os-release.
const (
	systemReleasePath = "etc/system-release"
	al2023ReleasePath = "etc/amazon-linux-release"
)

// DistributionScanner recognises Amazon Linux 1, 2 and 2023 as Clair's
// "aws" scanner does, from os-release's CPE_NAME (cpe:/o:amazon:linux:
// 201x.0[39]:ga, cpe:2.3:o:amazon:amazon_linux:2,
// cpe:2.3:o:amazon:amazon_linux:2023), reporting Release.Distribution.
// Unlike Clair, it also reads usr/lib/os-release (where Amazon Linux
// 2023's etc/os-release points), takes an os-release with ID "amzn" and
// no CPE_NAME by its VERSION_ID, and recognises an image with no
// os-release by etc/system-release or etc/amazon-linux-release ("Amazon
// Linux release 2 (Karoo)"). Amazon Linux 2022, a preview, is not
// recognised, as in Clair: it has no feed.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "aws" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(systemReleasePath, al2023ReleasePath)
}

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var r Release
	if kv, ok := osrelease.Read(fsys); ok {
		r = fromOSRelease(kv)
	} else {
		for _, p := range []string{systemReleasePath, al2023ReleasePath} {
			if b, err := fs.ReadFile(fsys, p); err == nil {
				if rf, ok := rpmfeeds.ParseReleaseFile(b); ok && strings.HasPrefix(rf.Name, "Amazon Linux") {
					r = fromVersion(rf.VersionID)
				}
				break
			}
		}
	}
	d := r.Distribution()
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

// al1CPE is Clair's expression for Amazon Linux 1's CPE name.
var al1CPE = regexp.MustCompile(`^cpe:/o:amazon:linux:201.\.0[39]:ga$`)

func fromOSRelease(kv map[string]string) Release {
	switch cpe := strings.TrimSpace(kv["CPE_NAME"]); {
	case al1CPE.MatchString(cpe):
		return AL1
	case cpe == "cpe:2.3:o:amazon:amazon_linux:2":
		return AL2
	case cpe == "cpe:2.3:o:amazon:amazon_linux:2023":
		return AL2023
	case cpe == "" && strings.EqualFold(kv["ID"], ID):
		return fromVersion(kv["VERSION_ID"])
	}
	return ""
}

// al1Version matches Amazon Linux 1's point releases, 2016.09 to 2018.03.
var al1Version = regexp.MustCompile(`^201\d\.0[39]$`)

func fromVersion(v string) Release {
	v = strings.TrimSpace(v)
	switch {
	case v == "2":
		return AL2
	case v == "2023" || strings.HasPrefix(v, "2023."):
		return AL2023
	case al1Version.MatchString(v):
		return AL1
	}
	return ""
}

// Matcher returns the "aws-matcher" rules, Clair's name: Amazon Linux's
// advisories speak in binary packages, keyed by release ("amzn:2"); see
// package rpmfeeds for the rest.
func Matcher() rpmfeeds.Matcher {
	return rpmfeeds.NewMatcher("aws-matcher", ID, Namespace)
}
