package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/httproute"
)

// Indexer is what the indexer routes need.
type Indexer interface {
	Index(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error)
	// Report returns a stored report, or an error wrapping ErrNotFound.
	Report(ctx context.Context, manifest loupe.Digest) (*loupe.IndexReport, error)
	Delete(ctx context.Context, manifests ...loupe.Digest) ([]loupe.Digest, error)
	State() string
}

// AffectedFinder is implemented by indexers that can say which manifests
// vulnerabilities affect; the internal affected_manifest route is served
// only for them.
type AffectedFinder interface {
	AffectedManifests(ctx context.Context, vulns []loupe.Vulnerability) (*loupe.AffectedManifests, error)
}

// ErrNotFound is what Indexer.Report wraps for an unknown manifest.
var ErrNotFound = errors.New("not found")

// IndexerOptions configure the indexer routes.
type IndexerOptions struct {
	// IsBadLayer reports whether an indexing error is about the
	// layer's content, which the client should not retry (400).
	IsBadLayer func(error) bool
	// IsNotFound reports whether a Report error means "no report".
	IsNotFound func(error) bool
	// Concurrency bounds concurrent index requests; excess ones get 429.
	// Zero or negative means unlimited.
	Concurrency int
}

const indexerPrefix = "/indexer/api/v1/"

type indexerRoutes struct {
	ix   Indexer
	opts IndexerOptions
	sem  chan struct{}
}

// IndexerHandler serves /indexer/api/v1/.
func IndexerHandler(ix Indexer, opts IndexerOptions) http.Handler {
	if opts.IsBadLayer == nil {
		opts.IsBadLayer = func(error) bool { return false }
	}
	if opts.IsNotFound == nil {
		opts.IsNotFound = func(err error) bool { return errors.Is(err, ErrNotFound) }
	}
	h := &indexerRoutes{ix: ix, opts: opts}
	if opts.Concurrency > 0 {
		h.sem = make(chan struct{}, opts.Concurrency)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(indexerPrefix+"index_report", h.limited(h.indexReport))
	mux.HandleFunc(indexerPrefix+"index_report/{digest}", h.manifest)
	mux.HandleFunc(indexerPrefix+"index_state", h.indexState)
	if af, ok := ix.(AffectedFinder); ok {
		// Clair's notifier calls it with the trailing slash; serve both.
		mux.HandleFunc(indexerPrefix+"internal/affected_manifest", h.affected(af))
		mux.HandleFunc(indexerPrefix+"internal/affected_manifest/", h.affected(af))
	}
	return httproute.Routed(mux)
}

// limited applies the index request limit, as Clair does, to every
// method on the index_report collection.
func (h *indexerRoutes) limited(next http.HandlerFunc) http.HandlerFunc {
	if h.sem == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case h.sem <- struct{}{}:
			defer func() { <-h.sem }()
			next(w, r)
		default:
			apiError(w, r, http.StatusTooManyRequests, "server handling too many requests")
		}
	}
}

func (h *indexerRoutes) indexReport(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.index(w, r)
	case http.MethodDelete:
		h.bulkDelete(w, r)
	default:
		methodNotAllowed(w, r, http.MethodPost, http.MethodDelete)
	}
}

func etag(state string) string { return `"` + state + `"` }

func (h *indexerRoutes) index(w http.ResponseWriter, r *http.Request) {
	var m loupe.Manifest
	if !decodeBody(w, r, maxManifestBody, "manifest", &m) {
		return
	}
	if err := m.Validate(); err != nil {
		apiError(w, r, http.StatusBadRequest, "bogus manifest: %v", err)
		return
	}
	state := h.ix.State()
	hdr := w.Header()
	hdr.Add("Link", fmt.Sprintf(`<%s/%s>; rel="https://projectquay.io/clair/v1/index_report"`, strings.TrimSuffix(r.URL.Path, "/"), m.Hash))
	hdr.Add("Link", fmt.Sprintf(`</matcher/api/v1/vulnerability_report/%s>; rel="https://projectquay.io/clair/v1/vulnerability_report"`, m.Hash))
	if ifNoneMatch(r, etag(state)) {
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	report, err := h.ix.Index(r.Context(), &m)
	switch {
	case err == nil:
	case h.opts.IsBadLayer(err):
		apiError(w, r, http.StatusBadRequest, "failed to start scan: %v", err)
		return
	default:
		serverError(w, r, err, "failed to start scan: %v", err)
		return
	}
	hdr.Set("ETag", etag(state))
	hdr.Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+m.Hash.String())
	writeJSON(w, r, http.StatusCreated, "", report)
}

