package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
	"github.com/loupe-dev/loupe/client"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/ecosystem/all"
	"github.com/loupe-dev/loupe/ecosystem/rhel"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/stall"
	"github.com/loupe-dev/loupe/internal/telemetry"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/notifier"
	"github.com/loupe-dev/loupe/store/postgres"
	"github.com/loupe-dev/loupe/store/sqlite"
	"github.com/loupe-dev/loupe/updater"
)

// Options are what Run needs besides its context.
type Options struct {
	// Config must have passed config.Validate for Mode.
	Config *config.Config
	Mode   config.Mode
	// Listener, when set, serves the API instead of a listener on
	// Config.HTTPListenAddr; likewise IntrospectionListener.
	Listener              net.Listener
	IntrospectionListener net.Listener
	// Ready is called once the API is serving.
	Ready func(apiAddr net.Addr)
	// ReloadInterval is how often a matcher checks its database for data
	// another process landed; 0 means DefaultReloadInterval.
	ReloadInterval time.Duration
	// NotifierPollInterval and NotifierRetryMin, when set, override the
	// notifier's poll interval (config: at least a minute) and first
	// retry delay: for tests.
	NotifierPollInterval, NotifierRetryMin time.Duration
	// UpdaterPeriod, when set, overrides matcher.period (config: at least
	// a minute): for tests.
	UpdaterPeriod time.Duration
	// ShutdownGrace is how long requests in flight get to finish once ctx
	// ends; 0 means DefaultShutdownGrace.
	ShutdownGrace time.Duration
}

func (o *Options) shutdownGrace() time.Duration { return cmp.Or(o.ShutdownGrace, DefaultShutdownGrace) }

// DefaultShutdownGrace is how long requests in flight get to finish once
// shutdown starts: within Kubernetes' default termination grace period
// of 30 seconds.
const DefaultShutdownGrace = 25 * time.Second

// DefaultReloadInterval is how often a matcher checks the store for data
// that another process landed.
const DefaultReloadInterval = 15 * time.Second

// Run runs Loupe in opts.Mode until ctx ends.
func Run(ctx context.Context, opts Options) error {
	n := &node{cfg: opts.Config, opts: opts, client: httpClient(), registry: prometheus.NewRegistry()}
	defer n.close()
	n.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	stopTracing, err := telemetry.Setup(ctx, n.cfg, "loupe-"+opts.Mode.String())
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopTracing(sctx)
	}()
	// Introspection first: /healthz answers while the databases migrate
	// and the vulnerability index loads, /readyz says 503 until then.
	if isrv, iln, err := introspection(n.cfg, opts.IntrospectionListener, &n.ready, n.registry); err != nil {
		slog.WarnContext(ctx, "introspection server not started", "reason", err)
	} else {
		go func() {
			if err := isrv.Serve(iln); !errors.Is(err, http.ErrServerClosed) {
				slog.WarnContext(ctx, "introspection server stopped", "reason", err)
			}
		}()
		defer isrv.Close() // after the API has drained
	}
	g, ctx := errgroup.WithContext(ctx)
	n.g = g
	if err := n.build(ctx); err != nil {
		return err
	}
	return n.serve(ctx)
}

// node is one Loupe process being assembled: its services, routes,
// background work and what to close when it stops.
type node struct {
	cfg      *config.Config
	opts     Options
	g        *errgroup.Group
	client   *http.Client // layers and feeds
	registry *prometheus.Registry
	ready    atomic.Bool // serving, and not shutting down
	routes   api.Routes
	closers  []func() error
}

func (n *node) close() {
	for _, c := range slices.Backward(n.closers) {
		c()
	}
}

