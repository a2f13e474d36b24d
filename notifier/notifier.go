package notifier

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/store"
)

// Matcher is what the notifier asks the matcher: update operations, and
// what changed between two of them.
type Matcher interface {
	UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error)
	UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error)
}

// Indexer is what the notifier asks the indexer: the indexed manifests a
// set of vulnerabilities affects.
type Indexer interface {
	AffectedManifests(ctx context.Context, vulns []loupe.Vulnerability) (*loupe.AffectedManifests, error)
}

// Options configure a Notifier.
type Options struct {
	Store   Store
	Matcher Matcher
	Indexer Indexer
	// Deliverer delivers sets; nil means sets are made and served but not
	// delivered.
	Deliverer Deliverer
	// CallbackBase is the URL a set's ID is appended to, to page it:
	// ".../notifier/api/v1/notification/".
	CallbackBase string
	// PollInterval is how often the matcher is asked for new update
	// operations; 0 means 6h. In one process with the matcher, new
	// operations are also processed as soon as they land (Poll).
	PollInterval time.Duration
	// DeliveryInterval bounds the wait between attempts to deliver a set
	// (the backoff's ceiling); 0 means 1h.
	DeliveryInterval time.Duration
	// RetryMin is the wait after a first failed delivery, doubled after
	// each further one; 0 means 5s.
	RetryMin time.Duration
	// Summary makes one notification per manifest, with its most severe
	// change, rather than one per vulnerability.
	Summary bool
	// NotifyFirstUpdate notifies about an updater's first operation too
	// (everything it brings counts as added). Off by default.
	NotifyFirstUpdate bool
	// Expiry is how long a set is kept if never acknowledged; 0 means 14
	// days.
	Expiry time.Duration
	// Registerer, when set, receives the notifier's metrics.
	Registerer prometheus.Registerer
}

// Defaults.
const (
	DefaultPollInterval     = 6 * time.Hour
	DefaultDeliveryInterval = time.Hour
	DefaultRetryMin         = 5 * time.Second
	DefaultExpiry           = 14 * 24 * time.Hour
	gcInterval              = time.Hour
	affectedChunk           = 1000
	deliveryBatch           = 100
)

// Notifier computes, stores, delivers and serves notifications.
type Notifier struct {
	opts    Options
	kick    chan struct{}
	metrics metrics
	pollMu  sync.Mutex
}

// New returns a Notifier.
func New(opts Options) (*Notifier, error) {
	if opts.Store == nil || opts.Matcher == nil || opts.Indexer == nil {
		return nil, errors.New("notifier: store, matcher and indexer are required")
	}
	opts.PollInterval = cmp.Or(opts.PollInterval, DefaultPollInterval)
	opts.DeliveryInterval = cmp.Or(opts.DeliveryInterval, DefaultDeliveryInterval)
	opts.RetryMin = cmp.Or(opts.RetryMin, DefaultRetryMin)
	opts.Expiry = cmp.Or(opts.Expiry, DefaultExpiry)
	n := &Notifier{opts: opts, kick: make(chan struct{}, 1), metrics: newMetrics()}
	if opts.Registerer != nil {
		if err := n.metrics.register(opts.Registerer); err != nil {
			return nil, fmt.Errorf("notifier: metrics: %w", err)
		}
	}
	return n, nil
}

// Run polls, delivers and collects garbage until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); n.pollLoop(ctx) }()
	go func() { defer wg.Done(); n.deliverLoop(ctx) }()
	go func() { defer wg.Done(); n.gcLoop(ctx) }()
	wg.Wait()
}

func (n *Notifier) pollLoop(ctx context.Context) {
	for {
		if err := n.Poll(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "notifier poll failed; will retry", "reason", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(n.opts.PollInterval):
		}
	}
}