func (h *indexerRoutes) bulkDelete(w http.ResponseWriter, r *http.Request) {
	var digests []loupe.Digest
	if !decodeBody(w, r, maxDeleteBody, "bulk delete", &digests) {
		return
	}
	deleted, err := h.ix.Delete(r.Context(), digests...)
	if err != nil {
		serverError(w, r, err, "could not delete manifests: %v", err)
		return
	}
	if deleted == nil {
		deleted = []loupe.Digest{}
	}
	writeJSON(w, r, http.StatusOK, "", deleted)
}

func (h *indexerRoutes) manifest(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodDelete {
		methodNotAllowed(w, r, http.MethodGet, http.MethodDelete)
		return
	}
	d, err := loupe.ParseDigest(r.PathValue("digest"))
	if err != nil {
		apiError(w, r, http.StatusBadRequest, "malformed path: %v", err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		h.getReport(w, r, d)
	case http.MethodDelete:
		if _, err := h.ix.Delete(r.Context(), d); err != nil {
			serverError(w, r, err, "could not delete manifest: %v", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *indexerRoutes) getReport(w http.ResponseWriter, r *http.Request, d loupe.Digest) {
	ct, ok := negotiateOrFail(w, r, typeIndexReport, typeJSON)
	if !ok {
		return
	}
	state := h.ix.State()
	// Unlike Clair, which answers 304 before looking, the report must
	// exist for a 304: a client revalidating a cached report of a deleted
	// manifest learns that it is gone.
	report, err := h.ix.Report(r.Context(), d)
	switch {
	case err == nil:
	case h.opts.IsNotFound(err):
		apiError(w, r, http.StatusNotFound, "index report not found")
		return
	default:
		serverError(w, r, err, "could not retrieve index report: %v", err)
		return
	}
	w.Header().Set("ETag", etag(state))
	if ifNoneMatch(r, etag(state)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, r, http.StatusOK, ct, report)
}

func (h *indexerRoutes) indexState(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	ct, ok := negotiateOrFail(w, r, typeIndexState, typeJSON)
	if !ok {
		return
	}
	state := h.ix.State()
	w.Header().Set("ETag", etag(state))
	if ifNoneMatch(r, etag(state)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, r, http.StatusOK, ct, struct {
		State string `json:"state"`
	}{state})
}

// affectedRequest is the affected_manifest request body.
type affectedRequest struct {
	Vulnerabilities []loupe.Vulnerability `json:"vulnerabilities"`
}

func (h *indexerRoutes) affected(af AffectedFinder) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			methodNotAllowed(w, r, http.MethodPost)
			return
		}
		ct, ok := negotiateOrFail(w, r, typeAffected, typeJSON)
		if !ok {
			return
		}
		var req affectedRequest
		if !decodeBody(w, r, maxAffectedBody, "vulnerabilities", &req) {
			return
		}
		am, err := af.AffectedManifests(r.Context(), req.Vulnerabilities)
		if err != nil {
			serverError(w, r, err, "could not find affected manifests: %v", err)
			return
		}
		writeJSON(w, r, http.StatusOK, ct, am)
	}
}

// writeJSON encodes v into the response with status. An empty content
// type means application/json.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	var (
		b   []byte
		err error
	)
	// Call a type's own MarshalJSON directly: through json.Marshal its
	// output would be validated and compacted again, which for a large
	// report costs as much as encoding it.
	if m, ok := v.(json.Marshaler); ok {
		b, err = m.MarshalJSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		serverError(w, r, err, "encoding response: %v", err)
		return
	}
	if contentType == "" {
		contentType = typeJSON
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}

// ifNoneMatch reports whether any If-None-Match value is tag.
func ifNoneMatch(r *http.Request, tag string) bool {
	for _, v := range r.Header.Values("If-None-Match") {
		for _, t := range strings.Split(v, ",") {
			if strings.TrimSpace(t) == tag {
				return true
			}
		}
	}
	return false
}
