package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/notifier"
)

// request is what the test server saw of one POST.
type request struct {
	Method, Path string
	Header       http.Header
	Body         loupe.Callback
}

// recorder is a webhook target that records requests and answers with
// status.
type recorder struct {
	mu       sync.Mutex
	requests []request
	status   int
	body     string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var cb loupe.Callback
	b, _ := io.ReadAll(req.Body)
	if err := json.Unmarshal(b, &cb); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests = append(r.requests, request{req.Method, req.URL.Path, req.Header.Clone(), cb})
	status, body := r.status, r.body
	r.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (r *recorder) got() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

func delivery(id string) *notifier.Delivery {
	return &notifier.Delivery{ID: id, Callback: "http://loupe.example/notifier/api/v1/notification/" + id}
}

func newDeliverer(t *testing.T, target string, opts Options) *Deliverer {
	t.Helper()
	d, err := New(&config.Webhook{Target: target}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDeliver(t *testing.T) {
	t.Parallel()
	rec := &recorder{status: http.StatusOK}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	key := []byte("a pre-shared key, decoded")
	d, err := New(&config.Webhook{
		Target:  srv.URL + "/secscan/notification",
		Headers: http.Header{"x-tenant": {"a", "b"}, "Content-Type": {"text/plain"}},
	}, Options{SignKey: key, UserAgent: "loupe/test"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	before := time.Now().Truncate(time.Second)
	if err := d.Deliver(t.Context(), delivery("5e3a1c9e-0000-4000-8000-000000000001")); err != nil {
		t.Fatal(err)
	}
	got := rec.got()
	if len(got) != 1 {
		t.Fatalf("got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.Path != "/secscan/notification" {
		t.Errorf("got %s %s, want POST /secscan/notification", r.Method, r.Path)
	}
	wantBody := loupe.Callback{
		NotificationID: "5e3a1c9e-0000-4000-8000-000000000001",
		Callback:       "http://loupe.example/notifier/api/v1/notification/5e3a1c9e-0000-4000-8000-000000000001",
	}
	if diff := cmp.Diff(wantBody, r.Body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	for k, want := range map[string][]string{
		"X-Tenant":     {"a", "b"},
		"Content-Type": {"application/json"},
		"User-Agent":   {"loupe/test"},
	} {
		if got := r.Header.Values(k); !cmp.Equal(got, want) {
			t.Errorf("header %s: got %q, want %q", k, got, want)
		}
	}

	auth := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		t.Fatalf("Authorization: got %q, want a bearer token", auth)
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(Issuer), jwt.WithIssuedAt()).
		ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return key, nil })
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	iat := claims.IssuedAt.Time
	if iat.Before(before) || iat.After(time.Now()) {
		t.Errorf("iat %v is not the time of the request", iat)
	}
	if got, want := claims.NotBefore.Time, iat.Add(-time.Minute); !got.Equal(want) {
		t.Errorf("nbf: got %v, want %v", got, want)
	}
	if got, want := claims.ExpiresAt.Time, iat.Add(time.Minute); !got.Equal(want) {
		t.Errorf("exp: got %v, want %v", got, want)
	}
	if _, err := jwt.NewParser().ParseWithClaims(raw, &jwt.RegisteredClaims{},
		func(*jwt.Token) (any, error) { return []byte("another key"), nil }); err == nil {
		t.Error("token verifies with another key")
	}
}

func TestUnsigned(t *testing.T) {
	t.Parallel()
	rec := &recorder{status: http.StatusOK}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d, err := New(&config.Webhook{Target: srv.URL, Headers: http.Header{"Authorization": {"Basic Zm9vOmJhcg=="}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Deliver(t.Context(), delivery("x")); err != nil {
		t.Fatal(err)
	}
	// Without a key, a configured Authorization header is sent as it is.
	if got := rec.got()[0].Header.Values("Authorization"); !cmp.Equal(got, []string{"Basic Zm9vOmJhcg=="}) {
		t.Errorf("Authorization: got %q", got)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
		ok     bool
	}{
		{http.StatusOK, "Okay", true},
		{http.StatusCreated, "", true},
		{http.StatusAccepted, "", true},
		{http.StatusNoContent, "", true},
		{http.StatusNotModified, "", false},
		{http.StatusBadRequest, "missing notification_id", false},
		{http.StatusUnauthorized, "", false},
		{http.StatusNotFound, "no such hook", false},
		{http.StatusInternalServerError, strings.Repeat("stack trace ", 100), false},
		{http.StatusServiceUnavailable, "try later", false},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(&recorder{status: tc.status, body: tc.body})
			defer srv.Close()
			err := newDeliverer(t, srv.URL, Options{}).Deliver(t.Context(), delivery("x"))
			if tc.ok {
				if err != nil {
					t.Fatalf("got %v, want delivered", err)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *StatusError", err)
			}
			if se.Code != tc.status {
				t.Errorf("code: got %d, want %d", se.Code, tc.status)
			}
			msg := err.Error()
			if !strings.Contains(msg, http.StatusText(tc.status)) || !strings.Contains(msg, fmt.Sprint(tc.status)) {
				t.Errorf("error %q does not name the status", msg)
			}
			want := tc.body
			if len(want) > bodyPrefix {
				want = want[:bodyPrefix]
				if len(msg) > 2*bodyPrefix {
					t.Errorf("error is %d bytes long; the body is not cut short", len(msg))
				}
			}
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not quote the body", msg)
			}
		})
	}
}

// closedAddr returns a loopback address that nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestTargetDownThenUp(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	d := newDeliverer(t, "http://"+addr+"/hook", Options{})
	if err := d.Deliver(t.Context(), delivery("x")); err == nil {
		t.Fatal("delivered to a target that is down")
	} else {
		t.Logf("target down: %v", err)
	}

	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	rec := &recorder{status: http.StatusNoContent}
	srv := httptest.NewUnstartedServer(rec)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	if err := d.Deliver(t.Context(), delivery("x")); err != nil {
		t.Fatalf("target up again: %v", err)
	}
	if n := len(rec.got()); n != 1 {
		t.Errorf("target got %d requests, want 1", n)
	}
}

func TestCanceled(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := newDeliverer(t, srv.URL, Options{}).Deliver(ctx, delivery("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the context's deadline", err)
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	rec := &recorder{status: http.StatusAccepted}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d := newDeliverer(t, srv.URL, Options{SignKey: []byte("k"), UserAgent: "loupe/test"})
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := d.Deliver(t.Context(), delivery(fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for _, r := range rec.got() {
		seen[r.Body.NotificationID] = true
	}
	if len(seen) != n {
		t.Errorf("target saw %d distinct sets, want %d", len(seen), n)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"", "localhost:8080", "ftp://example.com/", "http://", "http://[::1"} {
		if _, err := New(&config.Webhook{Target: target}, Options{}); err == nil {
			t.Errorf("New accepted target %q", target)
		}
	}
	_, err := New(&config.Webhook{Target: "ftp://user:secret@example.com/"}, Options{})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("got %v, want an error without the password", err)
	}
}

func TestRedirect(t *testing.T) {
	t.Parallel()
	rec := &recorder{status: http.StatusOK}
	mux := http.NewServeMux()
	mux.Handle("/hook", rec)
	for _, code := range []int{301, 302, 303, 307, 308} {
		mux.Handle(fmt.Sprintf("/%d", code), http.RedirectHandler("/hook", code))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, client := range []*http.Client{nil, {Timeout: 10 * time.Second}} {
		for _, code := range []int{301, 302, 303, 307, 308} {
			err := newDeliverer(t, fmt.Sprintf("%s/%d", srv.URL, code), Options{Client: client}).Deliver(t.Context(), delivery("x"))
			if keeps := code == 307 || code == 308; keeps != (err == nil) {
				t.Errorf("redirect %d: got %v", code, err)
			}
		}
	}
	for _, r := range rec.got() {
		if r.Method != http.MethodPost || r.Body.NotificationID != "x" {
			t.Errorf("hook got %s %+v", r.Method, r.Body)
		}
	}
	if n := len(rec.got()); n != 4 {
		t.Errorf("hook got %d requests, want 4", n)
	}
}
