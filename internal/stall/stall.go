package stall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// ErrStalled is wrapped by the error of a body that sent nothing for the
// idle period.
var ErrStalled = errors.New("download stalled")

// Transport returns rt with every response body bounded to idle between
// bytes. idle <= 0 returns rt as it is.
func Transport(rt http.RoundTripper, idle time.Duration) http.RoundTripper {
	if idle <= 0 {
		return rt
	}
	return &transport{rt: rt, idle: idle}
}

type transport struct {
	rt   http.RoundTripper
	idle time.Duration
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	res, err := t.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel(nil)
		return nil, err
	}
	b := &body{rc: res.Body, cancel: cancel, url: req.URL.Redacted(), idle: t.idle}
	b.timer = time.AfterFunc(t.idle, b.fire)
	res.Body = b
	return res, nil
}

// body is a response body read under the idle timer.
type body struct {
	rc     io.ReadCloser
	cancel context.CancelCauseFunc
	url    string
	idle   time.Duration
	timer  *time.Timer

	mu      sync.Mutex
	stalled bool
}

func (b *body) fire() {
	b.mu.Lock()
	b.stalled = true
	b.mu.Unlock()
	b.cancel(ErrStalled)
}

func (b *body) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stalled {
		return fmt.Errorf("%s: %w: nothing received for %s", b.url, ErrStalled, b.idle)
	}
	return nil
}

func (b *body) Read(p []byte) (int, error) {
	if err := b.err(); err != nil {
		return 0, err
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		if serr := b.err(); serr != nil {
			return n, serr
		}
	}
	return n, err
}

func (b *body) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
