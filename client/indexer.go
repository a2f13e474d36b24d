package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/lru"
)

// Indexer is a client of an indexer.
type Indexer struct {
	base
	reports *lru.Cache[loupe.Digest, cachedReport] // nil without Options.ReportCache
}

type cachedReport struct {
	etag string
	ir   *loupe.IndexReport
}

// reportCacheTTL bounds how long an unused cached report is kept; every
// use revalidates it anyway.
const reportCacheTTL = 10 * time.Minute

// NewIndexer returns a client of the indexer at addr, a URL such as
// http://indexer:6060/.
func NewIndexer(addr string, opts Options) (*Indexer, error) {
	b, err := newBase(addr, opts)
	if err != nil {
		return nil, err
	}
	c := &Indexer{base: b}
	if opts.ReportCache > 0 {
		c.reports = lru.New[loupe.Digest, cachedReport](opts.ReportCache, reportCacheTTL)
	}
	return c, nil
}

// Index indexes a manifest (POST index_report) and returns its report.
func (c *Indexer) Index(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
	res, err := c.do(ctx, http.MethodPost, c.endpoint("/indexer/api/v1/index_report", nil), m, nil, http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var ir loupe.IndexReport
	return &ir, decode(res, &ir)
}

// Report returns the stored report of a manifest; an error wrapping
// ErrNotFound when there is none. With a report cache, a report already
// fetched is revalidated (If-None-Match with its ETag) and reused on a
// 304, so that an unchanged report costs neither the indexer's encoding
// nor this side's decoding.
func (c *Indexer) Report(ctx context.Context, manifest loupe.Digest) (*loupe.IndexReport, error) {
	var (
		h      http.Header
		cached cachedReport
		ok     bool
	)
	if c.reports != nil {
		if cached, ok = c.reports.Get(manifest); ok {
			h = http.Header{"If-None-Match": {cached.etag}}
		}
	}
	res, err := c.do(ctx, http.MethodGet, c.endpoint("/indexer/api/v1/index_report/"+manifest.String(), nil), nil, h, http.StatusOK, http.StatusNotModified)
	if err != nil {
		if c.reports != nil && errors.Is(err, ErrNotFound) {
			c.reports.Delete(manifest)
		}
		return nil, err
	}
	if res.StatusCode == http.StatusNotModified {
		res.Body.Close()
		if !ok {
			return nil, &Error{Method: http.MethodGet, URL: res.Request.URL.Redacted(), Status: res.StatusCode, Message: "304 to a request that was not conditional"}
		}
		return cached.ir, nil
	}
	var ir loupe.IndexReport
	if err := decode(res, &ir); err != nil {
		return nil, err
	}
	// Only finished reports: one that failed may be replaced under the
	// same indexer state, and so the same tag.
	if tag := res.Header.Get("ETag"); c.reports != nil && ir.State == loupe.StateIndexFinished && tag != "" && !strings.HasPrefix(tag, "W/") {
		c.reports.Put(manifest, cachedReport{tag, &ir})
	}
	return &ir, nil
}

// State returns the indexer's state: it changes when the indexer would
// index a manifest differently.
func (c *Indexer) State(ctx context.Context) (string, error) {
	res, err := c.do(ctx, http.MethodGet, c.endpoint("/indexer/api/v1/index_state", nil), nil, nil, http.StatusOK)
	if err != nil {
		return "", err
	}
	var s struct {
		State string `json:"state"`
	}
	if err := decode(res, &s); err != nil {
		return "", err
	}
	return s.State, nil
}

// Delete deletes the reports of manifests and returns those that were
// deleted.
func (c *Indexer) Delete(ctx context.Context, manifests ...loupe.Digest) ([]loupe.Digest, error) {
	if manifests == nil {
		manifests = []loupe.Digest{}
	}
	res, err := c.do(ctx, http.MethodDelete, c.endpoint("/indexer/api/v1/index_report", nil), manifests, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out []loupe.Digest
	return out, decode(res, &out)
}

// affectedChunk is how many vulnerabilities one affected_manifest request
// carries, as Clair's notifier sends them.
const affectedChunk = 1000

// AffectedManifests asks which indexed manifests vulns affect, in
// requests of at most 1000 vulnerabilities, and merges the answers.
func (c *Indexer) AffectedManifests(ctx context.Context, vulns []loupe.Vulnerability) (*loupe.AffectedManifests, error) {
	out := &loupe.AffectedManifests{Vulnerabilities: map[string]*loupe.Vulnerability{}, VulnerableManifests: map[string][]string{}}
	for len(vulns) > 0 {
		chunk := vulns[:min(len(vulns), affectedChunk)]
		vulns = vulns[len(chunk):]
		body := struct {
			Vulnerabilities []loupe.Vulnerability `json:"vulnerabilities"`
		}{chunk}
		res, err := c.do(ctx, http.MethodPost, c.endpoint("/indexer/api/v1/internal/affected_manifest/", nil), body, nil, http.StatusOK)
		if err != nil {
			return nil, err
		}
		var am loupe.AffectedManifests
		if err := decode(res, &am); err != nil {
			return nil, err
		}
		for id, v := range am.Vulnerabilities {
			out.Vulnerabilities[id] = v
		}
		for m, ids := range am.VulnerableManifests {
			for _, id := range ids {
				if out.Vulnerabilities[id] == nil {
					return nil, fmt.Errorf("client: affected_manifest names vulnerability %q for %s without describing it", id, m)
				}
			}
			out.VulnerableManifests[m] = append(out.VulnerableManifests[m], ids...)
		}
	}
	return out, nil
}