// build builds the services of the node's mode.
func (n *node) build(ctx context.Context) error {
	cfg := n.cfg
	switch n.opts.Mode {
	case config.ComboMode:
		ix, err := n.indexer(ctx)
		if err != nil {
			return err
		}
		local := localIndexer{ix, all.Matchers()}
		var nt *notifier.Notifier
		m, err := n.matcher(ctx, local, func(ctx context.Context) {
			if nt != nil {
				// In one process, notify as soon as data lands.
				if err := nt.Poll(ctx); err != nil {
					slog.WarnContext(ctx, "notifier poll failed; will retry", "reason", err)
				}
			}
		})
		if err != nil {
			return err
		}
		if cfg.Notifier.Delivery() == "" {
			slog.InfoContext(ctx, "notifier disabled: no delivery configured (notifier.webhook, amqp or stomp)")
			return nil
		}
		nt, err = n.notifier(ctx, m, local)
		return err

	case config.IndexerMode:
		_, err := n.indexer(ctx)
		return err

	case config.MatcherMode:
		o := n.clientOptions()
		o.ReportCache = remoteReportCache
		reports, err := client.NewIndexer(cfg.Matcher.IndexerAddr, o)
		if err != nil {
			return fmt.Errorf("matcher: indexer_addr: %w", err)
		}
		_, err = n.matcher(ctx, reports, nil)
		return err

	case config.NotifierMode:
		m, err := client.NewMatcher(cfg.Notifier.MatcherAddr, n.clientOptions())
		if err != nil {
			return fmt.Errorf("notifier: matcher_addr: %w", err)
		}
		ix, err := client.NewIndexer(cfg.Notifier.IndexerAddr, n.clientOptions())
		if err != nil {
			return fmt.Errorf("notifier: indexer_addr: %w", err)
		}
		_, err = n.notifier(ctx, m, ix)
		return err
	}
	return fmt.Errorf("unknown mode %v", n.opts.Mode)
}

// remoteReportCache is how many index reports a matcher keeps from a
// remote indexer, revalidated on every use: about as many as the indexer
// keeps decoded.
const remoteReportCache = 512

// clientOptions configure the clients of the other services: signed with
// the PSK when there is one.
func (n *node) clientOptions() client.Options {
	o := client.Options{HTTP: serviceClient(), UserAgent: userAgent}
	if psk := n.cfg.Auth.PSK; psk != nil {
		o.PSK = psk.Secret()
	}
	return o
}

// indexer builds the indexer and its routes.
func (n *node) indexer(ctx context.Context) (*indexer.Indexer, error) {
	cfg := n.cfg
	store, where, err := openIndexerStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("indexer: %w", err)
	}
	n.closers = append(n.closers, store.Close)
	n.registry.MustRegister(store.Collector())
	rules := all.Matchers()
	ix, err := indexer.New(indexer.Options{
		Scanners:             all.Scanners(),
		Store:                store,
		Client:               n.client,
		LayerScanConcurrency: cfg.Indexer.LayerScanConcurrency,
		RecordKeys:           func(ir *loupe.IndexReport) []uint64 { return matcher.RecordKeys(rules, ir) },
		KeysVersion:          rulesVersion(rules),
		Registerer:           n.registry,
	})
	if err != nil {
		return nil, err
	}
	n.routes.Indexer = api.IndexerHandler(localIndexer{ix, rules}, api.IndexerOptions{
		IsBadLayer:  indexer.IsBadLayer,
		IsNotFound:  isNotFound,
		Concurrency: cfg.Indexer.IndexReportRequestConcurrency,
	})
	slog.InfoContext(ctx, "indexer ready", "database", where, "state", ix.State())
	return ix, nil
}

