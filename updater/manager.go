package updater

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/store"
)

// Store is where updates land. Its leases keep replicas that share it
// from running the same updater, or garbage collection, at once.
type Store interface {
	store.Leaser
	// Fingerprint returns the fingerprint of the updater's last
	// successful run, or "".
	Fingerprint(ctx context.Context, updater string) (string, error)
	// UpdateVulnerabilities replaces the updater's live data and
	// returns the update operation it landed, or nil if nothing changed.
	UpdateVulnerabilities(ctx context.Context, updater, fingerprint string, vulns []*loupe.Vulnerability) (*loupe.UpdateOperation, error)
	// RecordAttempt records a run that landed nothing: why it failed, or
	// nil when the feed was unchanged.
	RecordAttempt(ctx context.Context, updater string, failure error) error
	// GC keeps the newest retention operations of each updater.
	GC(ctx context.Context, retention int) (int, error)
}

// Options configure a Manager.
type Options struct {
	Store Store
	// Sets are the updater sets to run.
	Sets []Set
	// Config is the updaters.config block: per-updater or per-set
	// configuration.
	Config map[string]json.RawMessage
	// Client fetches feeds; nil means http.DefaultClient.
	Client *http.Client
	// Period between runs; 0 means 6h.
	Period time.Duration
	// Retention is how many update operations per updater GC keeps; 0
	// disables GC.
	Retention int
	// Landed is called after a run that landed at least one update
	// operation, with the operations.
	Landed func(ctx context.Context, ops []*loupe.UpdateOperation)
	// Registerer, when set, receives the updaters' metrics (runs by
	// outcome, run durations, vulnerability counts, last success).
	Registerer prometheus.Registerer
	// ParseConcurrency is how many updaters parse and store at once;
	// 0 means DefaultParseConcurrency. Feeds are still fetched
	// FetchConcurrency at a time (fetching spools to disk).
	ParseConcurrency int
}

const (
	// FetchConcurrency is how many updaters run, fetching, at once.
	FetchConcurrency = 8
	// DefaultParseConcurrency is how many of them parse and store at
	// once. Parsing holds a whole feed's records in memory, so this
	// bounds a run's peak to that of the largest feeds, not the sum of
	// every feed in flight.
	DefaultParseConcurrency = 2
)

// Manager runs updaters.
type Manager struct {
	opts     Options
	updaters []named
	mu       sync.Mutex // one run at a time
	parsing  chan struct{}
	metrics  *metrics
}

type named struct {
	set string
	u   Updater
}

// NewManager configures every updater of the sets.
func NewManager(opts Options) (*Manager, error) {
	if opts.Store == nil {
		return nil, errors.New("updater: no store")
	}
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	if opts.Period <= 0 {
		opts.Period = 6 * time.Hour
	}
	m := &Manager{opts: opts, metrics: newMetrics(), parsing: make(chan struct{}, cmp.Or(max(opts.ParseConcurrency, 0), DefaultParseConcurrency))}
	if opts.Registerer != nil {
		if err := m.metrics.register(opts.Registerer); err != nil {
			return nil, fmt.Errorf("updater: metrics: %w", err)
		}
	}
	for _, set := range opts.Sets {
		for _, u := range set.Updaters {
			if c, ok := u.(Configurable); ok {
				if err := c.Configure(ConfigDecoder(opts.Config, set.Name, u.Name())); err != nil {
					return nil, fmt.Errorf("updater %s: configuring: %w", u.Name(), err)
				}
			}
			m.updaters = append(m.updaters, named{set.Name, u})
			for _, o := range []string{outcomeChanged, outcomeUnchanged, outcomeFailed} {
				m.metrics.runs.WithLabelValues(u.Name(), o)
			}
		}
	}
	return m, nil
}

// Run runs every updater now and then every period (with jitter of up to
// a tenth of it, so that replicas spread out), until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	for {
		if err := m.RunOnce(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "updaters failed; keeping their previous data", "reason", err)
		}
		jitter := time.Duration(rand.Int64N(int64(m.opts.Period)/10 + 1))
		t := time.NewTimer(m.opts.Period + jitter)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// RunOnce runs every updater once, concurrently, then garbage-collects.
