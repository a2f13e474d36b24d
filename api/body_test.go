package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
)

// TestBodyLimits checks that request bodies over their limit get 413 and
// never reach the service, while bodies under it are read.
func TestBodyLimits(t *testing.T) {
	ix := &fakeIndexer{state: "s",
		index: func(context.Context, *loupe.Manifest) (*loupe.IndexReport, error) {
			t.Error("Index called")
			return nil, nil
		},
		del: func(context.Context, ...loupe.Digest) ([]loupe.Digest, error) {
			t.Error("Delete called")
			return nil, nil
		},
	}
	srv := indexerServer(t, ix, api.IndexerOptions{})
	for _, c := range []struct {
		method, path string
		limit        int
	}{
		{http.MethodPost, "/indexer/api/v1/index_report", 8 << 20},
		{http.MethodDelete, "/indexer/api/v1/index_report", 32 << 20},
	} {
		// A JSON string just over the limit: the decoder must read past it.
		big := `"` + strings.Repeat("a", c.limit) + `"`
		r := srv.do(t, c.method, c.path, big)
		msg := checkError(t, r, http.StatusRequestEntityTooLarge, "internal-error")
		if !strings.Contains(msg, "request body larger than") {
			t.Errorf("%s %s: message %q", c.method, c.path, msg)
		}
		// Malformed but small: 400.
		r = srv.do(t, c.method, c.path, `{"hash": 42`)
		checkError(t, r, http.StatusBadRequest, "bad-request")
	}
}
