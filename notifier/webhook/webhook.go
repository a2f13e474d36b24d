package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/notifier"
)

// Issuer is the iss claim of the webhook's JWT, as Clair's notifier sends.
const Issuer = "clair-notifier"

// Timeout bounds a delivery when the context allows longer.
const Timeout = 30 * time.Second

// bodyPrefix is how much of a failed answer's body an error quotes.
const bodyPrefix = 256

// Options are the webhook's settings that do not come from its config
// block.
type Options struct {
	// Client sends the requests; nil means a client of the package's own,
	// with http.DefaultTransport's settings (proxies from the
	// environment). Either way redirects are followed only when they keep
	// the POST (307 and 308).
	Client *http.Client
	// SignKey is the decoded auth.psk key; empty sends requests unsigned.
	SignKey []byte
	// UserAgent is the User-Agent header, "" to leave the client's.
	UserAgent string
}

// Deliverer POSTs notification sets to a webhook.
type Deliverer struct {
	target    string
	headers   http.Header
	signKey   []byte
	userAgent string
	client    http.Client
	ownsPool  bool // the transport is the Deliverer's own
}

var _ notifier.Deliverer = (*Deliverer)(nil)

// New returns a Deliverer for cfg. It checks that the target is an http or
// https URL, and sends nothing.
func New(cfg *config.Webhook, opts Options) (*Deliverer, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("webhook: target: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: target %q is not an http or https URL", u.Redacted())
	}
	d := &Deliverer{target: cfg.Target, headers: make(http.Header), signKey: opts.SignKey, userAgent: opts.UserAgent}
	for k, v := range cfg.Headers {
		// Config keys are as written; http.Header wants them canonical.
		d.headers[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	if opts.Client != nil {
		d.client = *opts.Client
	} else if t, ok := http.DefaultTransport.(*http.Transport); ok {
		d.client.Transport = t.Clone()
		d.ownsPool = true
	}
	d.client.CheckRedirect = keepPost(d.client.CheckRedirect)
	return d, nil
}

// keepPost makes a client follow only the redirects that repeat the POST
// (307 and 308): after a 301, 302 or 303 it would GET the new location,
// without the body, and a 2xx answer to that is no delivery. The 3xx is
// returned instead, and fails the delivery. Other redirects go to next.
func keepPost(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		switch {
		case req.Method != http.MethodPost:
			return http.ErrUseLastResponse
		case next != nil:
			return next(req, via)
		case len(via) >= 10:
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// Name returns "webhook".
func (d *Deliverer) Name() string { return "webhook" }

// Deliver POSTs the set's callback to the target, and returns nil once the
// target has answered with a 2xx status.
func (d *Deliverer) Deliver(ctx context.Context, dl *notifier.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	body, err := json.Marshal(loupe.Callback{NotificationID: dl.ID, Callback: dl.Callback})
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header = d.headers.Clone()
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host // net/http ignores a Host entry in Header
	}
	req.Header.Set("Content-Type", "application/json")
	if d.userAgent != "" {
		req.Header.Set("User-Agent", d.userAgent)
	}
	if len(d.signKey) > 0 {
		token, err := sign(d.signKey, time.Now())
		if err != nil {
			return fmt.Errorf("webhook: signing: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}

	res, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err) // *url.Error: names the method and URL, without a password
	}
	defer res.Body.Close()
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		// Read a little of the body so that the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return nil
	}
	prefix, _ := io.ReadAll(io.LimitReader(res.Body, bodyPrefix+1))
	return &StatusError{URL: req.URL.Redacted(), Status: res.Status, Code: res.StatusCode, Body: string(prefix)}
}

// Close releases idle connections, unless they are those of a client
// given in Options.
func (d *Deliverer) Close() error {
	if d.ownsPool {
		d.client.CloseIdleConnections()
	}
	return nil
}

// StatusError is a webhook's answer with a status other than 2xx.
type StatusError struct {
	URL    string // the target, password redacted
	Status string // as "404 Not Found"
	Code   int
	Body   string // the first bytes of the body
}

func (e *StatusError) Error() string {
	body := e.Body
	if len(body) > bodyPrefix {
		body = body[:bodyPrefix] + "…"
	}
	return fmt.Sprintf("webhook: POST %s: %s: %q", e.URL, e.Status, body)
}

// sign returns the JWT for a request made at now.
func sign(key []byte, now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Issuer:    Issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
}
