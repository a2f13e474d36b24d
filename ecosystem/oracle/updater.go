package oracle

import (
	"strconv"
	"time"

	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/updater"
)

// DefaultDirectory is where Oracle publishes its ELSA OVAL documents.
const DefaultDirectory = "https://linux.oracle.com/security/oval/"

// FirstYear is the year of the first ELSA document.
const FirstYear = 2007

// File returns the name of the ELSA document of a year.
func File(year int) string { return "com.oracle.elsa-" + strconv.Itoa(year) + ".xml.bz2" }

// Updater reads the ELSA OVAL document of one year, as Clair's
// "oracle-<year>-updater" does.
//
// Configured by updaters.config.<updater name> or updaters.config.oracle:
// url is the document, or a directory (a mirror) holding it under its
// upstream name; compression is accepted and not needed, the content
// tells.
type Updater struct {
	oval.Source
	year int
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// NewUpdater returns the updater of one year's ELSA document, reading it
// from DefaultDirectory until configured otherwise.
func NewUpdater(year int) *Updater {
	return &Updater{Source: oval.NewSource(DefaultDirectory, File(year)), year: year}
}

// UpdaterSet returns the "oracle" set: one updater per year from
// FirstYear to the current one, as Clair has.
func UpdaterSet() updater.Set {
	var us []updater.Updater
	for y := FirstYear; y <= time.Now().Year(); y++ {
		us = append(us, NewUpdater(y))
	}
	return updater.Set{Name: "oracle", Updaters: us}
}

// Name implements updater.Updater.
func (u *Updater) Name() string { return "oracle-" + strconv.Itoa(u.year) + "-updater" }