// matcher builds the matcher, its routes, its updaters and its reloads.
// reports gives it index reports; landed, when set, runs after the
// matcher has loaded data an updater landed.
func (n *node) matcher(ctx context.Context, reports api.ReportGetter, landed func(context.Context)) (*matcher.Matcher, error) {
	cfg, opts := n.cfg, n.opts
	store, where, err := openMatcherStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("matcher: %w", err)
	}
	n.closers = append(n.closers, store.Close)
	n.registry.MustRegister(store.Collector())
	rules, err := n.matcherRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("matcher: %w", err)
	}
	m, err := matcher.New(ctx, matcher.Options{Store: store, Rules: rules, Registerer: n.registry})
	if err != nil {
		return nil, err
	}
	n.routes.Matcher = api.MatcherHandler(m, reports, api.MatcherOptions{
		IsNotFound: isNotFound,
		CacheAge:   time.Duration(cfg.Matcher.CacheAge),
	})
	sets := selectSets(cfg)
	mgr, err := updater.NewManager(updater.Options{
		Store:      store,
		Sets:       sets,
		Config:     cfg.Updaters.Config,
		Client:     n.client,
		Period:     cmp.Or(opts.UpdaterPeriod, time.Duration(cfg.Matcher.Period)),
		Retention:  cfg.Matcher.UpdateRetention,
		Registerer: n.registry,
		Landed: func(ctx context.Context, _ []*loupe.UpdateOperation) {
			if err := m.Reload(ctx); err != nil {
				slog.ErrorContext(ctx, "reloading vulnerability index", "reason", err)
			}
			if landed != nil {
				landed(ctx)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	if len(sets) > 0 {
		n.g.Go(func() error { mgr.Run(ctx); return nil })
	}
	n.g.Go(func() error {
		t := time.NewTicker(cmp.Or(opts.ReloadInterval, DefaultReloadInterval))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if err := m.ReloadIfChanged(ctx); err != nil && ctx.Err() == nil {
					slog.WarnContext(ctx, "checking for new vulnerability data", "reason", err)
				}
			}
		}
	})
	slog.InfoContext(ctx, "matcher ready", "database", where, "updater_sets", setNames(sets))
	return m, nil
}

// notifier builds the notifier, its routes and its background work.
func (n *node) notifier(ctx context.Context, m notifier.Matcher, ix notifier.Indexer) (*notifier.Notifier, error) {
	nt, closeN, err := newNotifier(ctx, n.cfg, n.opts, m, ix, n.client, n.registry)
	if err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	n.closers = append(n.closers, closeN)
	n.routes.Notifier = api.NotifierHandler(nt, api.NotifierOptions{IsNotFound: func(err error) bool { return errors.Is(err, notifier.ErrUnknownSet) }})
	n.g.Go(func() error { nt.Run(ctx); return nil })
	return nt, nil
}

// serve serves the API and introspection until ctx ends.
func (n *node) serve(ctx context.Context) error {
	cfg, opts, g := n.cfg, n.opts, n.g
	if psk := cfg.Auth.PSK; psk != nil {
		n.routes.Auth = &api.PSK{Key: psk.Secret(), Issuers: psk.Issuers}
	}
	n.routes.Registerer = n.registry
	srv := &http.Server{
		Handler: telemetry.Handler(api.Handler(n.routes)),
		// Requests outlive ctx: a shutdown lets them finish.
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ReadHeaderTimeout: 30 * time.Second,
		// Request bodies are small (the API limits them); a client gets
		// this long to send one. No write timeout: indexing a large image
		// takes minutes before the answer starts.
		ReadTimeout:    2 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 1 << 20,
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.HTTPListenAddr); err != nil {
			return fmt.Errorf("api listener: %w", err)
		}
	}
	if cfg.TLS != nil && cfg.TLS.Cert != "" {
		certs, err := newCertReloader(cfg.TLS.Cert, cfg.TLS.Key)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate, NextProtos: []string{"h2", "http/1.1"}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	g.Go(func() error {
		slog.InfoContext(ctx, "api listening", "addr", ln.Addr().String(), "mode", opts.Mode.String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("api server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		// Not ready any more, so that balancers stop sending requests;
		// those in flight (an index request may take minutes) get the
		// grace period to finish, and the introspection server answers
		// until they have.
		n.ready.Store(false)
		slog.InfoContext(ctx, "shutting down: finishing requests in flight", "grace", opts.shutdownGrace())
		sctx, cancel := context.WithTimeout(context.Background(), opts.shutdownGrace())
		defer cancel()
		err := srv.Shutdown(sctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("requests still in flight after %v: %w", opts.shutdownGrace(), err)
		}
		return err
	})

	n.ready.Store(true)
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}
	return g.Wait()
}

// rulesVersion names the record-key scheme of the matchers in use: the
// indexer state changes with it, so that manifests are indexed again
// when a matcher is added.
func rulesVersion(rules []matcher.Rules) string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.Name()
	}
	slices.Sort(names)
	return "1:" + strings.Join(names, ",")
}

func isNotFound(err error) bool {
	return errors.Is(err, indexer.ErrNotFound) || errors.Is(err, api.ErrNotFound) || errors.Is(err, client.ErrNotFound)
}

// embeddedPath returns the SQLite file of an embedded connstring.
func embeddedPath(cfg *config.Config, path, file string) (string, error) {
	if path != "" {
		return path, nil
	}
	dir, err := cfg.DataDirectory()
	if err != nil {
		return "", fmt.Errorf("locating data_dir: %w", err)
	}
	return filepath.Join(dir, file), nil
}

type indexerStore interface {
	indexer.Store
	Collector() prometheus.Collector
	Close() error
}

// openIndexerStore opens the indexer's database: embedded or PostgreSQL,
// as its connstring says. where describes it for the logs.
func openIndexerStore(ctx context.Context, cfg *config.Config) (s indexerStore, where string, err error) {
	if path, ok := config.IsEmbedded(cfg.Indexer.ConnString); ok {
		if path, err = embeddedPath(cfg, path, "indexer.db"); err != nil {
			return nil, "", err
		}
		s, err := sqlite.OpenIndexer(ctx, path)
		return s, path, err
	}
	s, err = postgres.OpenIndexer(ctx, cfg.Indexer.ConnString, cfg.Indexer.Migrations)
	return s, "postgresql", err
}

