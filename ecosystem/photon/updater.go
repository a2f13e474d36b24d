package photon

import (
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
	oval.Source
	release string
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// NewUpdater returns the updater of a release ("5.0"), reading it from
// DefaultDirectory until configured otherwise.
func NewUpdater(release string) *Updater {
	return &Updater{Source: oval.NewSource(DefaultDirectory, File(release)), release: release}
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
