package indexer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/lru"
	"github.com/loupe-dev/loupe/layer"
	"github.com/loupe-dev/loupe/store"
)

// Options configure an Indexer.
type Options struct {
	// Scanners run on every layer, in this order.
	Scanners []Scanner
	// Store keeps findings and reports. Required.
	Store Store
	// Client fetches layers; nil means http.DefaultClient.
	Client *http.Client
	// LayerScanConcurrency bounds the layers read at once for one
	// manifest; 0 means DefaultLayerScanConcurrency.
	LayerScanConcurrency int
	// Limits bound each pass over a layer.
	Limits layer.Limits
	// RecordKeys, when set, computes the keys a finished report is found
	// by when vulnerabilities change (see Manifests); KeysVersion names
	// the scheme, and changes the indexer state when it changes, so that
	// clients index their manifests again.
	RecordKeys  func(*loupe.IndexReport) []uint64
	KeysVersion string
	// Registerer, when set, receives the indexer's metrics (layers
	// fetched, scanned and reused, layer errors, index durations).
	Registerer prometheus.Registerer
}

// DefaultLayerScanConcurrency is Clair's default.
const DefaultLayerScanConcurrency = 10

// whiteoutID names the indexer's own record of a layer's deletions.
var whiteoutID = ScannerID{Name: "whiteout", Version: "1", Kind: "file"}

// Indexer indexes manifests.
type Indexer struct {
	opts     Options
	fetch    fetcher
	ids      []ScannerID // scanners then whiteoutID
	patterns *layer.Patterns
	state    string
	metrics  *metrics

	manifests singleflight.Group
	layers    singleflight.Group
	// reports caches decoded reports: the matcher asks for the same
	// report on every vulnerability report request. The age limit bounds
	// how long another process's re-index can go unseen.
	reports *lru.Cache[loupe.Digest, cachedReport]
}

type cachedReport struct {
	report *loupe.IndexReport
	state  string
}

// Cache sizes.
const (
	reportCacheSize = 512
	reportCacheTTL  = time.Minute
)

// New returns an Indexer.
func New(opts Options) (*Indexer, error) {
	if opts.Store == nil {
		return nil, errors.New("indexer: no store")
	}
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	if opts.LayerScanConcurrency <= 0 {
		opts.LayerScanConcurrency = DefaultLayerScanConcurrency
	}
	ix := &Indexer{
		opts: opts, fetch: fetcher{client: opts.Client}, patterns: layer.NewPatterns(),
		reports: lru.New[loupe.Digest, cachedReport](reportCacheSize, reportCacheTTL),
		metrics: newMetrics(),
	}
	if opts.Registerer != nil {
		if err := ix.metrics.register(opts.Registerer); err != nil {
			return nil, fmt.Errorf("indexer: metrics: %w", err)
		}
	}
	seen := map[ScannerID]bool{}
	for _, s := range opts.Scanners {
		id := IDOf(s)
		if seen[id] {
			return nil, fmt.Errorf("indexer: scanner %v listed twice", id)
		}
		seen[id] = true
		ix.ids = append(ix.ids, id)
		for _, p := range s.Patterns() {
			ix.patterns.Add(p)
		}
	}
	ix.ids = append(ix.ids, whiteoutID)
	ix.state = computeState(ix.ids, opts.KeysVersion)
	return ix, nil
}

