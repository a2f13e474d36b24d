package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/notifier"
)

// NotifierStoreUnderTest is what the notifier-store suite exercises.
type NotifierStoreUnderTest interface {
	notifier.Store
}

// NotifierStore runs the notifier-store suite; open returns a fresh, empty
// store for each subtest.
func NotifierStore(t *testing.T, open func(t *testing.T) NotifierStoreUnderTest) {
	run := func(name string, f func(*testing.T, NotifierStoreUnderTest)) {
		t.Run(name, func(t *testing.T) { f(t, open(t)) })
	}
	run("Processed", testProcessed)
	run("Delivery", testDelivery)
	run("Paging", testPaging)
	run("Ack", testAck)
	run("GC", testNotifierGC)
	run("Leases", func(t *testing.T, s NotifierStoreUnderTest) { testLeases(t, s) })
}

func op(updater string) loupe.UpdateOperation {
	return loupe.UpdateOperation{Ref: uuid.NewString(), Updater: updater, Kind: loupe.VulnerabilityUpdate, Date: time.Now()}
}

// notes returns n notifications with increasing (time-ordered) IDs.
func notes(n int) []loupe.Notification {
	out := make([]loupe.Notification, n)
	for i := range out {
		id, _ := uuid.NewV7()
		out[i] = loupe.Notification{
			ID:       id.String(),
			Manifest: digestOf(fmt.Sprint("manifest ", i)),
			Reason:   loupe.ReasonAdded,
			Vulnerability: loupe.VulnSummary{Name: fmt.Sprintf("CVE-2024-%04d", i), Severity: "High", NormalizedSeverity: loupe.High,
				Description: "a \"quoted\" <description> & more", Package: &loupe.Package{Name: "zlib", Kind: loupe.SourcePackage}},
		}
	}
	return out
}

func testProcessed(t *testing.T, s NotifierStoreUnderTest) {
	ctx := t.Context()
	a, b, c := op("debian/updater"), op("debian/updater"), op("osv/go")
	got, err := s.Processed(ctx, []string{a.Ref, b.Ref, "not-a-uuid"})
	must(t, "Processed", err)
	if len(got) != 0 {
		t.Errorf("Processed on an empty store = %v", got)
	}
	must(t, "PutNotifications", s.PutNotifications(ctx, a, uuid.NewString(), notes(3)))
	must(t, "PutNotifications", s.PutNotifications(ctx, c, uuid.NewString(), nil)) // nothing affected
	if err := s.PutNotifications(ctx, a, uuid.NewString(), notes(1)); !errors.Is(err, notifier.ErrProcessed) {
		t.Errorf("processing an operation twice: err = %v, want ErrProcessed", err)
	}
	got, err = s.Processed(ctx, []string{a.Ref, b.Ref, c.Ref})
	must(t, "Processed", err)
	if diff := cmp.Diff(map[string]bool{a.Ref: true, c.Ref: true}, got); diff != "" {
		t.Errorf("Processed (-want +got):\n%s", diff)
	}
	ups, err := s.ProcessedUpdaters(ctx)
	must(t, "ProcessedUpdaters", err)
	if diff := cmp.Diff(map[string]bool{"debian/updater": true, "osv/go": true}, ups); diff != "" {
		t.Errorf("ProcessedUpdaters (-want +got):\n%s", diff)
	}
	counts, err := s.Counts(ctx)
	must(t, "Counts", err)
	if diff := cmp.Diff(map[string]int{notifier.StatusPending: 1}, counts); diff != "" {
		t.Errorf("Counts: one set for the operation with notifications (-want +got):\n%s", diff)
	}
}

