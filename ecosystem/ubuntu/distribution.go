package ubuntu

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

const lsbReleasePath = "etc/lsb-release"

// DistributionScanner recognises Ubuntu from os-release (etc/, then
// usr/lib/), falling back to etc/lsb-release in layers that have no
// os-release, or whose os-release does not name the release.
//
// An os-release that names another distribution settles it: the layer is
// not Ubuntu, whatever its lsb-release says. A release file that names
// only the version or only the codename is completed from the table of
// Ubuntu releases; one that names neither is not reported.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "ubuntu" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "2" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner. Both os-release paths are kept so
// that etc/os-release, a link to ../usr/lib/os-release in Ubuntu images,
// resolves.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(lsbReleasePath)
}

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	kv, found := osrelease.Read(fsys)
	var ver, codename string
	if found {
		if !strings.EqualFold(kv["ID"], "ubuntu") {
			return &indexer.Findings{}, nil
		}
		ver = kv["VERSION_ID"]
		codename = firstNonEmpty(kv["VERSION_CODENAME"], kv["UBUNTU_CODENAME"], codenameInVersion(kv["VERSION"]))
	}
	if strings.TrimSpace(ver) == "" || strings.TrimSpace(codename) == "" {
		// No os-release, or one that does not say which release.
		if b, err := fs.ReadFile(fsys, lsbReleasePath); err == nil {
			lsb := osrelease.Parse(b)
			lsbVer := strings.TrimSpace(lsb["DISTRIB_RELEASE"])
			v := strings.TrimSpace(ver)
			// Only a file about the same release completes os-release.
			if strings.EqualFold(lsb["DISTRIB_ID"], "ubuntu") && (v == "" || lsbVer == "" || v == lsbVer) {
				ver = firstNonEmpty(ver, lsbVer)
				codename = firstNonEmpty(codename, lsb["DISTRIB_CODENAME"])
			}
		}
	}
	ver, codename = strings.TrimSpace(ver), strings.ToLower(strings.TrimSpace(codename))
	if codename == "" {
		codename = codenameOf(ver)
	}
	if ver == "" {
		ver = versionOf(codename)
	}
	if ver == "" || codename == "" {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{Distribution(ver, codename)}}, nil
}

// codenameInVersion finds a known codename in an os-release VERSION:
// "22.04.4 LTS (Jammy Jellyfish)", or "14.04.6 LTS, Trusty Tahr" as 14.04
// wrote it.
func codenameInVersion(v string) string {
	for _, sep := range []string{"(", ", "} {
		_, rest, ok := strings.Cut(v, sep)
		if !ok {
			continue
		}
		word, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
		word = strings.ToLower(strings.TrimRight(word, ")"))
		if versionOf(word) != "" {
			return word
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// Distribution returns the Distribution Clair reports for an Ubuntu
// release: did "ubuntu", name "Ubuntu", version_id "22.04",
// version_code_name "jammy", version "22.04 (Jammy)", pretty name
// "Ubuntu 22.04"; no CPE, no architecture.
func Distribution(ver, codename string) *loupe.Distribution {
	codename = strings.ToLower(codename)
	title := codename
	if title != "" {
		title = strings.ToUpper(title[:1]) + title[1:]
	}
	return &loupe.Distribution{
		DID:             "ubuntu",
		Name:            "Ubuntu",
		VersionID:       ver,
		VersionCodeName: codename,
		Version:         fmt.Sprintf("%s (%s)", ver, title),
		PrettyName:      "Ubuntu " + ver,
	}
}
