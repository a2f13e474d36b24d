package config

import (
	"encoding/json"
	"net/http"
)

// Config is the whole configuration file. Its JSON keys are Clair v4's, plus
// the Loupe extension data_dir.
//
// A Config comes from Load or Decode and must then go through Validate, which
// fills in the defaults documented on each field. Comments describe the
// values after Validate unless they say otherwise.
//
// Two lists distinguish "absent" from "empty": Updaters.Sets and
// Matchers.Names are nil when the key is absent or null (use the defaults) and
// non-nil but empty when the file says [] (use none). Keep that distinction
// when building a Config in code.
type Config struct {
	// HTTPListenAddr is the host:port the API server (indexer, matcher and
	// notifier routes) listens on. An empty host means every interface.
	// Default ":6060".
	HTTPListenAddr string `json:"http_listen_addr,omitempty"`
	// IntrospectionAddr is the host:port of the second listener that serves
	// /metrics, /healthz, /readyz and pprof, without authentication or TLS.
	// Default ":8089".
	IntrospectionAddr string `json:"introspection_addr,omitempty"`
	// LogLevel sets the process log verbosity. Absent means info; an explicit
	// empty string is refused when the file is decoded.
	LogLevel LogLevel `json:"log_level,omitempty"`
	// TLS, when present, makes the API listener serve HTTPS with the given
	// certificate and key. Absent means plain HTTP. It is not used for
	// outgoing connections.
	TLS *TLS `json:"tls,omitempty"`
	// Indexer configures the indexer service (combo and indexer modes).
	Indexer Indexer `json:"indexer,omitzero"`
	// Matcher configures the matcher service (combo and matcher modes).
	Matcher Matcher `json:"matcher,omitzero"`
	// Matchers selects and configures the individual matchers.
	Matchers Matchers `json:"matchers,omitzero"`
	// Updaters selects and configures the vulnerability-data updaters the
	// matcher runs.
	Updaters Updaters `json:"updaters,omitzero"`
	// Notifier configures the notifier service (combo and notifier modes).
	Notifier Notifier `json:"notifier,omitzero"`
	// Auth configures authentication of API requests and signing of the
	// requests this process makes to its peers.
	Auth Auth `json:"auth,omitzero"`
	// Trace configures distributed tracing.
	Trace Trace `json:"trace,omitzero"`
	// Metrics configures metrics export.
	Metrics Metrics `json:"metrics,omitzero"`

	// DataDir is the directory that holds the embedded (SQLite) databases,
	// used by every service whose connstring is empty or a sqlite: URL.
	// Loupe extension; Clair has no such key. Validate fills it in when an
	// embedded database is in use; see DataDirectory for the default.
	DataDir string `json:"data_dir,omitempty"`

	// notes are lints found while loading (integer durations, a .yml name,
	// case-folded keys). Validate returns them with its own lints.
	notes []Lint
}

// TLS names PEM files for a TLS endpoint. The same block is used for the API
// listener (server certificate), the AMQP and STOMP brokers (client
// certificate) and the OTLP exporters (client_tls).
type TLS struct {
	// RootCA is a PEM bundle added to the trusted roots for outgoing
	// connections. Deprecated: set SSL_CERT_FILE or SSL_CERT_DIR instead.
	// The API listener ignores it.
	RootCA string `json:"root_ca,omitempty"`
	// Cert is the PEM certificate chain, leaf first. Required together with
	// Key; the file must exist.
	Cert string `json:"cert,omitempty"`
	// Key is the unencrypted PEM private key for Cert. Required together with
	// Cert; the file must exist.
	Key string `json:"key,omitempty"`
}

