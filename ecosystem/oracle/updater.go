package oracle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	year int
	url  string
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// NewUpdater returns the updater of one year's ELSA document, reading it
// from DefaultDirectory until configured otherwise.
func NewUpdater(year int) *Updater {
	return &Updater{year: year, url: DefaultDirectory + File(year)}
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

// URL returns the document the updater fetches.
func (u *Updater) URL() string { return u.url }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg oval.FeedConfig
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	target, err := cfg.Resolve(DefaultDirectory, File(u.year))
	if err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	u.url = target
	return nil
}

// Fetch implements updater.Updater.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if u.url == "" {
		return nil, "", errors.New("oracle: updater not made by NewUpdater")
	}
	return updater.FetchURL(ctx, client, u.url, prev)
}