// computeState is the opaque indexer state: it changes whenever a scanner
// is added, removed or changes version, which tells clients to index
// again.
func computeState(ids []ScannerID, keysVersion string) string {
	lines := make([]string, 0, len(ids)+1)
	for _, id := range ids {
		lines = append(lines, id.Name+"\x00"+id.Version+"\x00"+id.Kind)
	}
	if keysVersion != "" {
		lines = append(lines, "keys\x00"+keysVersion)
	}
	slices.Sort(lines)
	h := md5.New()
	h.Write([]byte("loupe indexer state 1\n"))
	for _, l := range lines {
		h.Write([]byte(l + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// State returns the indexer state.
func (ix *Indexer) State() string { return ix.state }

// ErrNotFound is returned for a manifest with no report.
var ErrNotFound = errors.New("index report not found")

// Report returns a manifest's stored report. Reports are shared: callers
// must not modify them.
func (ix *Indexer) Report(ctx context.Context, manifest loupe.Digest) (*loupe.IndexReport, error) {
	r, _, err := ix.stored(ctx, manifest)
	return r, err
}

// stored returns a manifest's report and the state it was built under,
// from the cache or the store.
func (ix *Indexer) stored(ctx context.Context, manifest loupe.Digest) (*loupe.IndexReport, string, error) {
	if c, ok := ix.reports.Get(manifest); ok {
		return c.report, c.state, nil
	}
	b, state, ok, err := ix.opts.Store.Report(ctx, manifest)
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("indexer: loading report: %w", err)
	case !ok:
		return nil, "", ErrNotFound
	}
	r, err := decodeReport(b)
	if err != nil {
		return nil, "", fmt.Errorf("indexer: decoding stored report of %s: %w", manifest, err)
	}
	ix.reports.Put(manifest, cachedReport{r, state})
	return r, state, nil
}

// Manifests returns the indexed manifests that have any of the record
// keys: the candidates a vulnerability change may affect.
func (ix *Indexer) Manifests(ctx context.Context, keys []uint64) ([]loupe.Digest, error) {
	return ix.opts.Store.Manifests(ctx, keys)
}

// Delete deletes manifests' reports and returns those that existed.
func (ix *Indexer) Delete(ctx context.Context, manifests ...loupe.Digest) ([]loupe.Digest, error) {
	for _, m := range manifests {
		ix.reports.Delete(m)
	}
	return ix.opts.Store.DeleteManifests(ctx, manifests)
}

// Index indexes a manifest and returns its report. When indexing fails
// the report (state IndexError) is stored and returned with the error.
func (ix *Indexer) Index(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if r, ok := ix.finished(ctx, m.Hash); ok {
		return r, nil
	}
	// Concurrent requests for one manifest share one run; the run is not
	// cancelled when only one of its requesters goes away.
	ch := ix.manifests.DoChan(m.Hash.String(), func() (any, error) {
		return ix.index(context.WithoutCancel(ctx), m)
	})
	select {
	case res := <-ch:
		r, _ := res.Val.(*loupe.IndexReport)
		return r, res.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// finished returns the stored report when it is finished under the
// current state.
func (ix *Indexer) finished(ctx context.Context, manifest loupe.Digest) (*loupe.IndexReport, bool) {
	r, state, err := ix.stored(ctx, manifest)
	if err != nil || state != ix.state || r.State != loupe.StateIndexFinished {
		return nil, false
	}
	return r, true
}

func (ix *Indexer) index(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
	start := time.Now()
	log := slog.With("manifest", m.Hash.String())
	log.DebugContext(ctx, "index start")
	results, err := ix.layerResults(ctx, m)
	var report *loupe.IndexReport
	if err != nil {
		report = &loupe.IndexReport{Hash: m.Hash, State: loupe.StateIndexError, Err: err.Error()}
	} else {
		report = coalesce(results)
		report.Hash = m.Hash
		report.State = loupe.StateIndexFinished
		report.Success = true
	}
	ix.reports.Delete(m.Hash)
	var keys []uint64
	if report.Success && ix.opts.RecordKeys != nil {
		keys = ix.opts.RecordKeys(report)
	}
	b, encErr := encodeReport(report)
	if encErr == nil {
		encErr = ix.opts.Store.PutReport(ctx, m, ix.state, report.Success, b, keys)
	}
	if encErr == nil {
		ix.reports.Put(m.Hash, cachedReport{report, ix.state})
	}
	if encErr != nil {
		encErr = fmt.Errorf("indexer: storing report: %w", encErr)
		if err == nil {
			ix.metrics.duration.WithLabelValues(outcomeFailed).Observe(time.Since(start).Seconds())
			return nil, encErr
		}
		log.ErrorContext(ctx, "storing failed index report", "reason", encErr)
	}
	if err != nil {
		ix.metrics.duration.WithLabelValues(outcomeFailed).Observe(time.Since(start).Seconds())
		log.InfoContext(ctx, "index failed", "reason", err, "duration", time.Since(start))
		return report, err
	}
	ix.metrics.duration.WithLabelValues(outcomeFinished).Observe(time.Since(start).Seconds())
	log.InfoContext(ctx, "index done", "packages", len(report.Packages), "layers", len(m.Layers), "duration", time.Since(start))
	return report, nil
}

// layerResults returns the findings of every layer of m, reading the
// layers that lack some.
func (ix *Indexer) layerResults(ctx context.Context, m *loupe.Manifest) ([]*layerResult, error) {
	digests := make([]loupe.Digest, 0, len(m.Layers))
	byDigest := make(map[loupe.Digest]*loupe.Layer, len(m.Layers))
	for _, l := range m.Layers {
		if _, dup := byDigest[l.Hash]; !dup {
			byDigest[l.Hash] = l
			digests = append(digests, l.Hash)
		}
	}
	stored, err := ix.opts.Store.Findings(ctx, digests, ix.ids)
	if err != nil {
		return nil, fmt.Errorf("loading layer findings: %w", err)
	}
	results := make(map[loupe.Digest]*layerResult, len(digests))
	var todo []loupe.Digest
	for _, d := range digests {
		r, complete, err := ix.decodeStored(d, stored[d])
		if err != nil {
			return nil, err
		}
		if complete {
			results[d] = r
			ix.metrics.reused.Inc()
			continue
		}
		todo = append(todo, d)
	}
	if len(todo) > 0 {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(ix.opts.LayerScanConcurrency)
		scanned := make([]*layerResult, len(todo))
		for i, d := range todo {
			g.Go(func() error {
				r, err := ix.scanLayer(gctx, byDigest[d])
				scanned[i] = r
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for i, d := range todo {
			results[d] = scanned[i]
		}
	}
	out := make([]*layerResult, len(m.Layers))
	for i, l := range m.Layers {
		out[i] = results[l.Hash]
	}
	return out, nil
}

// decodeStored turns stored findings into a layerResult; complete is
// false unless every scanner has findings stored.
func (ix *Indexer) decodeStored(d loupe.Digest, stored map[ScannerID][]byte) (*layerResult, bool, error) {
	if len(stored) != len(ix.ids) {
		return nil, false, nil
	}
	r := &layerResult{digest: d}
	for _, id := range ix.ids {
		b, ok := stored[id]
		if !ok {
			return nil, false, nil
		}
		if id == whiteoutID {
			lf, err := decodeLayerFiles(b)
			if err != nil {
				return nil, false, nil // re-scan rather than fail
			}
			r.files = lf
			continue
		}
		f, err := decodeFindings(b)
		if err != nil {
			return nil, false, nil
		}
		r.findings = append(r.findings, f)
	}
	return r, true, nil
}

// scanLayer reads one layer and stores its findings. Concurrent calls for
// one layer share one read.
func (ix *Indexer) scanLayer(ctx context.Context, l *loupe.Layer) (*layerResult, error) {
	ch := ix.layers.DoChan(l.Hash.String(), func() (any, error) {
		return ix.readLayer(context.WithoutCancel(ctx), l)
	})
	select {
	case res := <-ch:
		r, _ := res.Val.(*layerResult)
		return r, res.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (ix *Indexer) readLayer(ctx context.Context, l *loupe.Layer) (*layerResult, error) {
	// Indexers sharing the store read each layer once between them: the
	// first takes the layer's lease, the others wait and then find its
	// findings stored.
	unlock, err := store.Lock(ctx, ix.opts.Store, "layer:"+l.Hash.String())
	if err != nil {
		ix.metrics.layerErrors.WithLabelValues(stageStore).Inc()
		return nil, fmt.Errorf("layer %s: waiting for its lock: %w", l.Hash, err)
	}
	defer unlock()
	stored, err := ix.opts.Store.Findings(ctx, []loupe.Digest{l.Hash}, ix.ids)
	if err != nil {
		ix.metrics.layerErrors.WithLabelValues(stageStore).Inc()
		return nil, fmt.Errorf("layer %s: loading findings: %w", l.Hash, err)
	}
	if r, complete, _ := ix.decodeStored(l.Hash, stored[l.Hash]); complete {
		ix.metrics.reused.Inc()
		return r, nil
	}

	start := time.Now()
	log := slog.With("layer", l.Hash.String())
	body, ctype, err := ix.fetch.open(ctx, l)
	if err != nil {
		ix.metrics.layerErrors.WithLabelValues(stageFetch).Inc()
		return nil, err
	}
	ix.metrics.fetched.Inc()
	hr := newHashingReader(body, l.Hash.Hash())
	contents, err := layer.Read(ctx, hr, ix.patterns, ix.opts.Limits)
	body.Close()
	hr.Close()
	sum, n := hr.sum()
	ix.metrics.fetchedBytes.Add(float64(n))
	if err != nil {
		// Bytes that are no archive are the layer's fault; a read that
		// failed is the fetch's.
		stage := stageFetch
		if IsBadLayer(err) {
			stage = stageScan
		}
		ix.metrics.layerErrors.WithLabelValues(stage).Inc()
		return nil, fmt.Errorf("layer %s: %w", l.Hash, err)
	}
	if !l.Hash.Matches(sum) {
		ix.metrics.layerErrors.WithLabelValues(stageFetch).Inc()
		return nil, fmt.Errorf("layer %s: %w", l.Hash, ErrDigestMismatch)
	}
	if err := checkContentType(ctype, contents.Compression); err != nil {
		ix.metrics.layerErrors.WithLabelValues(stageScan).Inc()
		return nil, fmt.Errorf("layer %s: %w", l.Hash, err)
	}
	for _, s := range contents.Skipped {
		log.WarnContext(ctx, "layer file not read", "path", s.Name, "size", s.Size, "reason", s.Reason)
	}

	r := &layerResult{digest: l.Hash, files: &layerFiles{whiteouts: contents.Whiteouts, opaque: contents.Opaque}}
	enc := make(map[ScannerID][]byte, len(ix.ids))
	fsys := contents.FS()
	for _, s := range ix.opts.Scanners {
		f, err := s.Scan(ctx, fsys)
		if err != nil {
			ix.metrics.layerErrors.WithLabelValues(stageScan).Inc()
			return nil, fmt.Errorf("layer %s: scanner %s: %w", l.Hash, s.Name(), err)
		}
		if f == nil {
			f = &Findings{}
		}
		b, err := encodeFindings(f)
		if err != nil {
			ix.metrics.layerErrors.WithLabelValues(stageScan).Inc()
			return nil, fmt.Errorf("layer %s: encoding findings: %w", l.Hash, err)
		}
		enc[IDOf(s)] = b
		r.findings = append(r.findings, f)
	}
	b, err := encodeLayerFiles(r.files)
	if err != nil {
		ix.metrics.layerErrors.WithLabelValues(stageScan).Inc()
		return nil, fmt.Errorf("layer %s: encoding findings: %w", l.Hash, err)
	}
	enc[whiteoutID] = b
	if err := ix.opts.Store.PutFindings(ctx, l.Hash, enc); err != nil {
		ix.metrics.layerErrors.WithLabelValues(stageStore).Inc()
		return nil, fmt.Errorf("layer %s: storing findings: %w", l.Hash, err)
	}
	ix.metrics.scanned.Inc()
	log.DebugContext(ctx, "layer scanned",
		"compression", contents.Compression.String(), "entries", contents.Entries,
		"bytes", contents.Size, "kept", len(contents.Names()), "duration", time.Since(start))
	return r, nil
}

// IsBadLayer reports whether err is about a layer's own content (not an
// archive, a media type that disagrees with it) rather than a failure to
// fetch or store it. A digest mismatch is not: the registry may serve the
// right bytes on a retry.
func IsBadLayer(err error) bool {
	return errors.Is(err, layer.ErrFormat)
}
