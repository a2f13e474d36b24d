package mariner

import (
	"context"
	"io/fs"
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// Release files read when an image has no os-release.
const (
	marinerReleasePath    = "etc/mariner-release"
	azureLinuxReleasePath = "etc/azurelinux-release"
)

// The distributions' IDs, as their os-release files write them.
const (
	marinerID    = "mariner"
	azureLinuxID = "azurelinux"
)

// Their names and pretty names, as their os-release files write them.
const (
	marinerName          = "Common Base Linux Mariner"
	marinerPrettyName    = "CBL-Mariner/Linux"
	azureLinuxName       = "Microsoft Azure Linux"
	azureLinuxPrettyName = "Microsoft Azure Linux " // and the version
)

// Mariner returns the Distribution of a CBL-Mariner release ("1.0",
// "2.0"), with the values its os-release has: did "mariner", name "Common
// Base Linux Mariner", version and version_id "2.0", pretty_name
// "CBL-Mariner/Linux".
func Mariner(version string) *loupe.Distribution {
	return &loupe.Distribution{DID: marinerID, Name: marinerName, Version: version, VersionID: version, PrettyName: marinerPrettyName}
}

// AzureLinux returns the Distribution of an Azure Linux release ("3.0"),
// with the values its os-release has: did "azurelinux", name "Microsoft
// Azure Linux", version and version_id "3.0", pretty_name "Microsoft
// Azure Linux 3.0".
func AzureLinux(version string) *loupe.Distribution {
	return &loupe.Distribution{DID: azureLinuxID, Name: azureLinuxName, Version: version, VersionID: version, PrettyName: azureLinuxPrettyName + version}
}

// DistributionScanner recognises CBL-Mariner and Azure Linux, which Clair
// does not. As Grype does, it goes by os-release (etc/, then usr/lib/):
// ID "mariner" or "azurelinux", and VERSION_ID for the release; name and
// pretty_name are taken from there too. Images without os-release are
// read from etc/mariner-release ("CBL-Mariner 2.0.20230126") or
// etc/azurelinux-release ("Microsoft Azure Linux 3.0.20240727"), as Trivy
// does.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "mariner" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(marinerReleasePath, azureLinuxReleasePath)
}

var releaseLine = regexp.MustCompile(`^(CBL-Mariner|Microsoft Azure Linux) (\d+\.\d+)`)

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, ok := osrelease.Read(fsys); ok {
		d = fromOSRelease(kv)
	} else {
		for _, p := range []string{azureLinuxReleasePath, marinerReleasePath} {
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				continue
			}
			if m := releaseLine.FindStringSubmatch(strings.TrimSpace(string(b))); m != nil {
				if m[1] == "CBL-Mariner" {
					d = Mariner(m[2])
				} else {
					d = AzureLinux(m[2])
				}
				break
			}
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

func fromOSRelease(kv map[string]string) *loupe.Distribution {
	version := release(kv["VERSION_ID"])
	if version == "" {
		return nil
	}
	var d *loupe.Distribution
	switch strings.ToLower(kv["ID"]) {
	case marinerID:
		d = Mariner(version)
	case azureLinuxID:
		d = AzureLinux(version)
	default:
		return nil
	}
	if n := kv["NAME"]; n != "" {
		d.Name = n
	}
	if n := kv["PRETTY_NAME"]; n != "" {
		d.PrettyName = n
	}
	d.CPE = osrelease.FormatCPE(kv["CPE_NAME"])
	return d
}

// release returns the major.minor of a version ("2.0" of "2.0" or
// "2.0.20230126"; "3.0" of "3"), "" when it is not a version.
func release(v string) string {
	parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	if len(parts) == 1 {
		return parts[0] + ".0"
	}
	return parts[0] + "." + parts[1]
}
