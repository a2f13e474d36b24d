package httproute_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/loupe-dev/loupe/internal/httproute"
)

type ctxKey struct{}

// TestNestedMuxes: the innermost route table decides, even when the
// request reaching it is a copy, and the outer tables do not override it.
func TestNestedMuxes(t *testing.T) {
	inner := http.NewServeMux()
	inner.HandleFunc("/api/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	outer := http.NewServeMux()
	outer.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A copy: Pattern set on it is invisible to the outer request.
		httproute.Routed(inner).ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, 1)))
	}))
	top := httproute.Routed(outer)
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{"/api/items/42", "/api/items/{id}", true},
		{"/api/nope", "", true}, // the inner table matched nothing
		{"/elsewhere", "", true},
	} {
		r, tr := httproute.Track(httptest.NewRequest(http.MethodGet, tc.path, nil))
		top.ServeHTTP(httptest.NewRecorder(), r)
		if got, ok := tr.Route(); got != tc.want || ok != tc.ok {
			t.Errorf("%s: route %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
		if tc.path == "/api/items/42" && r.Pattern != "/api/" {
			t.Errorf("outer request's Pattern %q: the copy should have hidden the inner one", r.Pattern)
		}
	}
}

func TestTrack(t *testing.T) {
	r, tr := httproute.Track(httptest.NewRequest(http.MethodGet, "/", nil))
	r2, tr2 := httproute.Track(r.WithContext(context.WithValue(r.Context(), ctxKey{}, 1)))
	if tr2 != tr {
		t.Error("Track made a second Tracker for one request")
	}
	if _, ok := tr.Route(); ok {
		t.Error("route recorded before Mark")
	}
	httproute.Mark(r2, "/first")
	httproute.Mark(r, "/second")
	if got, ok := tr.Route(); got != "/first" || !ok {
		t.Errorf("route %q, %v; want the first mark", got, ok)
	}
	// Without a Tracker, Mark and Routed do nothing but serve.
	plain := httptest.NewRequest(http.MethodGet, "/x", nil)
	httproute.Mark(plain, "/x")
	served := false
	httproute.Routed(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served = true })).ServeHTTP(httptest.NewRecorder(), plain)
	if !served || httproute.Tracked(plain) {
		t.Errorf("served %v, tracked %v", served, httproute.Tracked(plain))
	}
}
