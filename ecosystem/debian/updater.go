package debian

import (
	"context"
	"io"
	"net/http"

	"github.com/loupe-dev/loupe/updater"
)

// DefaultJSONURL is the Debian security tracker's full JSON export.
const DefaultJSONURL = "https://security-tracker.debian.org/tracker/data/json"

// UpdaterName is the updater of every Debian vulnerability, as in Clair.
const UpdaterName = "debian/updater"

// Updater reads the Debian security tracker's JSON export.
//
// Configured by updaters.config.debian: json_url points it at another copy
// of the export (an http, https or file URL). Clair's mirror_url, used to
// learn release versions, is accepted and not needed: releases are keyed
// by codename, which the export itself carries.
type Updater struct {
	JSONURL string `json:"json_url"`
	// MirrorURL is accepted for compatibility with Clair's configuration.
	MirrorURL string `json:"mirror_url"`
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// Name implements updater.Updater.
func (*Updater) Name() string { return UpdaterName }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	if err := decode(u); err != nil {
		return err
	}
	if u.JSONURL == "" {
		u.JSONURL = DefaultJSONURL
	}
	return nil
}

// Fetch implements updater.Updater.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	url := u.JSONURL
	if url == "" {
		url = DefaultJSONURL
	}
	return updater.FetchURL(ctx, client, url, prev)
}

// UpdaterSet returns the "debian" updater set.
func UpdaterSet() updater.Set {
	return updater.Set{Name: "debian", Updaters: []updater.Updater{&Updater{JSONURL: DefaultJSONURL}}}
}
