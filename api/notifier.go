package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/loupe-dev/loupe/internal/httproute"
)

// Notifier is what the notifier routes need.
type Notifier interface {
	// Notifications returns up to limit notifications of set id after the
	// one with ID after, and their IDs.
	Notifications(ctx context.Context, id, after string, limit int) ([]json.RawMessage, []string, error)
	Ack(ctx context.Context, id string) error
}

// NotifierOptions configure the notifier routes.
type NotifierOptions struct {
	// IsNotFound reports whether an error means the set does not exist.
	IsNotFound func(error) bool
}

const (
	notifierPrefix  = "/notifier/api/v1/"
	defaultPageSize = 500
	maxPageSize     = 10000
)

type notifierRoutes struct {
	n    Notifier
	opts NotifierOptions
}

// NotifierHandler serves /notifier/api/v1/: GET pages a notification set
// (page_size, default 500; next, the last ID of the previous page), and
// DELETE acknowledges it.
//
// Deliberate differences from Clair, recorded in docs/compatibility.md:
// an unknown or acknowledged set is 404 for GET and DELETE (Clair answers
// an empty 200 and a 500); a negative page_size is 400 (Clair: 500); and
// page_size is capped at 10,000, page.size saying the size used.
func NotifierHandler(n Notifier, opts NotifierOptions) http.Handler {
	if opts.IsNotFound == nil {
		opts.IsNotFound = func(error) bool { return false }
	}
	h := &notifierRoutes{n: n, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc(notifierPrefix+"notification/{id}", h.notification)
	return httproute.Routed(mux)
}

func (h *notifierRoutes) notification(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodDelete {
		methodNotAllowed(w, r, http.MethodGet, http.MethodDelete)
		return
	}
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		apiError(w, r, http.StatusBadRequest, "could not parse notification id: %v", err)
		return
	}
	if r.Method == http.MethodDelete {
		switch err := h.n.Ack(r.Context(), id.String()); {
		case err == nil:
			w.WriteHeader(http.StatusOK)
		case h.opts.IsNotFound(err):
			apiError(w, r, http.StatusNotFound, "notification %s not found", id)
		default:
			serverError(w, r, err, "could not delete notification: %v", err)
		}
		return
	}
	h.page(w, r, id.String())
}

// notificationPage is the page body, with the stored notifications as is.
type notificationPage struct {
	Page struct {
		Next string `json:"next,omitempty"`
		Size int    `json:"size"`
	} `json:"page"`
	Notifications []json.RawMessage `json:"notifications"`
}

func (h *notifierRoutes) page(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	size := defaultPageSize
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			apiError(w, r, http.StatusBadRequest, "bad page_size %q", s)
			return
		}
		if n > 0 {
			size = min(n, maxPageSize)
		}
	}
	after := ""
	if s := q.Get("next"); s != "" {
		next, err := uuid.Parse(s)
		if err != nil {
			apiError(w, r, http.StatusBadRequest, "could not parse next: %v", err)
			return
		}
		if next != uuid.Nil {
			after = next.String()
		}
	}
	ct, ok := negotiateOrFail(w, r, typeNotification, typeJSON)
	if !ok {
		return
	}
	bodies, ids, err := h.n.Notifications(r.Context(), id, after, size+1)
	switch {
	case err == nil:
	case h.opts.IsNotFound(err):
		apiError(w, r, http.StatusNotFound, "notification %s not found", id)
		return
	default:
		serverError(w, r, err, "failed to retrieve notifications: %v", err)
		return
	}
	var page notificationPage
	page.Page.Size = size
	if len(bodies) > size {
		bodies = bodies[:size]
		page.Page.Next = ids[size-1]
	}
	page.Notifications = bodies
	if page.Notifications == nil {
		page.Notifications = []json.RawMessage{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(&page); err != nil {
		serverError(w, r, err, "encoding notifications: %v", err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
