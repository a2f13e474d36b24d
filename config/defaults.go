package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Defaults applied by Validate. Each is documented on the field it fills.
const (
	DefaultHTTPListenAddr       = ":6060"
	DefaultIntrospectionAddr    = ":8089"
	DefaultScanLockRetry        = 1 // seconds
	DefaultLayerScanConcurrency = 10
	DefaultMatcherPeriod        = 6 * time.Hour
	DefaultUpdateRetention      = 10
	DefaultPollInterval         = 6 * time.Hour
	DefaultDeliveryInterval     = 1 * time.Hour
	DefaultMetricsName          = "prometheus"
	DefaultPrometheusEndpoint   = "/metrics"
	DefaultOTLPHTTPEndpoint     = "localhost:4318"
	DefaultOTLPGRPCEndpoint     = "localhost:4317"
	DefaultOTLPTimeout          = 10 * time.Second
	DefaultTraceURLPath         = "/v1/traces"
	DefaultMetricsURLPath       = "/v1/metrics"

	// MinimumInterval is the shortest matcher period, poll interval or
	// delivery interval honoured; shorter ones are replaced by the default.
	MinimumInterval = time.Minute

	// indexRequestsPerCPU sizes index_report_request_concurrency when it is 0.
	indexRequestsPerCPU = 4
)

