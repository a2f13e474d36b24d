package stall_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/stall"
)

func TestTransport(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		switch r.URL.Path {
		case "/stall": // headers and a first chunk, then silence
			io.WriteString(w, "first bytes")
			f.Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/slow": // a byte every 40 ms: slow, never silent for the idle period
			for range 10 {
				io.WriteString(w, "x")
				f.Flush()
				time.Sleep(40 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &http.Client{Transport: stall.Transport(http.DefaultTransport, 200*time.Millisecond)}

	res, err := c.Get(srv.URL + "/stall")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if !errors.Is(err, stall.ErrStalled) || !strings.Contains(err.Error(), "/stall") {
		t.Fatalf("stalled body: %q, %v; want an error wrapping ErrStalled naming the URL", b, err)
	}
	if string(b) != "first bytes" {
		t.Errorf("read %q before the stall, want the first bytes", b)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the stall took %s to notice", d)
	}

	res, err = c.Get(srv.URL + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(b) != strings.Repeat("x", 10) {
		t.Errorf("slow body: %q, %v; want all of it", b, err)
	}

	if rt := stall.Transport(http.DefaultTransport, 0); rt != http.DefaultTransport {
		t.Error("Transport with no idle period wraps")
	}
}
