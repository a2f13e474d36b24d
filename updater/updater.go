package updater

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/loupe-dev/loupe"
)

// ErrUnchanged is returned by Fetch when the feed has not changed since
// the previous fingerprint.
var ErrUnchanged = errors.New("feed unchanged")

// Updater fetches and parses one upstream vulnerability feed.
type Updater interface {
	// Name identifies the updater's data; it is the "updater" of every
	// vulnerability it produces and of its update operations.
	Name() string
	// Fetch retrieves the feed, unless prev (the fingerprint of the last
	// successful fetch, or "") shows it unchanged, in which case it
	// returns ErrUnchanged. The caller closes the returned body.
	Fetch(ctx context.Context, client *http.Client, prev string) (body io.ReadCloser, fingerprint string, err error)
	// Parse turns a fetched feed into vulnerabilities. It must not use
	// the network.
	Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error)
}

// Configurable is implemented by updaters that take configuration from
// the updaters.config block of the config file.
type Configurable interface {
	// Configure decodes the updater's configuration with decode, which
	// is a no-op when there is none.
	Configure(decode func(into any) error) error
}

// Set is a named group of updaters, the unit that the config key
// updaters.sets selects.
type Set struct {
	Name     string
	Updaters []Updater
}

// ConfigDecoder returns the decode function for an updater in set: its
// configuration is updaters.config.<updater name>, or failing that
// updaters.config.<set name>.
func ConfigDecoder(config map[string]json.RawMessage, set, name string) func(any) error {
	raw, ok := config[name]
	if !ok {
		raw, ok = config[set]
	}
	return func(into any) error {
		if !ok || len(raw) == 0 {
			return nil
		}
		return json.Unmarshal(raw, into)
	}
}
