package suse

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

// DefaultDirectory is where SUSE publishes its OVAL documents.
const DefaultDirectory = "https://ftp.suse.com/pub/projects/security/oval/"

// Release is one SUSE product line with an OVAL document.
type Release struct {
	// File is the document's name in DefaultDirectory.
	File string
	// Dist is the distribution of its records.
	Dist *loupe.Distribution
}

// Releases are the product lines the "suse" set reads: the ones Clair
// finds in the directory listing (SLES from 11, Leap from 15.5), and
// Tumbleweed. The documents are the "fixed and not affected" flavor
// Clair reads; the "-affected" one, which adds unfixed vulnerabilities,
// can be configured in their place.
var Releases = []Release{
	{"suse.linux.enterprise.server.11.xml.gz", SLES("11")},
	{"suse.linux.enterprise.server.12.xml.gz", SLES("12")},
	{"suse.linux.enterprise.server.15.xml.gz", SLES("15")},
	{"suse.linux.enterprise.server.16.xml.gz", SLES("16")},
	{"opensuse.leap.15.5.xml.gz", Leap("15.5")},
	{"opensuse.leap.15.6.xml.gz", Leap("15.6")},
	{"opensuse.leap.16.0.xml.gz", Leap("16.0")},
	{"opensuse.tumbleweed.xml.gz", Tumbleweed("", "")},
}

// Updater reads the OVAL document of one SUSE product line.
//
// Configured by updaters.config.<updater name> or updaters.config.suse:
// url is the document, or a directory (Clair's "suse" url, a mirror of
// DefaultDirectory) holding it under its upstream name; compression is
// accepted and not needed, the content tells.
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

// UpdaterSet returns the "suse" set: one updater per Releases entry.
func UpdaterSet() updater.Set {
	us := make([]updater.Updater, 0, len(Releases))
	for _, r := range Releases {
		us = append(us, NewUpdater(r))
	}
	return updater.Set{Name: "suse", Updaters: us}
}

// Name implements updater.Updater. It is Clair's: "suse-updater-" and the
// pretty name, lower-cased, spaces as dots
// ("suse-updater-suse.linux.enterprise.server.15").
func (u *Updater) Name() string {
	return "suse-updater-" + strings.ReplaceAll(strings.ToLower(u.rel.Dist.PrettyName), " ", ".")
}

// Parse implements updater.Updater.
func (u *Updater) Parse(ctx context.Context, r io.Reader) ([]*loupe.Vulnerability, error) {
	if u.rel.Dist == nil {
		return nil, errors.New("suse: updater not made by NewUpdater")
	}
	doc, err := oval.ParseOptions(ctx, r, oval.Options{NoComments: true})
	if err != nil {
		return nil, fmt.Errorf("suse: %w", err)
	}
	d := *u.rel.Dist // the records' own copy
	return Vulnerabilities(ctx, u.Name(), &d, doc), nil
}
