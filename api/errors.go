package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/loupe-dev/loupe/store"
)

// statusClientClosed is nginx's "client closed request", logged when the
// client is gone before an error could be written.
const statusClientClosed = 499

// errorBody is Clair's error body.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorCode is the code string Clair sends for a status: only these four
// have their own; every other status is an "internal-error".
func errorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad-request"
	case http.StatusNotFound:
		return "not-found"
	case http.StatusMethodNotAllowed:
		return "method-not-allowed"
	case http.StatusTooManyRequests:
		return "too-many-requests"
	}
	return "internal-error"
}

// apiError writes Clair's JSON error body with status.
func apiError(w http.ResponseWriter, r *http.Request, status int, format string, args ...any) {
	if err := r.Context().Err(); errors.Is(err, context.Canceled) {
		slog.DebugContext(r.Context(), "client gone before error response", "status", statusClientClosed)
		return
	}
	msg := fmt.Sprintf(format, args...)
	if status >= 500 {
		slog.WarnContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "reason", msg)
	}
	h := w.Header()
	h.Del("Link")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(errorBody{Code: errorCode(status), Message: msg})
}

// methodNotAllowed answers a method the route does not serve.
func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	for _, m := range allowed {
		w.Header().Add("Allow", m)
	}
	apiError(w, r, http.StatusMethodNotAllowed, "method disallowed: %s", r.Method)
}

// serverError writes a failure of the service behind the API: 503 with
// Retry-After when its database is unavailable (a retry may succeed), 500
// otherwise.
func serverError(w http.ResponseWriter, r *http.Request, err error, format string, args ...any) {
	if errors.Is(err, store.ErrUnavailable) {
		w.Header().Set("Retry-After", "5")
		apiError(w, r, http.StatusServiceUnavailable, format, args...)
		return
	}
	apiError(w, r, http.StatusInternalServerError, format, args...)
}