// Indexer configures the indexer: the service that fetches image layers,
// runs scanners over them and stores index reports.
type Indexer struct {
	// ConnString locates the indexer database. Empty or "sqlite:PATH" selects
	// the embedded database (see IsEmbedded); anything else is a PostgreSQL
	// connection string, libpq key=value or a postgres:// URL. PostgreSQL
	// pool size is set with pool_max_conns= in the string.
	ConnString string `json:"connstring,omitempty"`
	// ScanLockRetry is how many seconds an indexer waits between attempts to
	// take the per-manifest lock another indexer holds. Default 1.
	ScanLockRetry int `json:"scanlock_retry,omitempty"`
	// LayerScanConcurrency is how many layers of one manifest are fetched and
	// scanned at once. Default 10.
	LayerScanConcurrency int `json:"layer_scan_concurrency,omitempty"`
	// IndexReportRequestConcurrency caps concurrent index requests (and
	// affected-manifest and bulk-delete requests); requests over the cap get
	// 429. Default GOMAXPROCS×4; a negative value means no cap.
	IndexReportRequestConcurrency int `json:"index_report_request_concurrency,omitempty"`
	// Migrations makes the indexer create or upgrade its database schema at
	// startup.
	Migrations bool `json:"migrations,omitempty"`
	// Airgap restricts the indexer's outgoing HTTP (layer fetches and
	// scanners that call out) to private, loopback and link-local
	// addresses. Database connections are not affected, and a proxy on a
	// private address defeats it.
	Airgap bool `json:"airgap,omitempty"`
	// Scanner holds per-scanner settings, decoded by the scanners themselves.
	Scanner ScannerConfig `json:"scanner,omitzero"`
}

// ScannerConfig holds free-form settings for scanners, keyed by scanner kind
// and then scanner name (for example package.java or
// repo.rhel-repository-scanner). Each value is handed to the named scanner,
// which decodes it into its own type and ignores keys it does not know.
type ScannerConfig struct {
	// Package configures package scanners, by name.
	Package map[string]json.RawMessage `json:"package,omitempty"`
	// Dist configures distribution scanners, by name.
	Dist map[string]json.RawMessage `json:"dist,omitempty"`
	// Repo configures repository scanners, by name.
	Repo map[string]json.RawMessage `json:"repo,omitempty"`
}

// Matcher configures the matcher: the service that runs updaters, stores
// vulnerability data and turns index reports into vulnerability reports.
type Matcher struct {
	// ConnString locates the matcher database; same forms as
	// Indexer.ConnString.
	ConnString string `json:"connstring,omitempty"`
	// IndexerAddr is the base URL of the indexer, used in matcher mode to
	// fetch index reports, e.g. "http://indexer:6060/". Required in matcher
	// mode, ignored in combo mode. Fixed API paths are resolved against it,
	// so any path it has is replaced.
	IndexerAddr string `json:"indexer_addr,omitempty"`
	// Period is the interval between updater runs. Default 6h; values under
	// one minute are replaced by 6h.
	Period Duration `json:"period,omitempty"`
	// UpdateRetention is how many update operations per updater are kept
	// when old vulnerability data is garbage-collected. Default 10; 0 or 1
	// in the file also mean 10, and a negative value turns collection off
	// (0 after Validate).
	UpdateRetention int `json:"update_retention"`
	// CacheAge is the max-age sent in Cache-Control on vulnerability
	// reports. Default: Period.
	CacheAge Duration `json:"cache_age,omitempty"`
	// MaxConnPool is ignored. Deprecated: set pool_max_conns in ConnString.
	MaxConnPool int `json:"max_conn_pool,omitempty"`
	// Migrations makes the matcher create or upgrade its database schema at
	// startup.
	Migrations bool `json:"migrations,omitempty"`
	// DisableUpdaters turns off all updaters, including the CVSS enrichment
	// feed, by forcing Updaters.Sets to empty. Use it when vulnerability
	// data is imported by other means.
	DisableUpdaters bool `json:"disable_updaters,omitempty"`
	// DisableEnrichment stops vulnerability reports from being enriched with
	// CVSS data.
	DisableEnrichment bool `json:"disable_enrichment,omitempty"`
}

// Matchers selects and configures the matchers.
type Matchers struct {
	// Names lists the matchers to run. Nil (absent or null) means every
	// built-in matcher; an empty list means none.
	Names []string `json:"names"`
	// Config holds free-form settings keyed by matcher or matcher-factory
	// name, decoded by the matcher itself.
	Config map[string]json.RawMessage `json:"config,omitempty"`
}

// Updaters selects and configures the updaters.
type Updaters struct {
	// Sets lists the updater sets to run. Nil (absent or null) means every
	// built-in set; an empty list means none. Unknown names are the
	// updater manager's concern, not the config's.
	Sets []string `json:"sets"`
	// Config holds free-form settings keyed by updater-set or updater name,
	// decoded by the updater itself.
	Config map[string]json.RawMessage `json:"config,omitempty"`
	// Filter is accepted and ignored, as in Clair.
	Filter string `json:"filter,omitempty"`
}