func testDelivery(t *testing.T, s NotifierStoreUnderTest) {
	ctx := t.Context()
	if _, ok, err := s.NextDue(ctx); err != nil || ok {
		t.Fatalf("NextDue on an empty store: %v, %v", ok, err)
	}
	first, second := uuid.NewString(), uuid.NewString()
	must(t, "PutNotifications", s.PutNotifications(ctx, op("u1"), first, notes(2)))
	must(t, "PutNotifications", s.PutNotifications(ctx, op("u2"), second, notes(1)))
	now := time.Now().Add(time.Second)
	due, err := s.Due(ctx, now, 10)
	must(t, "Due", err)
	if len(due) != 2 || due[0].Status != notifier.StatusPending || due[0].Count+due[1].Count != 3 {
		t.Fatalf("Due = %+v, want both sets pending", due)
	}
	if due, _ := s.Due(ctx, now, 1); len(due) != 1 {
		t.Errorf("Due with limit 1 returned %d sets", len(due))
	}
	// A failed attempt is due again only at its next attempt.
	retry := now.Add(time.Hour)
	must(t, "Failed", s.Failed(ctx, first, "connection refused", retry))
	due, err = s.Due(ctx, now, 10)
	must(t, "Due", err)
	if len(due) != 1 || due[0].ID != second {
		t.Errorf("after a failure, Due = %+v, want only the second set", due)
	}
	due, err = s.Due(ctx, retry.Add(time.Second), 10)
	must(t, "Due", err)
	if i := slices.IndexFunc(due, func(st notifier.Set) bool { return st.ID == first }); i < 0 || due[i].Attempts != 1 || due[i].LastError != "connection refused" {
		t.Errorf("at its retry time, Due = %+v, want the first set with 1 attempt and its error", due)
	}
	// Delivered sets are no longer due; acknowledged-on-delivery ones are
	// gone for paging.
	must(t, "Delivered", s.Delivered(ctx, second, false))
	must(t, "Delivered", s.Delivered(ctx, first, true))
	if due, _ := s.Due(ctx, retry.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("after delivery, Due = %+v", due)
	}
	if _, ok, _ := s.NextDue(ctx); ok {
		t.Error("NextDue with nothing pending")
	}
	if _, _, err := s.Notifications(ctx, first, "", 10); !errors.Is(err, notifier.ErrUnknownSet) {
		t.Errorf("paging a set acknowledged on delivery: err = %v", err)
	}
	bodies, _, err := s.Notifications(ctx, second, "", 10)
	if err != nil || len(bodies) != 1 {
		t.Errorf("paging a delivered set: %d notifications, %v", len(bodies), err)
	}
	counts, err := s.Counts(ctx)
	must(t, "Counts", err)
	if diff := cmp.Diff(map[string]int{notifier.StatusDelivered: 1, notifier.StatusAcked: 1}, counts); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

func testPaging(t *testing.T, s NotifierStoreUnderTest) {
	ctx := t.Context()
	set := uuid.NewString()
	want := notes(5)
	must(t, "PutNotifications", s.PutNotifications(ctx, op("u"), set, want))
	var got []loupe.Notification
	after := ""
	pages := 0
	for {
		bodies, ids, err := s.Notifications(ctx, set, after, 2)
		must(t, "Notifications", err)
		if len(bodies) == 0 {
			break
		}
		pages++
		for i, b := range bodies {
			var n loupe.Notification
			if err := json.Unmarshal(b, &n); err != nil {
				t.Fatalf("stored notification is not JSON: %v: %s", err, b)
			}
			if n.ID != ids[i] {
				t.Errorf("notification %s returned with ID %s", n.ID, ids[i])
			}
			got = append(got, n)
		}
		after = ids[len(ids)-1]
	}
	if pages != 3 {
		t.Errorf("%d pages of 2 for 5 notifications, want 3", pages)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b loupe.Digest) bool { return a == b })); diff != "" {
		t.Errorf("paged notifications (-want +got):\n%s", diff)
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		if _, _, err := s.Notifications(ctx, id, "", 10); !errors.Is(err, notifier.ErrUnknownSet) {
			t.Errorf("Notifications(%q): err = %v, want ErrUnknownSet", id, err)
		}
	}
}

func testAck(t *testing.T, s NotifierStoreUnderTest) {
	ctx := t.Context()
	set := uuid.NewString()
	must(t, "PutNotifications", s.PutNotifications(ctx, op("u"), set, notes(2)))
	must(t, "Ack", s.Ack(ctx, set))
	if err := s.Ack(ctx, set); !errors.Is(err, notifier.ErrUnknownSet) {
		t.Errorf("second Ack: err = %v, want ErrUnknownSet", err)
	}
	if err := s.Ack(ctx, uuid.NewString()); !errors.Is(err, notifier.ErrUnknownSet) {
		t.Errorf("Ack of an unknown set: err = %v, want ErrUnknownSet", err)
	}
	if _, _, err := s.Notifications(ctx, set, "", 10); !errors.Is(err, notifier.ErrUnknownSet) {
		t.Errorf("paging an acknowledged set: err = %v", err)
	}
	// An acknowledged set is not delivered any more either.
	if due, _ := s.Due(ctx, time.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("acknowledged set still due: %+v", due)
	}
}

func testNotifierGC(t *testing.T, s NotifierStoreUnderTest) {
	ctx := t.Context()
	acked, kept := uuid.NewString(), uuid.NewString()
	old := op("u")
	must(t, "PutNotifications", s.PutNotifications(ctx, old, acked, notes(2)))
	must(t, "PutNotifications", s.PutNotifications(ctx, op("u"), kept, notes(2)))
	must(t, "Ack", s.Ack(ctx, acked))
	n, err := s.GC(ctx, time.Now().Add(-time.Hour))
	must(t, "GC", err)
	if n != 1 {
		t.Errorf("GC deleted %d sets, want the acknowledged one", n)
	}
	if _, _, err := s.Notifications(ctx, kept, "", 10); err != nil {
		t.Errorf("GC deleted a live set: %v", err)
	}
	// Everything is older than an expiry in the future: the sets go, and
	// the processed records but the newest per updater.
	n, err = s.GC(ctx, time.Now().Add(time.Hour))
	must(t, "GC", err)
	if n != 1 {
		t.Errorf("GC of expired sets deleted %d, want 1", n)
	}
	ups, err := s.ProcessedUpdaters(ctx)
	must(t, "ProcessedUpdaters", err)
	if !ups["u"] {
		t.Error("GC forgot the updater's newest processed operation")
	}
}
