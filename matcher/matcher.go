package matcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe"
)

// Store is what the matcher reads from the vulnerability database.
type Store interface {
	// Vulnerabilities returns every live vulnerability.
	Vulnerabilities(ctx context.Context) ([]*loupe.Vulnerability, error)
	// DataVersion changes whenever the live data may have changed.
	DataVersion(ctx context.Context) (string, error)
	// Initialized reports whether any update operation exists.
	Initialized(ctx context.Context) (bool, error)
	UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error)
	LatestRef(ctx context.Context, kind string) (string, error)
	DeleteUpdateOperations(ctx context.Context, refs ...string) (int, error)
	UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error)
}

// Options configure a Matcher.
type Options struct {
	Store Store
	// Rules are the enabled matchers.
	Rules []Rules
	// Registerer, when set, receives the matcher's metrics (index size,
	// index builds and their durations, match durations).
	Registerer prometheus.Registerer
}

// Matcher matches index reports against the in-memory Index.
type Matcher struct {
	opts    Options
	index   atomic.Pointer[Index]
	reload  sync.Mutex
	metrics *metrics
}

// New builds a Matcher and loads its Index from the store.
func New(ctx context.Context, opts Options) (*Matcher, error) {
	if opts.Store == nil {
		return nil, errors.New("matcher: no store")
	}
	m := &Matcher{opts: opts, metrics: newMetrics()}
	if opts.Registerer != nil {
		if err := m.metrics.register(opts.Registerer); err != nil {
			return nil, fmt.Errorf("matcher: metrics: %w", err)
		}
	}
	if err := m.Reload(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Reload rebuilds the Index from the store and swaps it in. Requests in
// flight finish on the Index they started with.
func (m *Matcher) Reload(ctx context.Context) error {
	m.reload.Lock()
	defer m.reload.Unlock()
	return m.reloadLocked(ctx)
}

func (m *Matcher) reloadLocked(ctx context.Context) (err error) {
	start := time.Now()
	defer func() {
		if err != nil {
			m.metrics.buildFailures.Inc()
		}
	}()
	version, err := m.opts.Store.DataVersion(ctx)
	if err != nil {
		return fmt.Errorf("matcher: reading data version: %w", err)
	}
	// Asked before loading: data that had landed by now is in what
	// Vulnerabilities returns.
	initialized, err := m.opts.Store.Initialized(ctx)
	if err != nil {
		return fmt.Errorf("matcher: reading data version: %w", err)
	}
	vulns, err := m.opts.Store.Vulnerabilities(ctx)
	if err != nil {
		return fmt.Errorf("matcher: loading vulnerabilities: %w", err)
	}
	ix := NewIndex(ctx, m.opts.Rules, vulns, version)
	ix.Initialized = initialized
	m.index.Store(ix)
	m.metrics.vulns.Set(float64(ix.Count))
	m.metrics.builds.Observe(time.Since(start).Seconds())
	slog.InfoContext(ctx, "vulnerability index loaded", "vulnerabilities", ix.Count, "unclaimed", ix.Unclaimed, "version", version, "duration", time.Since(start))
	// Building the index, and the update that usually precedes it, peak
	// at a few times the index's own size; hand that memory back to the
	// system now rather than over the following minutes, so that the
	// process's footprint is what it keeps. Reloads are rare, and this
	// costs one collection.
	vulns = nil
	debug.FreeOSMemory()
	return nil
}

// ReloadIfChanged reloads the Index when the store's data version
// differs from the loaded one: how a replica notices another's update.
func (m *Matcher) ReloadIfChanged(ctx context.Context) error {
	m.reload.Lock()
	defer m.reload.Unlock()
	v, err := m.opts.Store.DataVersion(ctx)
	if err != nil {
		return fmt.Errorf("matcher: reading data version: %w", err)
	}
	if cur := m.index.Load(); cur != nil && cur.Version == v {
		return nil
	}
	return m.reloadLocked(ctx)
}

// Index returns the current Index.
func (m *Matcher) Index() *Index { return m.index.Load() }

// Scan returns the vulnerability report of an index report.
func (m *Matcher) Scan(ctx context.Context, ir *loupe.IndexReport) (*loupe.VulnerabilityReport, error) {
	start := time.Now()
	vr := m.index.Load().Match(ctx, ir)
	m.metrics.match.Observe(time.Since(start).Seconds())
	return vr, nil
}

// Initialized reports whether the index in use holds vulnerability data
// that landed: before that, an empty report would be a lie. It answers
// from memory, so it also answers while the database is away.
func (m *Matcher) Initialized(context.Context) (bool, error) {
	return m.index.Load().Initialized, nil
}

// UpdateOperations lists update operations by updater, newest first.
func (m *Matcher) UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	return m.opts.Store.UpdateOperations(ctx, kind, latest)
}

// LatestRef returns the newest update operation's ref, or "".
func (m *Matcher) LatestRef(ctx context.Context, kind string) (string, error) {
	return m.opts.Store.LatestRef(ctx, kind)
}

// UpdateDiff returns what changed between two update operations.
func (m *Matcher) UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	return m.opts.Store.UpdateDiff(ctx, prev, cur)
}

// DeleteUpdateOperations deletes update operations and reloads the Index.
func (m *Matcher) DeleteUpdateOperations(ctx context.Context, refs ...string) (int, error) {
	n, err := m.opts.Store.DeleteUpdateOperations(ctx, refs...)
	if err != nil {
		return n, err
	}
	return n, m.Reload(ctx)
}