// Notifier configures the notifier: the service that turns vulnerability
// database updates into notifications about affected manifests and delivers
// them. Exactly one delivery mechanism is used, chosen by Delivery.
type Notifier struct {
	// ConnString locates the notifier database; same forms as
	// Indexer.ConnString.
	ConnString string `json:"connstring,omitempty"`
	// Migrations makes the notifier create or upgrade its database schema at
	// startup.
	Migrations bool `json:"migrations,omitempty"`
	// IndexerAddr is the base URL of the indexer, used to find affected
	// manifests. Required in notifier mode, ignored in combo mode.
	IndexerAddr string `json:"indexer_addr,omitempty"`
	// MatcherAddr is the base URL of the matcher, used to list update
	// operations and fetch their diffs. Required in notifier mode, ignored
	// in combo mode.
	MatcherAddr string `json:"matcher_addr,omitempty"`
	// PollInterval is how often the matcher is asked for new update
	// operations. Default 6h; values under one minute are replaced by 6h.
	PollInterval Duration `json:"poll_interval,omitempty"`
	// DeliveryInterval is how often pending and failed notifications are
	// (re)delivered. Default 1h; values under one minute are replaced by 1h.
	DeliveryInterval Duration `json:"delivery_interval,omitempty"`
	// DisableSummary makes the notifier emit one notification per affected
	// vulnerability instead of one per manifest summarising the most severe.
	// It uses much more memory.
	DisableSummary bool `json:"disable_summary,omitempty"`
	// NotifyFirstUpdate makes an updater's first update operation notify
	// subscribers, every vulnerability it brings counting as added. Off by
	// default: the first load of a feed is not news, and would notify
	// every indexed manifest. Loupe extension.
	NotifyFirstUpdate bool `json:"notify_first_update,omitempty"`
	// Webhook delivers notifications by HTTP POST.
	Webhook *Webhook `json:"webhook,omitempty"`
	// AMQP delivers notifications to an AMQP 0-9-1 broker. Deprecated in
	// Clair 4.9.0 in favour of a webhook-to-AMQP bridge.
	AMQP *AMQP `json:"amqp,omitempty"`
	// STOMP delivers notifications to a STOMP broker. Deprecated in Clair
	// 4.9.0.
	STOMP *STOMP `json:"stomp,omitempty"`
}

// Delivery reports the delivery mechanism the notifier uses: "webhook",
// "amqp", "stomp", in that order of precedence, or "" when none is set.
func (n *Notifier) Delivery() string {
	switch {
	case n.Webhook != nil:
		return "webhook"
	case n.AMQP != nil:
		return "amqp"
	case n.STOMP != nil:
		return "stomp"
	}
	return ""
}

// Webhook configures webhook delivery. Each notification batch is POSTed to
// Target as a JSON object carrying a callback URL where the notifications can
// be paged. When auth.psk is set the request carries a signed JWT.
type Webhook struct {
	// Target is the URL the POST goes to.
	Target string `json:"target,omitempty"`
	// Callback is the base URL put in the payload; the notification ID is
	// appended to it. Normally ".../notifier/api/v1/notification/". A
	// missing trailing "/" is added.
	Callback string `json:"callback,omitempty"`
	// Headers are added to every POST.
	Headers http.Header `json:"headers,omitempty"`
	// Signed is ignored. Deprecated: requests are signed whenever auth.psk
	// is set.
	Signed bool `json:"signed,omitempty"`
}

// AMQP configures delivery to an AMQP 0-9-1 broker such as RabbitMQ. The
// exchange must already exist: it is only declared passively.
type AMQP struct {
	// Exchange names the exchange messages are published to.
	Exchange Exchange `json:"exchange,omitzero"`
	// RoutingKey is the routing key of every message. Required.
	RoutingKey string `json:"routing_key,omitempty"`
	// URIs are broker URLs ("amqp://user:pass@host:5672/vhost",
	// "amqps://..."), tried in order until one connects. Required.
	URIs []string `json:"uris,omitempty"`
	// Callback is the base URL of the notification API sent in each message
	// when Direct is false. A missing trailing "/" is added.
	Callback string `json:"callback,omitempty"`
	// Direct publishes the notifications themselves rather than a callback
	// message.
	Direct bool `json:"direct,omitempty"`
	// Rollup is the most notifications put in one message in direct mode;
	// 0 and 1 both mean one.
	Rollup int `json:"rollup,omitempty"`
	// TLS is the client certificate for amqps:// connections. When present,
	// Cert and Key are both needed.
	TLS *TLS `json:"tls,omitempty"`
}