// It returns the joined errors of the updaters that failed.
func (m *Manager) RunOnce(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		landed []*loupe.UpdateOperation
	)
	sem := make(chan struct{}, FetchConcurrency)
	for _, n := range m.updaters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			op, err := m.runOne(ctx, n.u)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", n.u.Name(), err))
			}
			if op != nil {
				landed = append(landed, op)
			}
		}()
	}
	wg.Wait()
	if m.opts.Retention > 0 && ctx.Err() == nil {
		if err := m.gc(ctx); err != nil {
			errs = append(errs, fmt.Errorf("garbage collection: %w", err))
		}
	}
	if len(landed) > 0 && m.opts.Landed != nil {
		m.opts.Landed(ctx, landed)
	}
	return errors.Join(errs...)
}

// gc collects old update operations, unless another replica is at it.
func (m *Manager) gc(ctx context.Context) error {
	unlock, ok, err := store.TryLock(ctx, m.opts.Store, "gc")
	if err != nil || !ok {
		return err
	}
	defer unlock()
	n, err := m.opts.Store.GC(ctx, m.opts.Retention)
	if n > 0 {
		slog.InfoContext(ctx, "update operations collected", "count", n)
	}
	return err
}

// runOne fetches, parses and stores one updater's feed, unless another
// replica sharing the store is running the same updater.
func (m *Manager) runOne(ctx context.Context, u Updater) (op *loupe.UpdateOperation, err error) {
	start := time.Now()
	name := u.Name()
	log := slog.With("updater", name)
	unlock, ok, err := store.TryLock(ctx, m.opts.Store, "updater:"+name)
	if err != nil {
		return nil, fmt.Errorf("taking the updater's lock: %w", err)
	}
	if !ok {
		log.DebugContext(ctx, "update skipped: another process is running it")
		return nil, nil
	}
	defer unlock()
	parsed := -1 // vulnerabilities parsed, once the feed is
	defer func() { m.observe(name, start, op, err, parsed) }()
	defer func() {
		if err != nil && ctx.Err() == nil {
			if rerr := m.opts.Store.RecordAttempt(context.WithoutCancel(ctx), name, err); rerr != nil {
				log.WarnContext(ctx, "recording updater status", "reason", rerr)
			}
		}
	}()
	prev, err := m.opts.Store.Fingerprint(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("reading fingerprint: %w", err)
	}
	body, fp, err := u.Fetch(ctx, m.opts.Client, prev)
	if errors.Is(err, ErrUnchanged) {
		log.DebugContext(ctx, "update unchanged", "duration", time.Since(start))
		return nil, m.opts.Store.RecordAttempt(ctx, name, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("fetching: %w", err)
	}
	defer body.Close()
	select {
	case m.parsing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-m.parsing }()
	vulns, err := u.Parse(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	parsed = len(vulns)
	op, err = m.opts.Store.UpdateVulnerabilities(ctx, name, fp, vulns)
	if err != nil {
		return nil, fmt.Errorf("storing: %w", err)
	}
	if op == nil {
		log.InfoContext(ctx, "update done, no change", "vulnerabilities", len(vulns), "duration", time.Since(start))
		return nil, nil
	}
	log.InfoContext(ctx, "update done", "ref", op.Ref, "vulnerabilities", len(vulns), "duration", time.Since(start))
	return op, nil
}

// observe records one run of updater name: changed when it landed op,
// failed with err, unchanged otherwise; parsed is the vulnerabilities its
// feed parsed to, -1 when it was not parsed.
func (m *Manager) observe(name string, start time.Time, op *loupe.UpdateOperation, err error, parsed int) {
	outcome := outcomeUnchanged
	switch {
	case err != nil:
		outcome = outcomeFailed
	case op != nil:
		outcome = outcomeChanged
	}
	m.metrics.runs.WithLabelValues(name, outcome).Inc()
	m.metrics.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	if err != nil {
		return
	}
	if parsed >= 0 {
		m.metrics.vulns.WithLabelValues(name).Set(float64(parsed))
	}
	m.metrics.lastSuccess.WithLabelValues(name).Set(float64(time.Now().UnixNano()) / 1e9)
}
