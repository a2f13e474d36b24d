package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/loupe-dev/loupe/store"
)

// IntraserviceIssuer is the iss claim of signed requests.
const IntraserviceIssuer = "clair-intraservice"

// ErrNotFound is wrapped by the errors of 404 answers.
var ErrNotFound = errors.New("not found")

// maxBody bounds the bodies read: reports of huge images and diffs of
// whole feeds are large, but not this large.
const maxBody = 1 << 30

// Options configure a client.
type Options struct {
	// HTTP sends the requests; nil means a client of the package's own.
	HTTP *http.Client
	// PSK is the decoded auth.psk key; empty sends requests unsigned.
	PSK []byte
	// UserAgent is the User-Agent header; "" leaves the client's.
	UserAgent string
	// ReportCache is how many index reports an Indexer keeps, revalidated
	// with If-None-Match on every use; 0 keeps none. Reports returned from
	// the cache are shared and must not be modified.
	ReportCache int
}

// Error is an answer other than a success.
type Error struct {
	Method, URL string
	Status      int
	// Code and Message are the Clair error body's, when there was one;
	// otherwise Message holds the start of the body.
	Code, Message string
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Code != "" {
		msg = e.Code + ": " + msg
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), msg)
}

// Unwrap gives ErrNotFound for a 404 and store.ErrUnavailable for 502,
// 503 and 504.
func (e *Error) Unwrap() error {
	switch e.Status {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return store.ErrUnavailable
	}
	return nil
}

// unreachable is a request that got no answer.
type unreachable struct{ err error }

func (u *unreachable) Error() string   { return u.err.Error() }
func (u *unreachable) Unwrap() []error { return []error{u.err, store.ErrUnavailable} }

// base is what both clients share.
type base struct {
	url       *url.URL
	http      *http.Client
	psk       []byte
	userAgent string
}

func newBase(addr string, opts Options) (base, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return base{}, fmt.Errorf("client: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return base{}, fmt.Errorf("client: %q is not an http or https URL", u.Redacted())
	}
	b := base{url: &url.URL{Scheme: u.Scheme, Host: u.Host, User: u.User}, http: opts.HTTP, psk: opts.PSK, userAgent: opts.UserAgent}
	if b.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		t.ResponseHeaderTimeout = 5 * time.Minute
		b.http = &http.Client{Transport: t}
	}
	return b, nil
}

// endpoint returns the URL of path with query q.
func (b *base) endpoint(path string, q url.Values) string {
	u := *b.url
	u.Path = path
	u.RawQuery = q.Encode()
	return u.String()
}

// do sends a request with body (JSON-encoded unless nil) and returns the
// answer when its status is one of ok; otherwise an error, the body
// closed.
func (b *base) do(ctx context.Context, method, u string, body any, header http.Header, ok ...int) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("client: encoding the request: %w", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	// zstd costs the server and this client a fraction of what gzip does;
	// setting the header turns off net/http's own gzip handling.
	req.Header.Set("Accept-Encoding", "zstd, gzip")
	if b.userAgent != "" {
		req.Header.Set("User-Agent", b.userAgent)
	}
	if len(b.psk) > 0 {
		token, err := Sign(b.psk, IntraserviceIssuer, time.Now())
		if err != nil {
			return nil, fmt.Errorf("client: signing: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := b.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &unreachable{fmt.Errorf("client: %w", err)}
	}
	if err := decompressBody(res); err != nil {
		res.Body.Close()
		return nil, fmt.Errorf("client: %s %s: %w", method, req.URL.Redacted(), err)
	}
	for _, s := range ok {
		if res.StatusCode == s {
			return res, nil
		}
	}
	defer res.Body.Close()
	e := &Error{Method: method, URL: req.URL.Redacted(), Status: res.StatusCode}
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var eb struct{ Code, Message string }
	if json.Unmarshal(raw, &eb) == nil && (eb.Code != "" || eb.Message != "") {
		e.Code, e.Message = eb.Code, eb.Message
	} else {
		e.Message = strings.TrimSpace(string(raw[:min(len(raw), 256)]))
	}
	return nil, e
}

// decode reads a JSON body into v and closes it.
func decode(res *http.Response, v any) error {
	defer res.Body.Close()
	dec := json.NewDecoder(io.LimitReader(res.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("client: decoding the answer to %s %s: %w", res.Request.Method, res.Request.URL.Redacted(), err)
	}
	return nil
}

// Sign returns a JWT for a request made at now by issuer, as Clair's
// services sign theirs: HS256, iat now, nbf a minute before, exp a minute
// after.
func Sign(key []byte, issuer string, now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
}

var zstdDecoders = sync.Pool{New: func() any {
	d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBody))
	return d
}}

// decompressBody replaces a compressed body with its decompressed
// content.
func decompressBody(res *http.Response) error {
	switch strings.ToLower(res.Header.Get("Content-Encoding")) {
	case "", "identity":
		return nil
	case "zstd":
		d := zstdDecoders.Get().(*zstd.Decoder)
		if err := d.Reset(res.Body); err != nil {
			return err
		}
		res.Body = &zstdBody{d: d, orig: res.Body}
	case "gzip", "x-gzip":
		z, err := gzip.NewReader(res.Body)
		if err != nil {
			return err
		}
		res.Body = &gzipBody{z: z, orig: res.Body}
	default:
		return fmt.Errorf("unexpected Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	res.Header.Del("Content-Encoding")
	res.Header.Del("Content-Length")
	res.ContentLength = -1
	return nil
}

type zstdBody struct {
	d    *zstd.Decoder
	orig io.ReadCloser
}

func (b *zstdBody) Read(p []byte) (int, error) {
	if b.d == nil {
		return 0, errors.New("read after close")
	}
	return b.d.Read(p)
}

func (b *zstdBody) Close() error {
	if b.d != nil {
		b.d.Reset(nil)
		zstdDecoders.Put(b.d)
		b.d = nil
	}
	return b.orig.Close()
}

type gzipBody struct {
	z    *gzip.Reader
	orig io.ReadCloser
}

func (b *gzipBody) Read(p []byte) (int, error) { return b.z.Read(p) }
func (b *gzipBody) Close() error               { return errors.Join(b.z.Close(), b.orig.Close()) }