// Exchange identifies an AMQP exchange. Durability and AutoDelete must match
// the existing exchange, because they are used in the passive declare.
type Exchange struct {
	// Name is the exchange name; "" is the broker's default exchange, which
	// is not declared at all.
	Name string `json:"name,omitempty"`
	// Type is the exchange type: "direct", "fanout", "topic" or "headers".
	// Required.
	Type string `json:"type,omitempty"`
	// Durable says the exchange survives broker restarts.
	Durable bool `json:"durability,omitempty"`
	// AutoDelete says the exchange is deleted when its last binding goes.
	AutoDelete bool `json:"auto_delete,omitempty"`
}

// STOMP configures delivery to a STOMP broker.
type STOMP struct {
	// Destination is where messages are sent.
	Destination string `json:"destination,omitempty"`
	// URIs are broker addresses as host:port (not URLs), tried in order.
	// Required.
	URIs []string `json:"uris,omitempty"`
	// Callback is as for AMQP.
	Callback string `json:"callback,omitempty"`
	// Direct is as for AMQP.
	Direct bool `json:"direct,omitempty"`
	// Rollup is as for AMQP.
	Rollup int `json:"rollup,omitempty"`
	// TLS is as for AMQP.
	TLS *TLS `json:"tls,omitempty"`
	// Login holds broker credentials. (Clair never sends them.)
	Login *STOMPLogin `json:"user,omitempty"`
	// Host is the host header of the STOMP CONNECT frame: the virtual
	// host, for brokers that have them. RabbitMQ takes it as its virtual
	// host, so set "/" for its default one. Default: the host of the
	// broker's address, as Clair sends. Loupe extension.
	Host string `json:"host,omitempty"`
}

// STOMPLogin holds STOMP broker credentials.
type STOMPLogin struct {
	// Login is the user name.
	Login string `json:"login,omitempty"`
	// Passcode is the password.
	Passcode string `json:"passcode,omitempty"`
}

// Auth configures authentication. Each method is a pointer so that "absent"
// and "present but wrong" differ.
type Auth struct {
	// PSK turns on pre-shared-key JWT authentication for every API route,
	// and signing of requests to peers and webhooks.
	PSK *PSK `json:"psk,omitempty"`
	// Keyserver is refused: Quay keyserver support was removed. It is kept
	// only so that such configs fail with a clear error.
	Keyserver *Keyserver `json:"keyserver,omitempty"`
}

// PSK is pre-shared-key authentication: incoming requests must carry an
// HMAC-signed JWT (HS256, HS384 or HS512) made with the key, whose iss claim is
// "clair-intraservice" or one of Issuers.
type PSK struct {
	// Key is the shared HMAC key, standard padded base64. Required.
	Key string `json:"key,omitempty"`
	// Issuers lists the accepted iss claims besides "clair-intraservice",
	// e.g. ["quay", "clairctl"]. Required and non-empty.
	Issuers []string `json:"iss,omitempty"`

	secret []byte // Key decoded by Validate
}

// Secret returns the decoded Key. It is nil until Validate has succeeded.
func (p *PSK) Secret() []byte { return p.secret }

// Keyserver is the removed Quay keyserver authentication method. Any
// keyserver block makes Validate fail.
type Keyserver struct {
	// API was the keyserver URL.
	API string `json:"api,omitempty"`
	// Intraservice was a base64 key for intra-service requests.
	Intraservice string `json:"intraservice,omitempty"`
}

// Trace configures distributed tracing (OpenTelemetry).
type Trace struct {
	// Name selects the exporter: "otlp", "jaeger" (deprecated), "sentry"
	// (accepted, exports nothing), "stdout", or "" for none.
	Name string `json:"name,omitempty"`
	// Probability is the fraction of root spans sampled, 0 to 1, honouring
	// the parent's decision. Unset means sample only when the parent is
	// sampled. Debug log levels sample everything regardless.
	Probability *float64 `json:"probability,omitempty"`
	// Jaeger configures the Jaeger exporter. Deprecated: use OTLP.
	Jaeger Jaeger `json:"jaeger,omitzero"`
	// OTLP configures the OTLP exporter.
	OTLP OTLP `json:"otlp,omitzero"`
	// Sentry configures Sentry.
	Sentry Sentry `json:"sentry,omitzero"`
}

