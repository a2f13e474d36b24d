package suse

import (
	"context"
	"io/fs"
	"regexp"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/osrelease"
)

// suseReleasePath is read when an image has no os-release (SLES 11).
const suseReleasePath = "etc/SuSE-release"

// The distributions' IDs.
const (
	slesID       = "sles"
	leapID       = "opensuse-leap"
	oldLeapID    = "opensuse" // Leap 42 and early 15 images
	tumbleweedID = "opensuse-tumbleweed"
)

// The distributions' names, as Clair reports them (Tumbleweed's as its
// os-release writes it).
const (
	slesName       = "SLES"
	leapName       = "openSUSE Leap"
	tumbleweedName = "openSUSE Tumbleweed"
)

// SLES returns the Distribution Clair reports for SUSE Linux Enterprise
// Server, whose service packs it folds into the major release: did
// "sles", name "SLES", version and version_id "15", pretty_name "SUSE
// Linux Enterprise Server 15".
func SLES(major string) *loupe.Distribution {
	return &loupe.Distribution{
		DID:        slesID,
		Name:       slesName,
		Version:    major,
		VersionID:  major,
		PrettyName: "SUSE Linux Enterprise Server " + major,
	}
}

// Leap returns the Distribution Clair reports for openSUSE Leap: did
// "opensuse-leap", name "openSUSE Leap", version and version_id "15.5",
// pretty_name "openSUSE Leap 15.5".
func Leap(version string) *loupe.Distribution {
	return &loupe.Distribution{
		DID:        leapID,
		Name:       leapName,
		Version:    version,
		VersionID:  version,
		PrettyName: leapName + " " + version,
	}
}

// Tumbleweed returns the Distribution of openSUSE Tumbleweed, which Clair
// does not detect, with its os-release values as Grype reads them: did
// "opensuse-tumbleweed", name "openSUSE Tumbleweed", version and
// version_id the snapshot ("20240101", empty in the feed's records, which
// cover every snapshot), pretty_name "openSUSE Tumbleweed", and the CPE.
func Tumbleweed(snapshot, cpe string) *loupe.Distribution {
	return &loupe.Distribution{
		DID:        tumbleweedID,
		Name:       tumbleweedName,
		Version:    snapshot,
		VersionID:  snapshot,
		PrettyName: tumbleweedName,
		CPE:        cpe,
	}
}

// DistributionScanner recognises SUSE Linux Enterprise Server, openSUSE
// Leap and openSUSE Tumbleweed. As Clair does, it reads the CPE_NAME of
// os-release (etc/, then usr/lib/): suse:sles is SLES, opensuse:leap is
// Leap, and opensuse:tumbleweed is Tumbleweed; without a CPE_NAME, the ID
// decides. Other SUSE products (SLES for SAP, SLED, SLE Micro) are not
// reported, as in Clair. Images without os-release (SLES 11) are read
// from etc/SuSE-release.
type DistributionScanner struct{}

var _ indexer.Scanner = DistributionScanner{}

// Name implements indexer.Scanner.
func (DistributionScanner) Name() string { return "suse" }

// Version implements indexer.Scanner.
func (DistributionScanner) Version() string { return "1" }

// Kind implements indexer.Scanner.
func (DistributionScanner) Kind() string { return indexer.DistributionKind }

// Patterns implements indexer.Scanner.
func (DistributionScanner) Patterns() []string {
	return osrelease.Patterns(suseReleasePath)
}

var (
	slesRelease = regexp.MustCompile(`^SUSE Linux Enterprise Server (\d+)\b`)
	leapRelease = regexp.MustCompile(`^openSUSE Leap (\d+\.\d+)\b`)
)

// Scan implements indexer.Scanner.
func (DistributionScanner) Scan(_ context.Context, fsys fs.FS) (*indexer.Findings, error) {
	var d *loupe.Distribution
	if kv, ok := osrelease.Read(fsys); ok {
		d = fromOSRelease(kv)
	} else if b, err := fs.ReadFile(fsys, suseReleasePath); err == nil {
		first, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		if m := slesRelease.FindStringSubmatch(first); m != nil {
			d = SLES(m[1])
		} else if m := leapRelease.FindStringSubmatch(first); m != nil {
			d = Leap(m[1])
		}
	}
	if d == nil {
		return &indexer.Findings{}, nil
	}
	return &indexer.Findings{Distributions: []*loupe.Distribution{d}}, nil
}

func fromOSRelease(kv map[string]string) *loupe.Distribution {
	cpe := osrelease.FormatCPE(kv["CPE_NAME"])
	if cpe != "" {
		// cpe:2.3:part:vendor:product:version:…
		f := strings.Split(cpe, ":")
		vendor, product, version := f[3], f[4], unescape(f[5])
		switch {
		case vendor == "suse" && product == "sles":
			return slesOf(version)
		case vendor == "opensuse" && product == "leap":
			return leapOf(version)
		case vendor == "opensuse" && product == "tumbleweed":
			return Tumbleweed(kv["VERSION_ID"], cpe)
		}
		return nil
	}
	switch strings.ToLower(kv["ID"]) {
	case slesID:
		return slesOf(kv["VERSION_ID"])
	case leapID, oldLeapID:
		return leapOf(kv["VERSION_ID"])
	case tumbleweedID:
		return Tumbleweed(kv["VERSION_ID"], "")
	}
	return nil
}

func slesOf(version string) *loupe.Distribution {
	if m := majorOf(version); m != "" {
		return SLES(m)
	}
	return nil
}

func leapOf(version string) *loupe.Distribution {
	major := majorOf(version)
	if major == "" || !strings.HasPrefix(version, major+".") {
		return nil
	}
	return Leap(version)
}

// majorOf returns the leading number of a version ("15" of "15.5"), ""
// when it does not start with one.
func majorOf(v string) string {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	if i == 0 || (i < len(v) && v[i] != '.') {
		return ""
	}
	return strings.TrimLeft(v[:i], "0")
}

// unescape undoes the backslash escapes of a CPE 2.3 formatted value
// ("15\.5").
func unescape(s string) string { return strings.ReplaceAll(s, `\`, "") }
