package rpmfeeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"

	"github.com/loupe-dev/loupe/updater"
)

// CheckURL parses a configured feed URL, which must be http, https or
// file.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https", "file":
		return u, nil
	}
	return nil, fmt.Errorf("bad url %q: scheme must be http, https or file", raw)
}

// Get opens an http, https or file URL. An HTTP status other than 200 is
// an error; so is a URL of another scheme.
func Get(ctx context.Context, client *http.Client, rawURL string) (io.ReadCloser, error) {
	u, err := CheckURL(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "file" {
		return os.Open(u.Path)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("fetching %s: unexpected status %s", u.Redacted(), res.Status)
	}
	return res.Body, nil
}

// ErrTooLarge is returned by ReadAll for a document over its limit.
var ErrTooLarge = errors.New("document too large")

// ReadAll reads r up to limit bytes; more is ErrTooLarge.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, limit)
	}
	return b, nil
}

// Spool collects the documents of a feed that takes several requests
// (pages of an API, a repository's metadata and then its data) into one
// temporary file, hashing what is written, so that Fetch can hand Parse
// one body and a fingerprint of all of it.
type Spool struct {
	f *os.File
	h hash.Hash
}

// NewSpool creates a spool in the default temporary directory.
func NewSpool() (*Spool, error) {
	f, err := os.CreateTemp("", "loupe-feed-*")
	if err != nil {
		return nil, err
	}
	return &Spool{f: f, h: sha256.New()}, nil
}

// Write implements io.Writer.
func (s *Spool) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.h.Write(p[:n])
	return n, err
}

// Sum returns the hex SHA-256 of everything written so far.
func (s *Spool) Sum() string { return hex.EncodeToString(s.h.Sum(nil)) }

// Body rewinds the spool and returns it for reading; closing the body
// removes the file. The Spool must not be used afterwards.
func (s *Spool) Body() (io.ReadCloser, error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		s.Discard()
		return nil, err
	}
	return &spoolBody{File: s.f}, nil
}

// Discard removes the spool.
func (s *Spool) Discard() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// spoolBody is a temporary file that removes itself on Close.
type spoolBody struct {
	*os.File
	once sync.Once
	err  error
}

func (b *spoolBody) Close() error {
	b.once.Do(func() { b.err = errors.Join(b.File.Close(), os.Remove(b.File.Name())) })
	return b.err
}

// Copy writes what an http, https or file URL serves to w.
func Copy(ctx context.Context, client *http.Client, w io.Writer, rawURL string) error {
	rc, err := Get(ctx, client, rawURL)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

// FetchPaged is Fetch for a feed read in several requests (an API's
// pages): a file URL is copied as it is, any other goes to pages, which
// writes what it keeps to w. The fingerprint is parserVersion and the
// SHA-256 of what was kept; when it is prev the feed is unchanged
// (updater.ErrUnchanged). Errors are prefixed with name.
func FetchPaged(ctx context.Context, client *http.Client, name, rawURL, parserVersion, prev string,
	pages func(ctx context.Context, client *http.Client, w io.Writer, base *url.URL) error) (io.ReadCloser, string, error) {
	base, err := CheckURL(rawURL)
	if err != nil {
		return nil, "", err
	}
	spool, err := NewSpool()
	if err != nil {
		return nil, "", err
	}
	if base.Scheme == "file" {
		err = Copy(ctx, client, spool, base.String())
	} else {
		err = pages(ctx, client, spool, base)
	}
	if err != nil {
		spool.Discard()
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	fp := parserVersion + ":" + spool.Sum()
	if fp == prev {
		spool.Discard()
		return nil, "", updater.ErrUnchanged
	}
	body, err := spool.Body()
	if err != nil {
		return nil, "", err
	}
	return body, fp, nil
}
