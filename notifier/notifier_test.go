package notifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/notifier"
	"github.com/loupe-dev/loupe/store/sqlite"
)

// feed is a hand-written matcher and indexer: update operations per
// updater with the live vulnerabilities of each, and which manifests each
// vulnerability (by name) affects.
type feed struct {
	mu       sync.Mutex
	ops      map[string][]loupe.UpdateOperation // newest first
	data     map[string][]loupe.Vulnerability   // by op ref
	affects  map[string][]string                // vulnerability name → manifests
	affected int                                // AffectedManifests calls
}

func newFeed() *feed {
	return &feed{ops: map[string][]loupe.UpdateOperation{}, data: map[string][]loupe.Vulnerability{}, affects: map[string][]string{}}
}

var nextID int

// land adds an operation whose live data is vulns (by name).
func (f *feed) land(updater string, vulns ...string) loupe.UpdateOperation {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := loupe.UpdateOperation{Ref: uuid.NewString(), Updater: updater, Kind: loupe.VulnerabilityUpdate, Date: time.Now()}
	var vs []loupe.Vulnerability
	for _, name := range vulns {
		nextID++
		sev := loupe.Low
		if name[0] == 'H' {
			sev = loupe.High
		}
		vs = append(vs, loupe.Vulnerability{ID: fmt.Sprint(nextID), Updater: updater, Name: name, NormalizedSeverity: sev,
			Package: &loupe.Package{Name: "pkg-" + name}})
	}
	f.ops[updater] = append([]loupe.UpdateOperation{op}, f.ops[updater]...)
	f.data[op.Ref] = vs
	return op
}

func (f *feed) UpdateOperations(_ context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]loupe.UpdateOperation{}
	for u, ops := range f.ops {
		out[u] = slices.Clone(ops)
	}
	return out, nil
}

func (f *feed) UpdateDiff(_ context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := func(ref string) map[string]loupe.Vulnerability {
		m := map[string]loupe.Vulnerability{}
		for _, v := range f.data[ref] {
			m[v.Name] = v
		}
		return m
	}
	p, c := names(prev), names(cur)
	var d loupe.UpdateDiff
	for n, v := range c {
		if _, ok := p[n]; !ok {
			d.Added = append(d.Added, v)
		}
	}
	for n, v := range p {
		if _, ok := c[n]; !ok {
			d.Removed = append(d.Removed, v)
		}
	}
	return &d, nil
}

func (f *feed) AffectedManifests(_ context.Context, vulns []loupe.Vulnerability) (*loupe.AffectedManifests, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.affected++
	am := &loupe.AffectedManifests{Vulnerabilities: map[string]*loupe.Vulnerability{}, VulnerableManifests: map[string][]string{}}
	for i := range vulns {
		v := vulns[i]
		for _, m := range f.affects[v.Name] {
			am.Vulnerabilities[v.ID] = &v
			am.VulnerableManifests[m] = append(am.VulnerableManifests[m], v.ID)
		}
	}
	return am, nil
}

func manifest(n int) string { return fmt.Sprintf("sha256:%064d", n) }

