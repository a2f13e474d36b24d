package config

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
)

// Validate checks c for mode m and fills in the defaults, changing c in
// place. It is meant to be called once, after Load or Decode.
//
// The returned error joins every fatal problem; each names the JSON path it
// is about ("$.matcher.indexer_addr: ..."). The lints are advice for the
// operator and never stop startup; they include those found while loading,
// and are sorted by path. Lints are returned even when the error is not nil.
func Validate(c *Config, m Mode) ([]Lint, error) {
	if !m.valid() {
		return nil, fmt.Errorf("unknown mode %v", m)
	}
	r := report{lints: slices.Clone(c.notes)}
	lintUnsupported(c, m, &r) // before defaults make zero values non-zero
	setDefaults(c, m, &r)
	validateConfig(c, m, &r)
	lintConfig(c, m, &r)
	slices.SortStableFunc(r.lints, func(a, b Lint) int { return cmp.Compare(a.Path, b.Path) })
	return r.lints, errors.Join(r.errs...)
}

// report collects the outcome of Validate.
type report struct {
	lints []Lint
	errs  []error
}

func (r *report) warn(path, format string, args ...any) {
	r.lints = append(r.lints, Lint{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (r *report) fail(path, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %w", path, fmt.Errorf(format, args...)))
}

// validateConfig reports the fatal problems, normalizing a few values on the
// way.
func validateConfig(c *Config, m Mode, r *report) {
	if _, _, err := net.SplitHostPort(c.HTTPListenAddr); err != nil {
		r.fail("$.http_listen_addr", "%v", err)
	}
	if !c.LogLevel.valid() {
		r.fail("$.log_level", "invalid log level %d", int(c.LogLevel))
	}
	if c.TLS != nil {
		checkTLS(r, "$.tls", c.TLS)
		if c.TLS.Cert == "" && c.TLS.Key == "" {
			r.fail("$.tls", "cert and key are required to serve TLS")
		}
	}
	if m == MatcherMode {
		c.Matcher.IndexerAddr = serviceURL(r, "$.matcher.indexer_addr", c.Matcher.IndexerAddr,
			"matcher mode requires the indexer's address")
	}
	if m.runsNotifier() {
		validateNotifier(&c.Notifier, m, r)
	}
	validateAuth(&c.Auth, r)
	validateOTLP(r, "$.trace.otlp", &c.Trace.OTLP)
	validateOTLP(r, "$.metrics.otlp", &c.Metrics.OTLP)
}

// serviceURL checks the base URL of a peer service. A bare host or host:port
// is accepted (Clair refuses it) and turned into an http:// URL, with a lint.
func serviceURL(r *report, path, s, missing string) string {
	if s == "" {
		r.fail(path, "%s", missing)
		return s
	}
	if host := strings.TrimSuffix(s, "/"); !strings.ContainsAny(host, "/?#@ ") {
		// A bare host or host:port.
		if u, err := url.Parse("http://" + host + "/"); err == nil && u.Host != "" {
			r.warn(path, "%q is not a URL; using %q (Clair requires a URL with a scheme)", s, u.String())
			s = u.String()
		}
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		r.fail(path, "%v", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		r.fail(path, "%q is not an absolute http or https URL", s)
	}
	return s
}

func validateNotifier(n *Notifier, m Mode, r *report) {
	const p = "$.notifier"
	if m == NotifierMode {
		n.IndexerAddr = serviceURL(r, p+".indexer_addr", n.IndexerAddr, "notifier mode requires the indexer's address")
		n.MatcherAddr = serviceURL(r, p+".matcher_addr", n.MatcherAddr, "notifier mode requires the matcher's address")
		if n.Delivery() == "" {
			r.fail(p, "notifier mode requires a delivery mechanism (webhook, amqp or stomp)")
		}
	}
	if w := n.Webhook; w != nil {
		if _, err := url.Parse(w.Target); err != nil {
			r.fail(p+".webhook.target", "%v", err)
		}
		if _, err := url.Parse(w.Callback); err != nil {
			r.fail(p+".webhook.callback", "%v", err)
		}
	}
	if a := n.AMQP; a != nil {
		const p = "$.notifier.amqp"
		if a.Exchange.Type == "" {
			r.fail(p+".exchange.type", "exchange type is required")
		}
		if a.RoutingKey == "" {
			r.fail(p+".routing_key", "routing key is required")
		}
		if len(a.URIs) == 0 {
			r.fail(p+".uris", "at least one broker URI is required")
		}
		for i, u := range a.URIs {
			if _, err := url.Parse(u); err != nil {
				r.fail(fmt.Sprintf("%s.uris[%d]", p, i), "%v", err)
			}
		}
		if _, err := url.Parse(a.Callback); err != nil && !a.Direct {
			r.fail(p+".callback", "%v", err)
		}
		brokerTLS(r, p+".tls", a.TLS)
	}
	if s := n.STOMP; s != nil {
		const p = "$.notifier.stomp"
		if len(s.URIs) == 0 {
			r.fail(p+".uris", "at least one broker address is required")
		}
		for i, u := range s.URIs {
			if _, _, err := net.SplitHostPort(u); err != nil {
				r.fail(fmt.Sprintf("%s.uris[%d]", p, i), "want host:port: %v", err)
			}
		}
		if _, err := url.Parse(s.Callback); err != nil && !s.Direct {
			r.fail(p+".callback", "%v", err)
		}
		brokerTLS(r, p+".tls", s.TLS)
	}
}

// checkTLS requires cert and key together, and every named file to exist.
func checkTLS(r *report, path string, t *TLS) {
	if (t.Cert == "") != (t.Key == "") {
		r.fail(path, "both cert and key are required")
	}
	for _, f := range []struct{ key, name string }{{"root_ca", t.RootCA}, {"cert", t.Cert}, {"key", t.Key}} {
		if f.name == "" {
			continue
		}
		if _, err := os.Stat(f.name); err != nil {
			r.fail(path+"."+f.key, "%v", err)
		}
	}
}

// brokerTLS checks the client TLS of a message broker: a client
// certificate is optional (Clair requires one), but cert and key go
// together and the named files must exist.
func brokerTLS(r *report, path string, t *TLS) {
	if t != nil {
		checkTLS(r, path, t)
	}
}

func validateAuth(a *Auth, r *report) {
	if p := a.PSK; p != nil {
		key, err := base64.StdEncoding.DecodeString(p.Key)
		switch {
		case p.Key == "":
			r.fail("$.auth.psk.key", "key is empty")
		case err != nil:
			r.fail("$.auth.psk.key", "key is not valid base64: %v", err)
		case len(key) == 0:
			r.fail("$.auth.psk.key", "key is empty")
		default:
			p.secret = key
		}
		if len(p.Issuers) == 0 {
			r.fail("$.auth.psk.iss", "no issuers defined")
		}
	}
	if a.Keyserver != nil {
		r.fail("$.auth.keyserver", "quay keyserver support has been removed")
	}
}

func validateOTLP(r *report, p string, o *OTLP) {
	if h := o.HTTP; h != nil {
		if h.URLPath != "" {
			if strings.HasSuffix(h.URLPath, "/") {
				r.warn(p+".http.url_path", "path %q ends in a slash, which is probably wrong", h.URLPath)
			}
			h.URLPath = path.Clean(h.URLPath)
			if !path.IsAbs(h.URLPath) {
				r.fail(p+".http.url_path", "path %q must be absolute", h.URLPath)
			}
		}
		if h.ClientTLS != nil {
			checkTLS(r, p+".http.client_tls", h.ClientTLS)
		}
	}
	if g := o.GRPC; g != nil && g.ClientTLS != nil {
		checkTLS(r, p+".grpc.client_tls", g.ClientTLS)
	}
}
