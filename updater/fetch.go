package updater

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// Fingerprint is the change record FetchURL keeps: the validators the
// server sent, and the SHA-256 of the content.
type Fingerprint struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	SHA256       string `json:"sha256"`
}

// String encodes the fingerprint for storage.
func (f Fingerprint) String() string {
	b, _ := json.Marshal(f)
	return string(b)
}

// ParseFingerprint decodes a stored fingerprint; anything unreadable is
// the zero Fingerprint, which matches nothing.
func ParseFingerprint(s string) Fingerprint {
	var f Fingerprint
	_ = json.Unmarshal([]byte(s), &f)
	return f
}

// FetchURL retrieves an http, https or file URL into a temporary file,
// hashing it on the way. With a previous fingerprint it sends
// If-None-Match and If-Modified-Since, and reports ErrUnchanged on 304 or
// when the content hashes the same. The returned body removes its file on
// Close.
func FetchURL(ctx context.Context, client *http.Client, rawURL, prev string) (io.ReadCloser, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("bad feed url %q: %w", rawURL, err)
	}
	old := ParseFingerprint(prev)
	var (
		src io.ReadCloser
		fp  Fingerprint
	)
	switch u.Scheme {
	case "file":
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, "", err
		}
		src = f
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, "", err
		}
		if old.ETag != "" {
			req.Header.Set("If-None-Match", old.ETag)
		}
		if old.LastModified != "" {
			req.Header.Set("If-Modified-Since", old.LastModified)
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, "", err
		}
		switch res.StatusCode {
		case http.StatusOK:
		case http.StatusNotModified:
			res.Body.Close()
			return nil, "", ErrUnchanged
		default:
			res.Body.Close()
			return nil, "", fmt.Errorf("fetching %s: unexpected status %s", u.Redacted(), res.Status)
		}
		src = res.Body
		fp.ETag = res.Header.Get("ETag")
		fp.LastModified = res.Header.Get("Last-Modified")
	default:
		return nil, "", fmt.Errorf("bad feed url %q: scheme must be http, https or file", rawURL)
	}
	defer src.Close()

	spool, err := os.CreateTemp("", "loupe-feed-*")
	if err != nil {
		return nil, "", err
	}
	body := &spoolFile{File: spool}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(spool, h), src); err != nil {
		body.Close()
		return nil, "", fmt.Errorf("fetching %s: %w", u.Redacted(), err)
	}
	fp.SHA256 = hex.EncodeToString(h.Sum(nil))
	if old.SHA256 != "" && old.SHA256 == fp.SHA256 {
		body.Close()
		return nil, "", ErrUnchanged
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		body.Close()
		return nil, "", err
	}
	return body, fp.String(), nil
}

// spoolFile is a temporary file that removes itself on Close.
type spoolFile struct {
	*os.File
}

func (s *spoolFile) Close() error {
	return errors.Join(s.File.Close(), os.Remove(s.File.Name()))
}