// Poll processes the update operations landed since the last poll, then
// wakes delivery.
func (n *Notifier) Poll(ctx context.Context) error {
	n.pollMu.Lock()
	defer n.pollMu.Unlock()
	ops, err := n.opts.Matcher.UpdateOperations(ctx, loupe.VulnerabilityUpdate, false)
	if err != nil {
		return fmt.Errorf("listing update operations: %w", err)
	}
	known, err := n.opts.Store.ProcessedUpdaters(ctx)
	if err != nil {
		return fmt.Errorf("reading processed updaters: %w", err)
	}
	var errs []error
	updaters := make([]string, 0, len(ops))
	for u := range ops {
		updaters = append(updaters, u)
	}
	slices.Sort(updaters)
	for _, u := range updaters {
		if err := n.pollUpdater(ctx, ops[u], known[u]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", u, err))
		}
	}
	n.wake()
	return errors.Join(errs...)
}

// pollUpdater processes the new operations of one updater (ops newest
// first): those newer than the newest one processed, oldest first; for an
// updater the notifier has never processed, only the newest.
func (n *Notifier) pollUpdater(ctx context.Context, ops []loupe.UpdateOperation, known bool) error {
	if len(ops) == 0 {
		return nil
	}
	refs := make([]string, len(ops))
	for i, op := range ops {
		refs[i] = op.Ref
	}
	done, err := n.opts.Store.Processed(ctx, refs)
	if err != nil {
		return err
	}
	newest := slices.IndexFunc(ops, func(op loupe.UpdateOperation) bool { return done[op.Ref] })
	var todo []int
	switch {
	case newest >= 0:
		for i := newest - 1; i >= 0; i-- {
			todo = append(todo, i)
		}
	case known:
		for i := len(ops) - 1; i >= 0; i-- {
			todo = append(todo, i)
		}
	default:
		todo = []int{0}
	}
	for _, i := range todo {
		var prev *loupe.UpdateOperation
		if i+1 < len(ops) {
			prev = &ops[i+1]
		}
		if err := n.process(ctx, ops[i], prev); err != nil {
			return fmt.Errorf("update operation %s: %w", ops[i].Ref, err)
		}
	}
	return nil
}

// process turns one update operation into a notification set.
func (n *Notifier) process(ctx context.Context, op loupe.UpdateOperation, prev *loupe.UpdateOperation) error {
	unlock, ok, err := store.TryLock(ctx, n.opts.Store, "uo:"+op.Ref)
	if err != nil || !ok {
		return err // another process is at it
	}
	defer unlock()
	if done, err := n.opts.Store.Processed(ctx, []string{op.Ref}); err != nil || done[op.Ref] {
		return err
	}
	start := time.Now()
	var notes []loupe.Notification
	if prev != nil || n.opts.NotifyFirstUpdate {
		prevRef := ""
		if prev != nil {
			prevRef = prev.Ref
		}
		diff, err := n.opts.Matcher.UpdateDiff(ctx, prevRef, op.Ref)
		if err != nil {
			return fmt.Errorf("diff: %w", err)
		}
		added, err := n.affected(ctx, diff.Added)
		if err != nil {
			return err
		}
		removed, err := n.affected(ctx, diff.Removed)
		if err != nil {
			return err
		}
		notes = n.build(added, removed)
	}
	setID, err := uuid.NewV7()
	if err != nil {
		return err
	}
	err = n.opts.Store.PutNotifications(ctx, op, setID.String(), notes)
	switch {
	case errors.Is(err, ErrProcessed):
		return nil
	case err != nil:
		return fmt.Errorf("storing notifications: %w", err)
	}
	n.metrics.created.Add(float64(len(notes)))
	slog.InfoContext(ctx, "update operation processed", "updater", op.Updater, "ref", op.Ref,
		"first", prev == nil, "notifications", len(notes), "set", setID.String(), "duration", time.Since(start))
	return nil
}

