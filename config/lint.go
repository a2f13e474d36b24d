package config

import (
	"net"
	"strings"
	"time"
)

// Lint is a warning about a configuration that is valid but probably not what
// was meant: a deprecated or ignored key, a risky value, a default applied in
// place of a value from the file.
type Lint struct {
	// Path is the JSON path of the key, e.g. "$.matcher.period".
	Path string
	// Message says what is wrong and, where possible, what was done about it.
	Message string
}

// String renders the lint as "<message> (at <path>)".
func (l Lint) String() string { return l.Message + " (at " + l.Path + ")" }

// lintConfig reports advisory problems in a defaulted and validated Config.
func lintConfig(c *Config, m Mode, r *report) {
	if _, _, err := net.SplitHostPort(c.IntrospectionAddr); err != nil {
		r.warn("$.introspection_addr", "the introspection server will not start: %v", err)
	}
	lintTLS(r, "$.tls", c.TLS)
	if m.runsIndexer() {
		lintIndexer(&c.Indexer, r)
	}
	if m.runsMatcher() {
		lintMatcher(&c.Matcher, r)
	}
	if m.runsNotifier() {
		lintNotifier(&c.Notifier, m, r)
	}
	if c.Updaters.Filter != "" {
		r.warn("$.updaters.filter", "ignored: choose updaters with updaters.sets")
	}
	lintTrace(&c.Trace, r)
	lintMetrics(&c.Metrics, r)
}

func lintTLS(r *report, path string, t *TLS) {
	if t != nil && t.RootCA != "" {
		r.warn(path+".root_ca", `deprecated and ignored here: add trusted CAs with the "SSL_CERT_FILE" or "SSL_CERT_DIR" environment variables`)
	}
}

func lintIndexer(ix *Indexer, r *report) {
	const p = "$.indexer"
	lintConnString(r, p+".connstring", ix.ConnString)
	if ix.ScanLockRetry > 10 {
		r.warn(p+".scanlock_retry", "large values will increase latency")
	}
	switch n := ix.LayerScanConcurrency; {
	case n < 4:
		r.warn(p+".layer_scan_concurrency", "small values will limit resource utilization and increase latency")
	case n > 32:
		r.warn(p+".layer_scan_concurrency", "large values may exceed resource quotas")
	}
}

func lintMatcher(mt *Matcher, r *report) {
	const p = "$.matcher"
	lintConnString(r, p+".connstring", mt.ConnString)
	if mt.Period < Duration(DefaultMatcherPeriod) {
		r.warn(p+".period", "updater period is very aggressive: most sources are updated daily")
	}
	if mt.CacheAge < mt.Period/2 {
		r.warn(p+".cache_age", "expiry very low: may result in increased workload")
	}
	if mt.UpdateRetention == 0 {
		r.warn(p+".update_retention", "update garbage collection is off")
	}
	if mt.MaxConnPool != 0 {
		r.warn(p+".max_conn_pool", "deprecated and ignored: set pool_max_conns in the connection string")
	}
}

func lintNotifier(n *Notifier, m Mode, r *report) {
	const p = "$.notifier"
	runs := notifierRuns(n, m)
	if runs {
		lintConnString(r, p+".connstring", n.ConnString)
	}
	count := 0
	for _, set := range []bool{n.Webhook != nil, n.AMQP != nil, n.STOMP != nil} {
		if set {
			count++
		}
	}
	switch {
	case count == 0 && m == ComboMode && *n != (Notifier{}):
		r.warn(p, "no delivery mechanism specified: the notifier will not run")
	case count > 1:
		r.warn(p, "multiple delivery mechanisms specified: only %s is used", n.Delivery())
	}
	if !runs {
		return
	}
	if n.PollInterval < Duration(DefaultPollInterval) {
		r.warn(p+".poll_interval", "interval is very fast: may result in increased workload")
	}
	if n.DeliveryInterval < Duration(DefaultDeliveryInterval) {
		r.warn(p+".delivery_interval", "interval is very fast: may result in increased workload")
	}
	if n.DisableSummary {
		r.warn(p+".disable_summary", "disabling notification summary significantly increases memory consumption")
	}
	if w := n.Webhook; w != nil && w.Signed {
		r.warn(p+".webhook.signed", "deprecated and ignored: webhooks are signed whenever auth.psk is set")
	}
	if a := n.AMQP; a != nil {
		r.warn(p+".amqp", "AMQP delivery is deprecated: deliver by webhook to a bridge instead")
		lintBroker(r, p+".amqp", a.Direct, a.Callback, a.Rollup)
		lintTLS(r, p+".amqp.tls", a.TLS)
	}
	if s := n.STOMP; s != nil {
		r.warn(p+".stomp", "STOMP delivery is deprecated: deliver by webhook to a bridge instead")
		lintBroker(r, p+".stomp", s.Direct, s.Callback, s.Rollup)
		lintTLS(r, p+".stomp.tls", s.TLS)
	}
}

func lintBroker(r *report, p string, direct bool, callback string, rollup int) {
	if rollup == 1 {
		r.warn(p+".rollup", "rollup of 1 is the same as no rollup")
	}
	if direct && callback != "" {
		r.warn(p+".callback", "ignored in direct mode")
	}
}

func lintTrace(t *Trace, r *report) {
	const p = "$.trace"
	switch t.Name {
	case "", "otlp", "stdout":
	case "jaeger":
		r.warn(p+".name", `trace provider "jaeger" is deprecated; migrate to "otlp"`)
	case "sentry":
		r.warn(p+".name", `trace provider "sentry" exports nothing`)
	default:
		r.warn(p+".name", "unrecognized trace provider %q: nothing is traced", t.Name)
	}
	if !isZero(t.Jaeger) {
		r.warn(p+".jaeger", `deprecated: migrate to "otlp"`)
	}
	if pr := t.Probability; pr != nil && (*pr < 0 || *pr > 1) {
		r.warn(p+".probability", "%v is outside 0 to 1", *pr)
	}
	lintOTLP(r, p+".otlp", &t.OTLP)
}

func lintMetrics(mt *Metrics, r *report) {
	const p = "$.metrics"
	switch mt.Name {
	case "prometheus", "stdout":
	case "otlp":
		r.warn(p+".name", `metrics via "otlp" are in beta`)
	default:
		r.warn(p+".name", "unrecognized metrics provider %q: no metrics are exported", mt.Name)
	}
	if ep := mt.Prometheus.Endpoint; ep != nil && !strings.HasPrefix(*ep, "/") {
		r.warn(p+".prometheus.endpoint", "%q is not an absolute URL path", *ep)
	}
	lintOTLP(r, p+".otlp", &mt.OTLP)
}

func lintOTLP(r *report, p string, o *OTLP) {
	if o.HTTP != nil && o.GRPC != nil {
		r.warn(p, `both "http" and "grpc" are configured, which may submit everything twice`)
	}
	if h := o.HTTP; h != nil {
		lintTimeout(r, p+".http.timeout", h.Timeout)
		lintTLS(r, p+".http.client_tls", h.ClientTLS)
	}
	if g := o.GRPC; g != nil {
		lintTimeout(r, p+".grpc.timeout", g.Timeout)
		lintTLS(r, p+".grpc.client_tls", g.ClientTLS)
	}
}

func lintTimeout(r *report, path string, d *Duration) {
	if d != nil && *d <= 0 {
		r.warn(path, "timeout of %v is almost certainly wrong", time.Duration(*d))
	}
}
