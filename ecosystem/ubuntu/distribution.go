package ubuntu

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

const lsbReleasePath = "etc/lsb-release"

// DistributionScanner recognises Ubuntu from etc/lsb-release, then
// os-release (etc/, then usr/lib/).
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "ubuntu" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return []string{lsbReleasePath, osrelease.EtcPath, osrelease.UsrLibPath}
}

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var id, ver, codename string
	if b, err := fs.ReadFile(fsys, lsbReleasePath); err == nil {
		kv := osrelease.Parse(b)
		id, ver, codename = kv["DISTRIB_ID"], kv["DISTRIB_RELEASE"], kv["DISTRIB_CODENAME"]
	}
	if !strings.EqualFold(id, "ubuntu") {
		kv, _, err := debian.ReadOSRelease(fsys)
		if err != nil {
			return nil, fmt.Errorf("ubuntu: %w", err)
		}
		id, ver, codename = kv["ID"], kv["VERSION_ID"], kv["VERSION_CODENAME"]
	}
	if !strings.EqualFold(id, "ubuntu") || ver == "" || codename == "" {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{Distribution(ver, codename)}}, nil
}

// Distribution returns the Distribution Clair reports for an Ubuntu
// release: version "22.04 (Jammy)", pretty name "Ubuntu 22.04".
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
