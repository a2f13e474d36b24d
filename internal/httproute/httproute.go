package httproute

import (
	"context"
	"net/http"
	"sync"
)

// Tracker records one request's route.
type Tracker struct {
	mu     sync.Mutex
	marked bool
	route  string
}

type key struct{}

// Track returns r with a Tracker in its context, and the Tracker. When r's
// context already has one, r and that one are returned: every layer of
// middleware shares a request's Tracker.
func Track(r *http.Request) (*http.Request, *Tracker) {
	if t, ok := r.Context().Value(key{}).(*Tracker); ok {
		return r, t
	}
	t := new(Tracker)
	return r.WithContext(context.WithValue(r.Context(), key{}, t)), t
}

// Mark records route as r's route, unless one was recorded already or
// r's context has no Tracker. An empty route records that the request
// matched none.
func Mark(r *http.Request, route string) {
	t, ok := r.Context().Value(key{}).(*Tracker)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.marked {
		t.marked, t.route = true, route
	}
}

// Tracked reports whether r's context has a Tracker.
func Tracked(r *http.Request) bool {
	_, ok := r.Context().Value(key{}).(*Tracker)
	return ok
}

// Route returns the recorded route; ok is false when none was recorded.
// An empty route with ok means the request matched no route.
func (t *Tracker) Route() (route string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.route, t.marked
}

// Routed wraps a route table (typically a *http.ServeMux): after it has
// served a request, the pattern it matched is marked as the request's
// route ("" when it matched none).
func Routed(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Tracked(r) {
			mux.ServeHTTP(w, r)
			return
		}
		// A panicking handler is still marked, for the metrics of its 500.
		defer func() { Mark(r, r.Pattern) }()
		mux.ServeHTTP(w, r)
	})
}
