package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"
)

// ErrUnavailable is wrapped by store errors that mean the database cannot
// be reached right now (down, restarting, out of connections). The API
// answers them with 503, and a retry may succeed.
var ErrUnavailable = errors.New("database unavailable")

// Leaser is what a store provides for leases: a row per key naming its
// owner and when the lease expires. Acquire takes the lease when it is
// free or expired, or renews it when owner already holds it, and reports
// whether owner holds it now. Release gives it up if owner holds it.
//
// Leases need no session state, so they work behind transaction-mode
// connection poolers, and a crashed holder's lease simply expires.
type Leaser interface {
	Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, key, owner string) error
}

// LeaseTTL is how long a lease lasts unless renewed. Held leases are
// renewed every LeaseTTL/3, so a holder must be gone for a whole LeaseTTL
// before another process takes its work over. Tests that kill processes
// shorten it; nothing else should change it.
var LeaseTTL = 30 * time.Second

const (
	leasePollFirst = 25 * time.Millisecond
	leasePollMax   = time.Second
)

// Lock waits until it holds the lease on key, or ctx ends. The lease is
// renewed in the background until unlock is called.
func Lock(ctx context.Context, l Leaser, key string) (unlock func(), err error) {
	owner := newOwner()
	wait := leasePollFirst
	for {
		ok, err := l.Acquire(ctx, key, owner, LeaseTTL)
		if err != nil {
			return nil, err
		}
		if ok {
			return hold(ctx, l, key, owner), nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, leasePollMax)
	}
}

// TryLock takes the lease on key if it is free, without waiting.
func TryLock(ctx context.Context, l Leaser, key string) (unlock func(), ok bool, err error) {
	owner := newOwner()
	ok, err = l.Acquire(ctx, key, owner, LeaseTTL)
	if err != nil || !ok {
		return nil, false, err
	}
	return hold(ctx, l, key, owner), true, nil
}

// hold renews the lease until the returned function is called, which
// releases it.
func hold(ctx context.Context, l Leaser, key, owner string) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	bg := context.WithoutCancel(ctx)
	go func() {
		defer close(stopped)
		t := time.NewTicker(LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if ok, err := l.Acquire(bg, key, owner, LeaseTTL); err != nil || !ok {
					slog.WarnContext(ctx, "lease renewal failed; another process may take the work over", "key", key, "reason", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		rctx, cancel := context.WithTimeout(bg, 10*time.Second)
		defer cancel()
		if err := l.Release(rctx, key, owner); err != nil {
			slog.WarnContext(ctx, "releasing lease; it will expire", "key", key, "reason", err)
		}
	}
}

func newOwner() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
