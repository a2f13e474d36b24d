package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
	"github.com/loupe-dev/loupe/store"
)

// unavailableIndexer fails every call as a store does when its database
// is down.
type unavailableIndexer struct{}

var errDown = fmt.Errorf("loading report: %w: connection refused", store.ErrUnavailable)

func (unavailableIndexer) Index(context.Context, *loupe.Manifest) (*loupe.IndexReport, error) {
	return nil, errDown
}
func (unavailableIndexer) Report(context.Context, loupe.Digest) (*loupe.IndexReport, error) {
	return nil, errDown
}
func (unavailableIndexer) Delete(context.Context, ...loupe.Digest) ([]loupe.Digest, error) {
	return nil, errDown
}
func (unavailableIndexer) State() string { return "s" }

func TestDatabaseUnavailableIs503(t *testing.T) {
	srv := httptest.NewServer(api.Handler(api.Routes{Indexer: api.IndexerHandler(unavailableIndexer{}, api.IndexerOptions{})}))
	defer srv.Close()
	for _, req := range []struct{ method, path, body string }{
		{http.MethodGet, "/indexer/api/v1/index_report/sha256:" + fmt.Sprintf("%064d", 1), ""},
		{http.MethodDelete, "/indexer/api/v1/index_report/sha256:" + fmt.Sprintf("%064d", 1), ""},
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: %s, Retry-After %q; want 503 with Retry-After", req.method, req.path, res.Status, res.Header.Get("Retry-After"))
		}
	}
}