type matcherStore interface {
	matcher.Store
	updater.Store
	Collector() prometheus.Collector
	Close() error
}

// openMatcherStore opens the matcher's database, as openIndexerStore.
func openMatcherStore(ctx context.Context, cfg *config.Config) (s matcherStore, where string, err error) {
	if path, ok := config.IsEmbedded(cfg.Matcher.ConnString); ok {
		if path, err = embeddedPath(cfg, path, "matcher.db"); err != nil {
			return nil, "", err
		}
		s, err := sqlite.OpenMatcher(ctx, path)
		return s, path, err
	}
	s, err = postgres.OpenMatcher(ctx, cfg.Matcher.ConnString, cfg.Matcher.Migrations)
	return s, "postgresql", err
}

// matcherRules returns the matchers matchers.names selects, the rhel
// matcher with Red Hat's repository-to-CPE mapping as Clair's
// indexer.scanner.repo.rhel-repository-scanner keys describe it, kept
// fresh in the background. Red Hat's own copy is the default when this
// process updates Red Hat's data.
func (n *node) matcherRules(ctx context.Context) ([]matcher.Rules, error) {
	rules := selectMatchers(n.cfg.Matchers.Names)
	updatesRHEL := slices.ContainsFunc(selectSets(n.cfg), func(s updater.Set) bool { return s.Name == rhel.UpdaterName })
	for i, r := range rules {
		rm, ok := r.(rhel.Matcher)
		if !ok {
			continue
		}
		var rc rhel.RepositoryScannerConfig
		if raw := n.cfg.Indexer.Scanner.Repo[rhel.RepositoryScannerName]; len(raw) > 0 {
			if err := json.Unmarshal(raw, &rc); err != nil {
				return nil, fmt.Errorf("indexer.scanner.repo.%s: %w", rhel.RepositoryScannerName, err)
			}
		}
		mapping, url, err := rhel.OpenRepo2CPE(rc, updatesRHEL)
		if err != nil {
			return nil, err
		}
		if url != "" {
			n.g.Go(func() error { mapping.Run(ctx, n.client, url, 0); return nil })
		}
		rm.Repo2CPE = mapping
		rules[i] = rm
	}
	return rules, nil
}

// selectMatchers applies matchers.names: nil means all.
func selectMatchers(names []string) []matcher.Rules {
	rules := all.Matchers()
	if names == nil {
		return rules
	}
	var out []matcher.Rules
	for _, r := range rules {
		if slices.Contains(names, r.Name()) {
			out = append(out, r)
		}
	}
	return out
}

// selectSets applies updaters.sets (nil means all) and
// matcher.disable_updaters.
func selectSets(cfg *config.Config) []updater.Set {
	if cfg.Matcher.DisableUpdaters {
		return nil
	}
	sets := all.UpdaterSets()
	if cfg.Updaters.Sets == nil {
		return sets
	}
	var out []updater.Set
	for _, s := range sets {
		if slices.Contains(cfg.Updaters.Sets, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

func setNames(sets []updater.Set) []string {
	var names []string
	for _, s := range sets {
		names = append(names, s.Name)
	}
	return names
}

// serviceClient is the client for the other services: bounded waits,
// connections kept for the steady traffic between them.
func serviceClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 5 * time.Minute // affected_manifest over a large fleet
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: telemetry.Transport(t)}
}

// StallTimeout bounds how long a layer or feed download may go without
// receiving a byte before it fails (see package stall).
const StallTimeout = 2 * time.Minute

// httpClient is the client for layers and feeds: proxies from the
// environment, no overall timeout (layers are large), bounded waits for
// connections and headers, and for each byte of a body (StallTimeout), so
// that a server that stops sending cannot hold an index request or an
// updater run for ever.
func httpClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: telemetry.Transport(stall.Transport(t, StallTimeout))}
}

// introspection builds the introspection server: /healthz, /readyz,
// Prometheus metrics and pprof.
func introspection(cfg *config.Config, ln net.Listener, ready *atomic.Bool, registry *prometheus.Registry) (*http.Server, net.Listener, error) {
	mux := http.NewServeMux()
	if ep := cfg.Metrics.Prometheus.Endpoint; cfg.Metrics.Name == "prometheus" && ep != nil {
		mux.Handle(*ep, promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Length", "0")
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.IntrospectionAddr); err != nil {
			return nil, nil, err
		}
	}
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln, nil
}
