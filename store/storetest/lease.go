package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/store"
)

// testLeases checks the store.Leaser contract: a lease is held by one
// owner at a time, renewable by it, free again once released or expired.
func testLeases(t *testing.T, l store.Leaser) {
	ctx := context.Background()
	acquire := func(key, owner string, ttl time.Duration) bool {
		t.Helper()
		ok, err := l.Acquire(ctx, key, owner, ttl)
		must(t, "Acquire", err)
		return ok
	}
	if !acquire("k", "a", time.Minute) {
		t.Fatal("a free lease was not acquired")
	}
	if acquire("k", "b", time.Minute) {
		t.Error("a held lease was acquired by another owner")
	}
	if !acquire("k", "a", time.Minute) {
		t.Error("the holder could not renew its lease")
	}
	if !acquire("other", "b", time.Minute) {
		t.Error("leases on different keys interfere")
	}
	must(t, "Release", l.Release(ctx, "k", "b")) // not b's: no effect
	if acquire("k", "b", time.Minute) {
		t.Error("a release by a non-holder freed the lease")
	}
	must(t, "Release", l.Release(ctx, "k", "a"))
	if !acquire("k", "b", time.Minute) {
		t.Error("a released lease could not be acquired")
	}
	// Expiry: a lease whose holder stops renewing is free after its TTL.
	if !acquire("short", "a", 200*time.Millisecond) {
		t.Fatal("a free lease was not acquired")
	}
	time.Sleep(400 * time.Millisecond)
	if !acquire("short", "b", time.Minute) {
		t.Error("an expired lease could not be taken over")
	}
	if acquire("short", "a", time.Minute) {
		t.Error("the previous holder renewed a lease taken over from it")
	}
}

// testLockExclusion runs store.Lock from several goroutines and checks
// that the holders never overlap.
func testLockExclusion(t *testing.T, l store.Leaser) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var (
		inside, overlaps, done atomic.Int32
		wg                     sync.WaitGroup
	)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := store.Lock(ctx, l, "layer:shared")
			if err != nil {
				t.Error(err)
				return
			}
			if inside.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(20 * time.Millisecond)
			inside.Add(-1)
			done.Add(1)
			unlock()
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 || done.Load() != 6 {
		t.Errorf("%d overlapping holders, %d of 6 done", overlaps.Load(), done.Load())
	}
	unlock, ok, err := store.TryLock(ctx, l, "layer:shared")
	if err != nil || !ok {
		t.Fatalf("TryLock of a free key: %v, %v", ok, err)
	}
	if _, ok, _ := store.TryLock(ctx, l, "layer:shared"); ok {
		t.Error("TryLock took a held lease")
	}
	unlock()
}
