package mariner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/updater"
)

// DefaultDirectory is where Microsoft publishes the OVAL documents of
// CBL-Mariner and Azure Linux (the repository was CBL-MarinerVulnerabilityData
// before it was renamed).
const DefaultDirectory = "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/"

// Release is one release with an OVAL document.
type Release struct {
	// File is the document's name in DefaultDirectory.
	File string
	// Dist is the distribution of its records.
	Dist *loupe.Distribution
}

// Releases are the releases the "mariner" set reads.
var Releases = []Release{
	{"cbl-mariner-1.0-oval.xml", Mariner("1.0")},
	{"cbl-mariner-2.0-oval.xml", Mariner("2.0")},
	{"azurelinux-3.0-oval.xml", AzureLinux("3.0")},
}

// Updater reads the OVAL document of one release.
//
// Configured by updaters.config.<updater name> or updaters.config.mariner:
// url is the document, or a directory (a mirror) holding it under its
// upstream name.
type Updater struct {
	oval.Source
	rel Release
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// NewUpdater returns the updater of a release, reading it from
// DefaultDirectory until configured otherwise.
func NewUpdater(rel Release) *Updater {
	return &Updater{Source: oval.NewSource(DefaultDirectory, rel.File), rel: rel}
}

// UpdaterSet returns the "mariner" set: one updater per Releases entry.
func UpdaterSet() updater.Set {
	us := make([]updater.Updater, 0, len(Releases))
	for _, r := range Releases {
		us = append(us, NewUpdater(r))
	}
	return updater.Set{Name: "mariner", Updaters: us}
}

// Name implements updater.Updater: the document's name without
// "-oval.xml", and "-updater" ("azurelinux-3.0-updater").
func (u *Updater) Name() string {
	return strings.TrimSuffix(u.rel.File, "-oval.xml") + "-updater"
}

// Parse implements updater.Updater.
func (u *Updater) Parse(ctx context.Context, r io.Reader) ([]*loupe.Vulnerability, error) {
	if u.rel.Dist == nil {
		return nil, errors.New("mariner: updater not made by NewUpdater")
	}
	doc, err := oval.ParseOptions(ctx, r, oval.Options{NoComments: true})
	if err != nil {
		return nil, fmt.Errorf("mariner: %w", err)
	}
	d := *u.rel.Dist // the records' own copy
	return Vulnerabilities(ctx, u.Name(), &d, doc), nil
}