// DataDirectory returns the directory of the embedded databases: DataDir if
// set, else $XDG_DATA_HOME/loupe when XDG_DATA_HOME is an absolute path, else
// $HOME/.local/share/loupe. It does not create the directory.
func (c *Config) DataDirectory() (string, error) {
	if c.DataDir != "" {
		return c.DataDir, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "loupe"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	if home == "" || !filepath.IsAbs(home) {
		return "", errors.New("$HOME is not an absolute path")
	}
	return filepath.Join(home, ".local", "share", "loupe"), nil
}

// setDefaults fills in every default that applies in mode m. Where a value
// written in the file is replaced, it says so with a lint.
func setDefaults(c *Config, m Mode, r *report) {
	if c.HTTPListenAddr == "" {
		c.HTTPListenAddr = DefaultHTTPListenAddr
	}
	if c.IntrospectionAddr == "" {
		r.warn("$.introspection_addr", "introspection address not provided; using %q", DefaultIntrospectionAddr)
		c.IntrospectionAddr = DefaultIntrospectionAddr
	}
	if c.Matcher.DisableUpdaters {
		if len(c.Updaters.Sets) > 0 {
			r.warn("$.updaters.sets", "ignored because matcher.disable_updaters is set")
		}
		c.Updaters.Sets = []string{}
	}
	if m.runsIndexer() {
		indexerDefaults(&c.Indexer, r)
	}
	if m.runsMatcher() {
		matcherDefaults(&c.Matcher, r)
	}
	if notifierRuns(&c.Notifier, m) {
		notifierDefaults(&c.Notifier, r)
	}
	otlpDefaults(&c.Trace.OTLP, DefaultTraceURLPath)
	otlpDefaults(&c.Metrics.OTLP, DefaultMetricsURLPath)
	if c.Metrics.Name == "" {
		c.Metrics.Name = DefaultMetricsName
	}
	if c.Metrics.Name == "prometheus" && c.Metrics.Prometheus.Endpoint == nil {
		ep := DefaultPrometheusEndpoint
		c.Metrics.Prometheus.Endpoint = &ep
	}
	if needsDataDir(c, m) {
		dir, err := c.DataDirectory()
		if err != nil {
			r.fail("$.data_dir", "not set, and no default for the embedded database: %v", err)
		} else {
			c.DataDir = dir
		}
	}
}

func indexerDefaults(ix *Indexer, r *report) {
	const p = "$.indexer"
	if ix.ScanLockRetry < 0 {
		r.warn(p+".scanlock_retry", "negative value replaced by %d", DefaultScanLockRetry)
	}
	if ix.ScanLockRetry <= 0 {
		ix.ScanLockRetry = DefaultScanLockRetry
	}
	if ix.LayerScanConcurrency < 0 {
		r.warn(p+".layer_scan_concurrency", "negative value replaced by %d", DefaultLayerScanConcurrency)
	}
	if ix.LayerScanConcurrency <= 0 {
		ix.LayerScanConcurrency = DefaultLayerScanConcurrency
	}
	if ix.IndexReportRequestConcurrency == 0 {
		ix.IndexReportRequestConcurrency = runtime.GOMAXPROCS(0) * indexRequestsPerCPU
		r.warn(p+".index_report_request_concurrency", "automatically sizing number of concurrent requests to %d",
			ix.IndexReportRequestConcurrency)
	}
}

func matcherDefaults(mt *Matcher, r *report) {
	const p = "$.matcher"
	if mt.Period == 0 {
		mt.Period = Duration(DefaultMatcherPeriod)
	}
	// CacheAge follows the period as written, as Clair's does, before a too
	// short period is replaced below.
	if mt.CacheAge == 0 {
		mt.CacheAge = mt.Period
	}
	if mt.Period < Duration(MinimumInterval) {
		r.warn(p+".period", "%v is below the %v minimum; using %v", mt.Period, MinimumInterval, DefaultMatcherPeriod)
		mt.Period = Duration(DefaultMatcherPeriod)
	}
	switch {
	case mt.UpdateRetention < 0:
		mt.UpdateRetention = 0 // garbage collection off
	case mt.UpdateRetention < 2:
		mt.UpdateRetention = DefaultUpdateRetention
	}
}

// notifierRuns reports whether the notifier service runs in mode m: always in
// notifier mode, and in combo mode only when a delivery mechanism is set.
func notifierRuns(n *Notifier, m Mode) bool {
	return m == NotifierMode || m == ComboMode && n.Delivery() != ""
}

func notifierDefaults(n *Notifier, r *report) {
	const p = "$.notifier"
	n.PollInterval = interval(r, p+".poll_interval", n.PollInterval, DefaultPollInterval)
	n.DeliveryInterval = interval(r, p+".delivery_interval", n.DeliveryInterval, DefaultDeliveryInterval)
	if w := n.Webhook; w != nil {
		w.Callback = withSlash(r, p+".webhook.callback", w.Callback)
	}
	if a := n.AMQP; a != nil && !a.Direct {
		a.Callback = withSlash(r, p+".amqp.callback", a.Callback)
	}
	if s := n.STOMP; s != nil && !s.Direct {
		s.Callback = withSlash(r, p+".stomp.callback", s.Callback)
	}
}

// interval returns d, or def when d is below MinimumInterval.
func interval(r *report, path string, d Duration, def time.Duration) Duration {
	if d >= Duration(MinimumInterval) {
		return d
	}
	if d != 0 {
		r.warn(path, "%v is below the %v minimum; using %v", d, MinimumInterval, def)
	}
	return Duration(def)
}

// withSlash returns the callback URL u ending in "/", so that a notification
// ID can be appended to it.
func withSlash(r *report, path, u string) string {
	if len(u) > 0 && u[len(u)-1] == '/' {
		return u
	}
	r.warn(path, `URL should end in "/"; one was added`)
	return u + "/"
}

func otlpDefaults(o *OTLP, urlPath string) {
	if h := o.HTTP; h != nil {
		if h.Endpoint == "" {
			h.Endpoint = DefaultOTLPHTTPEndpoint
		}
		if h.URLPath == "" {
			h.URLPath = urlPath
		}
		if h.Timeout == nil {
			t := Duration(DefaultOTLPTimeout)
			h.Timeout = &t
		}
	}
	if g := o.GRPC; g != nil {
		if g.Endpoint == "" {
			g.Endpoint = DefaultOTLPGRPCEndpoint
		}
		if g.Timeout == nil {
			t := Duration(DefaultOTLPTimeout)
			g.Timeout = &t
		}
	}
}

// needsDataDir reports whether a service that runs in mode m uses the
// default embedded database file, which lives under the data directory.
func needsDataDir(c *Config, m Mode) bool {
	var used []string
	if m.runsIndexer() {
		used = append(used, c.Indexer.ConnString)
	}
	if m.runsMatcher() {
		used = append(used, c.Matcher.ConnString)
	}
	if notifierRuns(&c.Notifier, m) {
		used = append(used, c.Notifier.ConnString)
	}
	for _, s := range used {
		if path, ok := IsEmbedded(s); ok && path == "" {
			return true
		}
	}
	return false
}
