package photon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/loupe-dev/loupe/internal/oval"
	"github.com/loupe-dev/loupe/updater"
)

// DefaultDirectory is where VMware publishes Photon's CVE metadata, the
// host Clair reads Photon's data from. Broadcom serves the same files
// under https://packages.broadcom.com/photon/photon_cve_metadata/.
const DefaultDirectory = "https://packages.vmware.com/photon/photon_cve_metadata/"

// Releases are the Photon releases the "photon" set reads, as Clair's.
var Releases = []string{"1.0", "2.0", "3.0", "4.0", "5.0"}

// File returns the name of a release's CVE metadata document.
func File(release string) string { return "cve_data_photon" + release + ".json" }

// Updater reads the CVE metadata of one Photon release.
//
// Configured by updaters.config.<updater name> or updaters.config.photon:
// url is the document, or a directory (a mirror) holding it under its
// upstream name.
type Updater struct {
	release string
	url     string
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// NewUpdater returns the updater of a release ("5.0"), reading it from
// DefaultDirectory until configured otherwise.
func NewUpdater(release string) *Updater {
	return &Updater{release: release, url: DefaultDirectory + File(release)}
}

// UpdaterSet returns the "photon" set: one updater per release.
func UpdaterSet() updater.Set {
	us := make([]updater.Updater, 0, len(Releases))
	for _, r := range Releases {
		us = append(us, NewUpdater(r))
	}
	return updater.Set{Name: "photon", Updaters: us}
}

// Name implements updater.Updater. It is Clair's: "photon-updater-5.0".
func (u *Updater) Name() string { return "photon-updater-" + u.release }

// URL returns the document the updater fetches.
func (u *Updater) URL() string { return u.url }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg oval.FeedConfig
	if err := decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	target, err := cfg.Resolve(DefaultDirectory, File(u.release))
	if err != nil {
		return fmt.Errorf("%s: %w", u.Name(), err)
	}
	u.url = target
	return nil
}

// Fetch implements updater.Updater.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	if u.url == "" || u.release == "" {
		return nil, "", errors.New("photon: updater not made by NewUpdater")
	}
	return updater.FetchURL(ctx, client, u.url, prev)
}
