package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/httproute"
)

// Matcher is what the matcher routes need.
type Matcher interface {
	Scan(ctx context.Context, ir *loupe.IndexReport) (*loupe.VulnerabilityReport, error)
	Initialized(ctx context.Context) (bool, error)
	UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error)
	LatestRef(ctx context.Context, kind string) (string, error)
	DeleteUpdateOperations(ctx context.Context, refs ...string) (int, error)
	UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error)
}

// ReportGetter fetches index reports: the local indexer in combo mode, a
// client of a remote one otherwise.
type ReportGetter interface {
	Report(ctx context.Context, manifest loupe.Digest) (*loupe.IndexReport, error)
}

// MatcherOptions configure the matcher routes.
type MatcherOptions struct {
	// IsNotFound reports whether a ReportGetter error means "no report".
	IsNotFound func(error) bool
	// CacheAge is sent as Cache-Control max-age on vulnerability
	// reports.
	CacheAge time.Duration
}

const matcherPrefix = "/matcher/api/v1/"

type matcherRoutes struct {
	m       Matcher
	reports ReportGetter
	opts    MatcherOptions
}

// MatcherHandler serves /matcher/api/v1/.
func MatcherHandler(m Matcher, reports ReportGetter, opts MatcherOptions) http.Handler {
	if opts.IsNotFound == nil {
		opts.IsNotFound = func(error) bool { return false }
	}
	h := &matcherRoutes{m: m, reports: reports, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc(matcherPrefix+"vulnerability_report/{digest}", h.vulnerabilityReport)
	mux.HandleFunc(matcherPrefix+"internal/update_operation", h.updateOperations)
	mux.HandleFunc(matcherPrefix+"internal/update_operation/{ref}", h.deleteUpdateOperation)
	mux.HandleFunc(matcherPrefix+"internal/update_diff", h.updateDiff)
	return httproute.Routed(mux)
}

func (h *matcherRoutes) vulnerabilityReport(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	d, err := loupe.ParseDigest(r.PathValue("digest"))
	if err != nil {
		apiError(w, r, http.StatusBadRequest, "malformed path: %v", err)
		return
	}
	ok, err := h.m.Initialized(r.Context())
	switch {
	case err != nil:
		serverError(w, r, err, "experienced a server side error: %v", err)
		return
	case !ok:
		// No vulnerability data has landed yet: say so, rather than
		// answer with an empty report.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ir, err := h.reports.Report(r.Context(), d)
	switch {
	case err == nil && ir != nil && ir.State == loupe.StateIndexFinished:
	case err == nil || h.opts.IsNotFound(err):
		apiError(w, r, http.StatusNotFound, "index report for manifest %q not found", d)
		return
	default:
		serverError(w, r, err, "experienced a server side error: %v", err)
		return
	}
	vr, err := h.m.Scan(r.Context(), ir)
	if err != nil {
		serverError(w, r, err, "failed to start scan: %v", err)
		return
	}
	w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", int(h.opts.CacheAge.Round(time.Second).Seconds())))
	// Clair labels vulnerability reports with the index report type;
	// clients expect that.
	writeJSON(w, r, http.StatusOK, typeIndexReport, vr)
}

func (h *matcherRoutes) updateOperations(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	q := r.URL.Query()
	kind := q.Get("kind")
	switch kind {
	case "", loupe.VulnerabilityUpdate:
		kind = loupe.VulnerabilityUpdate
	case loupe.EnrichmentUpdate:
	default:
		apiError(w, r, http.StatusBadRequest, "unknown kind: %q", kind)
		return
	}
	latest := false
	if s := q.Get("latest"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			apiError(w, r, http.StatusBadRequest, "bad latest parameter: %v", err)
			return
		}
		latest = b
	}
	if ref, err := h.m.LatestRef(r.Context(), kind); err == nil && ref != "" {
		tag := `"` + ref + `"`
		w.Header().Set("ETag", tag)
		if ifNoneMatch(r, tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	ops, err := h.m.UpdateOperations(r.Context(), kind, latest)
	if err != nil {
		serverError(w, r, err, "could not get update operations: %v", err)
		return
	}
	writeJSON(w, r, http.StatusOK, "", ops)
}

func (h *matcherRoutes) deleteUpdateOperation(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodDelete {
		methodNotAllowed(w, r, http.MethodDelete)
		return
	}
	ref, err := uuid.Parse(r.PathValue("ref"))
	if err != nil {
		apiError(w, r, http.StatusBadRequest, "could not parse path: %v", err)
		return
	}
	if _, err := h.m.DeleteUpdateOperations(r.Context(), ref.String()); err != nil {
		serverError(w, r, err, "could not delete update operation: %v", err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *matcherRoutes) updateDiff(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	q := r.URL.Query()
	if q.Get("cur") == "" {
		apiError(w, r, http.StatusBadRequest, `"cur" query param is required`)
		return
	}
	cur, err := uuid.Parse(q.Get("cur"))
	if err != nil {
		apiError(w, r, http.StatusBadRequest, `could not parse "cur": %v`, err)
		return
	}
	prev := uuid.Nil
	if p := q.Get("prev"); p != "" {
		if prev, err = uuid.Parse(p); err != nil {
			apiError(w, r, http.StatusBadRequest, `could not parse "prev": %v`, err)
			return
		}
	}
	prevRef := ""
	if prev != uuid.Nil {
		prevRef = prev.String()
	}
	diff, err := h.m.UpdateDiff(r.Context(), prevRef, cur.String())
	if err != nil {
		serverError(w, r, err, "could not get update diff: %v", err)
		return
	}
	writeJSON(w, r, http.StatusOK, "", diff)
}
