package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/loupe-dev/loupe"
)

// Matcher is a client of a matcher.
type Matcher struct {
	base

	mu   sync.Mutex
	last map[string]cachedOps // by query
}

type cachedOps struct {
	etag string
	ops  map[string][]loupe.UpdateOperation
}

// NewMatcher returns a client of the matcher at addr, a URL such as
// http://matcher:6060/.
func NewMatcher(addr string, opts Options) (*Matcher, error) {
	b, err := newBase(addr, opts)
	if err != nil {
		return nil, err
	}
	return &Matcher{base: b, last: map[string]cachedOps{}}, nil
}

// VulnerabilityReport returns the vulnerability report of an indexed
// manifest. A matcher without vulnerability data yet answers 202; that is
// an *Error with Status 202.
func (c *Matcher) VulnerabilityReport(ctx context.Context, manifest loupe.Digest) (*loupe.VulnerabilityReport, error) {
	res, err := c.do(ctx, http.MethodGet, c.endpoint("/matcher/api/v1/vulnerability_report/"+manifest.String(), nil), nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var vr loupe.VulnerabilityReport
	return &vr, decode(res, &vr)
}

// UpdateOperations returns the update operations of kind by updater,
// newest first; with latest, only the newest of each. The answer is
// revalidated with its ETag, and reused when the matcher says it has not
// changed. The map returned must not be modified.
func (c *Matcher) UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	q := url.Values{"kind": {kind}}
	if latest {
		q.Set("latest", "true")
	}
	u := c.endpoint("/matcher/api/v1/internal/update_operation", q)
	c.mu.Lock()
	prev, cached := c.last[u]
	c.mu.Unlock()
	var h http.Header
	if cached {
		h = http.Header{"If-None-Match": {prev.etag}}
	}
	res, err := c.do(ctx, http.MethodGet, u, nil, h, http.StatusOK, http.StatusNotModified)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == http.StatusNotModified {
		res.Body.Close()
		if cached {
			return prev.ops, nil
		}
		return nil, &Error{Method: http.MethodGet, URL: u, Status: res.StatusCode, Message: "304 to a request that was not conditional"}
	}
	var ops map[string][]loupe.UpdateOperation
	if err := decode(res, &ops); err != nil {
		return nil, err
	}
	// Only a strong tag says the body is the same byte for byte.
	if tag := res.Header.Get("ETag"); tag != "" && !strings.HasPrefix(tag, "W/") {
		c.mu.Lock()
		c.last[u] = cachedOps{tag, ops}
		c.mu.Unlock()
	}
	return ops, nil
}

// DeleteUpdateOperation deletes an update operation, reverting its
// updater's data to the one before.
func (c *Matcher) DeleteUpdateOperation(ctx context.Context, ref string) error {
	res, err := c.do(ctx, http.MethodDelete, c.endpoint("/matcher/api/v1/internal/update_operation/"+url.PathEscape(ref), nil), nil, nil, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return err
	}
	return res.Body.Close()
}

// UpdateDiff returns what changed from update operation prev ("" for
// none) to cur.
func (c *Matcher) UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	q := url.Values{"cur": {cur}}
	if prev != "" {
		q.Set("prev", prev)
	}
	res, err := c.do(ctx, http.MethodGet, c.endpoint("/matcher/api/v1/internal/update_diff", q), nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var d loupe.UpdateDiff
	return &d, decode(res, &d)
}
