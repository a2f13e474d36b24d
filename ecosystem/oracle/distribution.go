package oracle

import (
	"context"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// Release files read when an image has no os-release (Oracle Linux 5
// and 6).
const (
	oracleReleasePath = "etc/oracle-release"
	issuePath         = "etc/issue"
)

// The distribution's identity, as Clair reports it.
const (
	did  = "ol"
	name = "Oracle Linux Server"
)

// releaseText matches the release in Oracle's names for itself: "Oracle
// Linux Server 8.9" (os-release), "Oracle Linux Server release 7.9"
// (oracle-release, issue).
var releaseText = regexp.MustCompile(`(?i)Oracle Linux Server (?:release )?(\d+)`)

// Distribution returns the Distribution Clair reports for a major release
// of Oracle Linux: did "ol", name "Oracle Linux Server", version and
// version_id the major release, version_code_name "Oracle Linux 9",
// pretty_name "Oracle Linux Server 9".
func Distribution(major int) *loupe.Distribution {
	n := strconv.Itoa(major)
	return &loupe.Distribution{
		DID:             did,
		Name:            name,
		Version:         n,
		VersionID:       n,
		VersionCodeName: "Oracle Linux " + n,
		PrettyName:      name + " " + n,
	}
}

// DistributionScanner recognises Oracle Linux: from os-release (etc/, then
// usr/lib/) when its ID is "ol", or, with no ID, when its names read
// "Oracle Linux Server N"; in images without os-release, from
// etc/oracle-release, then etc/issue. Minor releases are folded into the
// major one, which is what the ELSA data speaks of.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "oracle" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(oracleReleasePath, issuePath)
}

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, ok := osrelease.Read(fsys); ok {
		d = fromOSRelease(kv)
	} else {
		for _, p := range []string{oracleReleasePath, issuePath} {
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				continue
			}
			if m := releaseText.FindSubmatch(b); m != nil {
				d = distributionOf(string(m[1]))
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
	switch strings.ToLower(kv["ID"]) {
	case did:
		return distributionOf(majorOf(kv["VERSION_ID"]))
	case "":
		for _, k := range []string{"PRETTY_NAME", "NAME"} {
			if m := releaseText.FindStringSubmatch(kv[k]); m != nil {
				return distributionOf(m[1])
			}
		}
		if strings.EqualFold(kv["NAME"], name) {
			return distributionOf(majorOf(kv["VERSION_ID"]))
		}
	}
	return nil
}

// distributionOf returns the Distribution of a major release, nil for
// one that Oracle Linux never had (before 5) or a number that is not one.
func distributionOf(major string) *loupe.Distribution {
	n, err := strconv.Atoi(major)
	if err != nil || n < 5 || n > 99 {
		return nil
	}
	return Distribution(n)
}

// majorOf returns the leading number of a version ("8" of "8.9").
func majorOf(v string) string {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	if i < len(v) && v[i] != '.' {
		return ""
	}
	return v[:i]
}