// recorder is a hand-written Deliverer: it records deliveries and fails
// the first failures ones.
type recorder struct {
	mu       sync.Mutex
	failures int
	direct   bool
	got      []string // set IDs
	bodies   map[string][]json.RawMessage
	calls    int
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Close() error { return nil }
func (r *recorder) Direct() bool { return r.direct }
func (r *recorder) Deliver(ctx context.Context, d *notifier.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failures > 0 {
		r.failures--
		return errors.New("target down")
	}
	if r.bodies == nil {
		r.bodies = map[string][]json.RawMessage{}
	}
	if r.direct {
		b, err := d.Notifications(ctx)
		if err != nil {
			return err
		}
		r.bodies[d.ID] = b
	}
	r.got = append(r.got, d.ID)
	return nil
}

func (r *recorder) deliveries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func newStore(t *testing.T) *sqlite.NotifierStore {
	s, err := sqlite.OpenNotifier(context.Background(), filepath.Join(t.TempDir(), "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// page reads a whole set as (manifest, reason, vulnerability) lines.
func page(t *testing.T, n *notifier.Notifier, set string) []string {
	t.Helper()
	bodies, _, err := n.Notifications(context.Background(), set, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bodies {
		var note loupe.Notification
		if err := json.Unmarshal(b, &note); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s", note.Manifest.String()[len("sha256:")+62:], note.Reason, note.Vulnerability.Name))
	}
	return out
}

func TestNotifications(t *testing.T) {
	for _, summary := range []bool{true, false} {
		t.Run(fmt.Sprintf("summary=%v", summary), func(t *testing.T) {
			ctx := context.Background()
			f := newFeed()
			f.affects["H-new"] = []string{manifest(1), manifest(2)}
			f.affects["L-new"] = []string{manifest(2)}
			f.affects["L-old"] = []string{manifest(2), manifest(3)}
			rec := &recorder{}
			n, err := notifier.New(notifier.Options{Store: newStore(t), Matcher: f, Indexer: f, Deliverer: rec,
				Summary: summary, CallbackBase: "http://loupe/notifier/api/v1/notification/"})
			if err != nil {
				t.Fatal(err)
			}
			// The first load of a feed notifies no one.
			f.land("u", "L-old", "kept")
			if err := n.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			if f.affected != 0 {
				t.Errorf("first update: asked the indexer %d times", f.affected)
			}
			// The second adds two and removes one.
			f.land("u", "kept", "H-new", "L-new")
			if err := n.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			deliverNow(t, n)
			sets := rec.deliveries()
			if len(sets) != 1 {
				t.Fatalf("%d sets delivered, want 1", len(sets))
			}
			want := []string{"01 added H-new", "02 added H-new", "02 added L-new", "02 removed L-old", "03 removed L-old"}
			if summary {
				// One per manifest: the most severe addition, else the
				// most severe removal.
				want = []string{"01 added H-new", "02 added H-new", "03 removed L-old"}
			}
			if diff := cmp.Diff(want, page(t, n, sets[0])); diff != "" {
				t.Errorf("notifications (-want +got):\n%s", diff)
			}
			// Polling again processes nothing new.
			if err := n.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			deliverNow(t, n)
			if got := rec.deliveries(); len(got) != 1 {
				t.Errorf("%d deliveries after a second poll, want 1", len(got))
			}
			if err := n.Ack(ctx, sets[0]); err != nil {
				t.Fatal(err)
			}
			if _, _, err := n.Notifications(ctx, sets[0], "", 10); !errors.Is(err, notifier.ErrUnknownSet) {
				t.Errorf("acknowledged set: err = %v", err)
			}
		})
	}
}

// deliverNow runs a notifier's delivery until it is idle: Run with a
// short-lived context.
func deliverNow(t *testing.T, n *notifier.Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	n.Run(ctx)
}

func TestFirstUpdateOptIn(t *testing.T) {
	f := newFeed()
	f.affects["L-1"] = []string{manifest(1)}
	n, _ := notifier.New(notifier.Options{Store: newStore(t), Matcher: f, Indexer: f, Summary: true, NotifyFirstUpdate: true})
	f.land("u", "L-1")
	if err := n.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := counts(t, n)
	if st != 1 {
		t.Errorf("%d sets after the first update with notify_first_update, want 1", st)
	}
}

func counts(t *testing.T, n *notifier.Notifier) int {
	t.Helper()
	// A set per poll is visible through Notifications only by ID; count
	// through a second store handle instead.
	return n.PendingSets(context.Background())
}

func TestOperationsInOrder(t *testing.T) {
	ctx := context.Background()
	f := newFeed()
	for _, name := range []string{"L-a", "L-b", "L-c", "L-d"} {
		f.affects[name] = []string{manifest(1)}
	}
	rec := &recorder{}
	n, _ := notifier.New(notifier.Options{Store: newStore(t), Matcher: f, Indexer: f, Deliverer: rec, Summary: false})
	// An updater the notifier has never seen: only its newest operation,
	// diffed against the one before.
	f.land("u", "L-a")
	f.land("u", "L-a", "L-b")
	if err := n.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	// Then two more land between polls: both are processed, in order.
	f.land("u", "L-a", "L-b", "L-c")
	f.land("u", "L-a", "L-b", "L-c", "L-d")
	if err := n.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	deliverNow(t, n)
	var got [][]string
	for _, set := range rec.deliveries() {
		got = append(got, page(t, n, set))
	}
	want := [][]string{{"01 added L-b"}, {"01 added L-c"}, {"01 added L-d"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sets (-want +got):\n%s", diff)
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	f := newFeed()
	f.affects["L-1"] = []string{manifest(1)}
	rec := &recorder{failures: 3}
	n, _ := notifier.New(notifier.Options{Store: newStore(t), Matcher: f, Indexer: f, Deliverer: rec, Summary: true,
		RetryMin: 20 * time.Millisecond, DeliveryInterval: 50 * time.Millisecond})
	f.land("u")
	f.land("u", "L-1")
	if err := n.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	go n.Run(runCtx)
	for len(rec.deliveries()) == 0 && runCtx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if got := rec.deliveries(); len(got) != 1 || rec.calls != 4 {
		t.Errorf("delivered %v after %d attempts; want one set after 3 failures", got, rec.calls)
	}
}

func TestDirectDeliveryAcks(t *testing.T) {
	ctx := context.Background()
	f := newFeed()
	f.affects["L-1"] = []string{manifest(1), manifest(2)}
	rec := &recorder{direct: true}
	n, _ := notifier.New(notifier.Options{Store: newStore(t), Matcher: f, Indexer: f, Deliverer: rec, Summary: true})
	f.land("u")
	f.land("u", "L-1")
	if err := n.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	deliverNow(t, n)
	sets := rec.deliveries()
	if len(sets) != 1 || len(rec.bodies[sets[0]]) != 2 {
		t.Fatalf("direct delivery: %v, %d bodies", sets, len(rec.bodies[sets[0]]))
	}
	if _, _, err := n.Notifications(ctx, sets[0], "", 10); !errors.Is(err, notifier.ErrUnknownSet) {
		t.Errorf("a directly delivered set can still be paged: %v", err)
	}
}

// TestTwoNotifiers: two notifiers share a store and process each update
// operation once between them.
func TestTwoNotifiers(t *testing.T) {
	ctx := context.Background()
	f := newFeed()
	f.affects["L-1"] = []string{manifest(1)}
	path := filepath.Join(t.TempDir(), "notifier.db")
	var ns []*notifier.Notifier
	for range 2 {
		s, err := sqlite.OpenNotifier(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n, _ := notifier.New(notifier.Options{Store: s, Matcher: f, Indexer: f, Summary: true})
		ns = append(ns, n)
	}
	f.land("u")
	for i := range 20 {
		f.land("u", fmt.Sprintf("L-%d", i%2))
	}
	var wg sync.WaitGroup
	for _, n := range ns {
		wg.Add(1)
		go func() { defer wg.Done(); n.Poll(ctx) }()
	}
	wg.Wait()
	if got := ns[0].PendingSets(ctx); got != 1 {
		t.Errorf("%d sets, want 1 (only the newest operation of a new updater)", got)
	}
}