// affected asks the indexer about vulns, in chunks.
func (n *Notifier) affected(ctx context.Context, vulns []loupe.Vulnerability) (*loupe.AffectedManifests, error) {
	out := &loupe.AffectedManifests{Vulnerabilities: map[string]*loupe.Vulnerability{}, VulnerableManifests: map[string][]string{}}
	for len(vulns) > 0 {
		chunk := vulns[:min(len(vulns), affectedChunk)]
		vulns = vulns[len(chunk):]
		am, err := n.opts.Indexer.AffectedManifests(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("affected manifests: %w", err)
		}
		for id, v := range am.Vulnerabilities {
			out.Vulnerabilities[id] = v
		}
		for m, ids := range am.VulnerableManifests {
			out.VulnerableManifests[m] = append(out.VulnerableManifests[m], ids...)
		}
	}
	// Chunks each list their most severe first; merge in that order.
	for m, ids := range out.VulnerableManifests {
		slices.SortStableFunc(ids, func(a, b string) int {
			return cmp.Compare(out.Vulnerabilities[b].NormalizedSeverity, out.Vulnerabilities[a].NormalizedSeverity)
		})
		out.VulnerableManifests[m] = ids
	}
	return out, nil
}

// build makes the notifications of one operation. In summary mode a
// manifest gets one: its most severe added vulnerability if any was
// added, else its most severe removed one.
func (n *Notifier) build(added, removed *loupe.AffectedManifests) []loupe.Notification {
	type change struct {
		manifest, reason string
		v                *loupe.Vulnerability
	}
	var changes []change
	for _, c := range []struct {
		reason string
		am     *loupe.AffectedManifests
	}{{loupe.ReasonAdded, added}, {loupe.ReasonRemoved, removed}} {
		for m, ids := range c.am.VulnerableManifests {
			if n.opts.Summary {
				if c.reason == loupe.ReasonRemoved && len(added.VulnerableManifests[m]) > 0 {
					continue
				}
				ids = ids[:1]
			}
			for _, id := range ids {
				if v := c.am.Vulnerabilities[id]; v != nil {
					changes = append(changes, change{m, c.reason, v})
				}
			}
		}
	}
	// A stable order, so that pages read sensibly: by manifest, added
	// first, most severe first.
	slices.SortFunc(changes, func(a, b change) int {
		return cmp.Or(cmp.Compare(a.manifest, b.manifest), cmp.Compare(a.reason, b.reason),
			cmp.Compare(b.v.NormalizedSeverity, a.v.NormalizedSeverity), cmp.Compare(a.v.Name, b.v.Name), cmp.Compare(a.v.ID, b.v.ID))
	})
	notes := make([]loupe.Notification, 0, len(changes))
	for _, c := range changes {
		d, err := loupe.ParseDigest(c.manifest)
		if err != nil {
			continue
		}
		id, _ := uuid.NewV7() // time-ordered, so pages follow this order
		notes = append(notes, loupe.Notification{ID: id.String(), Manifest: d, Reason: c.reason, Vulnerability: loupe.Summarize(c.v)})
	}
	return notes
}

// wake makes delivery look for due sets now.
func (n *Notifier) wake() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

func (n *Notifier) deliverLoop(ctx context.Context) {
	for {
		if n.opts.Deliverer != nil {
			n.deliverDue(ctx)
		}
		wait := n.opts.DeliveryInterval
		if next, ok, err := n.opts.Store.NextDue(ctx); err == nil && ok {
			// A set already due here is being delivered by another
			// process (or its lease outlived a dead one): look again
			// soon, but do not spin on it.
			wait = min(wait, max(time.Until(next), min(n.opts.RetryMin, time.Second)))
		}
		n.updateGauges(ctx)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// deliverDue delivers the sets that are due.
func (n *Notifier) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		due, err := n.opts.Store.Due(ctx, time.Now(), deliveryBatch)
		if err != nil {
			slog.WarnContext(ctx, "listing notifications to deliver", "reason", err)
			return
		}
		delivered := 0
		for _, set := range due {
			if n.deliver(ctx, set) {
				delivered++
			}
		}
		if len(due) < deliveryBatch || delivered == 0 {
			return
		}
	}
}