// Jaeger configures the deprecated Jaeger exporter, which sends to an agent
// unless a collector endpoint is given.
type Jaeger struct {
	// Agent is the UDP agent.
	Agent JaegerAgent `json:"agent,omitzero"`
	// Collector is the HTTP collector.
	Collector JaegerCollector `json:"collector,omitzero"`
	// ServiceName overrides the reported service name.
	ServiceName string `json:"service_name,omitempty"`
	// Tags are added to every span.
	Tags map[string]string `json:"tags,omitempty"`
	// BufferMax is the most spans buffered before export.
	BufferMax int `json:"buffer_max,omitempty"`
}

// JaegerAgent locates a Jaeger agent.
type JaegerAgent struct {
	// Endpoint is the agent's host:port.
	Endpoint string `json:"endpoint,omitempty"`
}

// JaegerCollector locates a Jaeger collector.
type JaegerCollector struct {
	// Endpoint is the collector URL; setting it selects the collector over
	// the agent.
	Endpoint string `json:"endpoint,omitempty"`
	// Username is the collector's basic-auth user.
	Username *string `json:"username,omitempty"`
	// Password is the collector's basic-auth password.
	Password *string `json:"password,omitempty"`
}

// Sentry configures Sentry reporting.
type Sentry struct {
	// DSN is the Sentry project DSN.
	DSN string `json:"dsn,omitempty"`
	// Environment is the Sentry environment tag.
	Environment string `json:"environment,omitempty"`
}

// Metrics configures metrics export.
type Metrics struct {
	// Name selects the exporter: "prometheus" (the default), "otlp" (beta),
	// "stdout"; anything else exports no metrics.
	Name string `json:"name,omitempty"`
	// Prometheus configures the Prometheus endpoint on the introspection
	// listener.
	Prometheus Prometheus `json:"prometheus,omitzero"`
	// OTLP configures the OTLP metrics exporter.
	OTLP OTLP `json:"otlp,omitzero"`
}

// Prometheus configures Prometheus exposition.
type Prometheus struct {
	// Endpoint is the URL path of the exposition on the introspection
	// listener. Default "/metrics".
	Endpoint *string `json:"endpoint,omitempty"`
}

// OTLP configures an OpenTelemetry protocol exporter. Give one of HTTP and
// GRPC; with both, data may be sent twice.
type OTLP struct {
	// HTTP exports over HTTP (protobuf).
	HTTP *OTLPHTTP `json:"http,omitempty"`
	// GRPC exports over gRPC.
	GRPC *OTLPGRPC `json:"grpc,omitempty"`
}

// OTLPHTTP configures an OTLP/HTTP exporter.
type OTLPHTTP struct {
	// Endpoint is the collector's host:port, without scheme or path.
	// Default "localhost:4318".
	Endpoint string `json:"endpoint,omitempty"`
	// URLPath is the absolute request path. Default "/v1/traces" for traces
	// and "/v1/metrics" for metrics.
	URLPath string `json:"url_path,omitempty"`
	// Compression is the payload compression.
	Compression Compression `json:"compression,omitempty"`
	// Headers are added to every export request.
	Headers map[string]string `json:"headers,omitempty"`
	// Insecure uses plain HTTP instead of HTTPS.
	Insecure bool `json:"insecure,omitempty"`
	// Timeout bounds one export. Default 10s.
	Timeout *Duration `json:"timeout,omitempty"`
	// ClientTLS is a client certificate for the collector; its RootCA is
	// ignored.
	ClientTLS *TLS `json:"client_tls,omitempty"`
}

// OTLPGRPC configures an OTLP/gRPC exporter.
type OTLPGRPC struct {
	// Endpoint is the collector's host:port. Default "localhost:4317".
	Endpoint string `json:"endpoint,omitempty"`
	// Reconnect is the least time between connection attempts.
	Reconnect *Duration `json:"reconnect,omitempty"`
	// ServiceConfig is a gRPC service config, as a JSON string.
	ServiceConfig string `json:"service_config,omitempty"`
	// Compression is the payload compression.
	Compression Compression `json:"compression,omitempty"`
	// Headers are added as metadata to every export.
	Headers map[string]string `json:"headers,omitempty"`
	// Insecure connects without TLS.
	Insecure bool `json:"insecure,omitempty"`
	// Timeout bounds one export. Default 10s.
	Timeout *Duration `json:"timeout,omitempty"`
	// ClientTLS is a client certificate for the collector; its RootCA is
	// ignored.
	ClientTLS *TLS `json:"client_tls,omitempty"`
}
