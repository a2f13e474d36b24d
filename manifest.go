package loupe

import (
	"errors"
	"fmt"
	"net/http"
)

// Manifest is an image to index: its digest and its layers, base first.
type Manifest struct {
	Hash   Digest   `json:"hash"`
	Layers []*Layer `json:"layers"`
}

// Layer is one layer blob of a Manifest and where to fetch it.
type Layer struct {
	// Hash is the digest of the blob as served (usually compressed).
	Hash Digest `json:"hash"`
	// URI is where the blob is fetched: http, https or file.
	URI string `json:"uri"`
	// Headers are sent with the request for URI, for example
	// Authorization.
	Headers http.Header `json:"headers"`
}

// ErrBogusManifest is wrapped by the errors of Manifest.Validate.
var ErrBogusManifest = errors.New("bogus manifest")

// Validate checks what indexing needs: a manifest digest and at least one
// layer, each with a digest and a URI.
func (m *Manifest) Validate() error {
	if m.Hash.IsZero() {
		return fmt.Errorf("%w: missing hash", ErrBogusManifest)
	}
	if len(m.Layers) == 0 {
		return fmt.Errorf("%w: no layers", ErrBogusManifest)
	}
	for i, l := range m.Layers {
		switch {
		case l == nil:
			return fmt.Errorf("%w: layer %d is null", ErrBogusManifest, i)
		case l.Hash.IsZero():
			return fmt.Errorf("%w: layer %d: missing hash", ErrBogusManifest, i)
		case l.URI == "":
			return fmt.Errorf("%w: layer %d (%s): missing uri", ErrBogusManifest, i, l.Hash)
		}
	}
	return nil
}