// deliver delivers one set and records the outcome; it reports whether
// it was delivered.
func (n *Notifier) deliver(ctx context.Context, set Set) bool {
	unlock, ok, err := store.TryLock(ctx, n.opts.Store, "set:"+set.ID)
	if err != nil || !ok {
		return false
	}
	defer unlock()
	d := &Delivery{
		ID:       set.ID,
		Callback: n.opts.CallbackBase + set.ID,
		Notifications: func(ctx context.Context) ([]json.RawMessage, error) {
			return n.allNotifications(ctx, set.ID)
		},
	}
	direct := false
	if dd, ok := n.opts.Deliverer.(Direct); ok {
		direct = dd.Direct()
	}
	err = n.opts.Deliverer.Deliver(ctx, d)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		next := time.Now().Add(n.backoff(set.Attempts + 1))
		n.metrics.failures.Inc()
		slog.WarnContext(ctx, "notification delivery failed; will retry", "set", set.ID, "deliverer", n.opts.Deliverer.Name(),
			"attempt", set.Attempts+1, "retry_at", next, "reason", err)
		if err := n.opts.Store.Failed(context.WithoutCancel(ctx), set.ID, err.Error(), next); err != nil {
			slog.WarnContext(ctx, "recording a failed delivery", "set", set.ID, "reason", err)
		}
		return false
	}
	if err := n.opts.Store.Delivered(context.WithoutCancel(ctx), set.ID, direct); err != nil {
		// Delivered but not recorded: it will be delivered again, which
		// at-least-once allows.
		slog.WarnContext(ctx, "recording a delivery", "set", set.ID, "reason", err)
		return false
	}
	n.metrics.delivered.Inc()
	n.metrics.notesDelivered.Add(float64(set.Count))
	slog.InfoContext(ctx, "notifications delivered", "set", set.ID, "deliverer", n.opts.Deliverer.Name(), "notifications", set.Count,
		"attempt", set.Attempts+1, "latency", time.Since(set.Created))
	return true
}

// backoff is the wait before attempt a (≥ 2) of a delivery.
func (n *Notifier) backoff(a int) time.Duration {
	d := n.opts.RetryMin
	for i := 1; i < a-1 && d < n.opts.DeliveryInterval; i++ {
		d *= 2
	}
	return min(d, n.opts.DeliveryInterval)
}

// allNotifications returns every notification of a set.
func (n *Notifier) allNotifications(ctx context.Context, id string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	after := ""
	for {
		bodies, ids, err := n.opts.Store.Notifications(ctx, id, after, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, bodies...)
		if len(ids) < 1000 {
			return out, nil
		}
		after = ids[len(ids)-1]
	}
}

func (n *Notifier) gcLoop(ctx context.Context) {
	for {
		unlock, ok, err := store.TryLock(ctx, n.opts.Store, "notifier-gc")
		if err == nil && ok {
			if n, err := n.opts.Store.GC(ctx, time.Now().Add(-n.opts.Expiry)); err != nil {
				slog.WarnContext(ctx, "notification garbage collection failed", "reason", err)
			} else if n > 0 {
				slog.InfoContext(ctx, "notification sets collected", "count", n)
			}
			unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(gcInterval):
		}
	}
}

// Notifications returns a page of a set's notifications (see
// Store.Notifications).
func (n *Notifier) Notifications(ctx context.Context, id, after string, limit int) ([]json.RawMessage, []string, error) {
	return n.opts.Store.Notifications(ctx, id, after, limit)
}

// Ack acknowledges a set.
func (n *Notifier) Ack(ctx context.Context, id string) error {
	return n.opts.Store.Ack(ctx, id)
}

// PendingSets returns the number of sets awaiting delivery.
func (n *Notifier) PendingSets(ctx context.Context) int {
	counts, err := n.opts.Store.Counts(ctx)
	if err != nil {
		return -1
	}
	return counts[StatusPending]
}
