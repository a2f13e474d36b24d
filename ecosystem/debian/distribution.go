package debian

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

const (
	debianVersionPath = "etc/debian_version"
	lsbReleasePath    = "etc/lsb-release"
)

// DistributionScanner recognises Debian from os-release (etc/ first, then
// usr/lib/), falling back to etc/debian_version in images that have no
// os-release at all (and no lsb-release naming another distribution, since
// Debian derivatives ship a debian_version too).
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "debian" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(debianVersionPath, lsbReleasePath)
}

var parenWord = regexp.MustCompile(`\(([A-Za-z]+)\)`)

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(ctx context.Context, fsys fs.FS) (*indexer.Findings, error) {
	kv, found := osrelease.Read(fsys)
	var (
		d   *loupe.Distribution
		err error
	)
	switch {
	case found && strings.EqualFold(kv["ID"], "debian"):
		d = fromOSRelease(kv)
	case !found && !derivative(fsys):
		d, err = fromDebianVersion(fsys)
		if err != nil {
			return nil, fmt.Errorf("debian: %w", err)
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

func fromOSRelease(kv map[string]string) *loupe.Distribution {
	codename := strings.ToLower(kv["VERSION_CODENAME"])
	if codename == "" {
		if m := parenWord.FindStringSubmatch(kv["VERSION"]); m != nil {
			codename = strings.ToLower(m[1])
		}
	}
	major, _ := strconv.Atoi(kv["VERSION_ID"])
	switch {
	case codename == "" && major > 0:
		codename = codenameOf(major)
	case major == 0 && codename != "":
		// testing has a codename and no VERSION_ID; sid has neither
		// (PRETTY_NAME "Debian GNU/Linux trixie/sid").
		major = releases[codename]
	}
	if codename == "" {
		if name, _, ok := strings.Cut(kv["PRETTY_NAME"], "/sid"); ok {
			codename = strings.ToLower(name[strings.LastIndexByte(name, ' ')+1:])
			major = releases[codename]
		}
	}
	if codename == "" {
		return nil
	}
	d := Distribution(codename, major)
	d.CPE = osrelease.FormatCPE(kv["CPE_NAME"])
	return d
}

// fromDebianVersion reads etc/debian_version: "12.5" in a release,
// "bookworm/sid" in testing.
func fromDebianVersion(fsys fs.FS) (*loupe.Distribution, error) {
	b, err := fs.ReadFile(fsys, debianVersionPath)
	if err != nil {
		return nil, nil // absent, or not a file
	}
	v := string(bytes.TrimSpace(b))
	if major, _, _ := strings.Cut(v, "."); major != "" {
		if n, err := strconv.Atoi(major); err == nil && n > 0 {
			if c := codenameOf(n); c != "" {
				return Distribution(c, n), nil
			}
			return nil, nil
		}
	}
	if codename, _, ok := strings.Cut(v, "/"); ok {
		codename = strings.ToLower(codename)
		if n, known := releases[codename]; known {
			return Distribution(codename, n), nil
		}
	}
	return nil, nil
}

// derivative reports whether etc/lsb-release names a distribution other
// than Debian.
func derivative(fsys fs.FS) bool {
	b, err := fs.ReadFile(fsys, lsbReleasePath)
	if err != nil {
		return false
	}
	id := osrelease.Parse(b)["DISTRIB_ID"]
	return id != "" && !strings.EqualFold(id, "debian")
}
