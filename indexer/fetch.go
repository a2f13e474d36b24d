package indexer

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/layer"
)

// ErrDigestMismatch means a layer's bytes did not hash to its digest.
var ErrDigestMismatch = errors.New("layer digest mismatch")

// fetcher opens layer blobs.
type fetcher struct {
	client *http.Client
}

// open returns the blob's bytes as served, and its Content-Type.
func (f *fetcher) open(ctx context.Context, l *loupe.Layer) (io.ReadCloser, string, error) {
	u, err := url.Parse(l.URI)
	if err != nil {
		return nil, "", fmt.Errorf("layer %s: bad uri: %w", l.Hash, err)
	}
	switch u.Scheme {
	case "file":
		fh, err := os.Open(u.Path)
		if err != nil {
			return nil, "", fmt.Errorf("layer %s: %w", l.Hash, err)
		}
		return fh, "", nil
	case "http", "https":
	default:
		return nil, "", fmt.Errorf("layer %s: unsupported uri scheme %q", l.Hash, u.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("layer %s: %w", l.Hash, err)
	}
	for k, vs := range l.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := f.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("layer %s: fetching: %w", l.Hash, err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, "", fmt.Errorf("layer %s: fetching %s: unexpected status %s", l.Hash, u.Redacted(), res.Status)
	}
	return res.Body, res.Header.Get("Content-Type"), nil
}

// checkContentType applies Clair's rule: a Content-Type that names a
// compression must agree with what the bytes are.
func checkContentType(ct string, got layer.Compression) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || ct == "" {
		return nil
	}
	switch mt {
	case "", "text/plain", "binary/octet-stream", "application/octet-stream":
		return nil
	}
	want := layer.Compression(-1)
	switch {
	case mt == "application/vnd.docker.image.rootfs.diff.tar.gzip", mt == "application/gzip", mt == "application/x-gzip", strings.HasSuffix(mt, ".tar+gzip"):
		want = layer.Gzip
	case mt == "application/zstd", strings.HasSuffix(mt, ".tar+zstd"):
		want = layer.Zstd
	case mt == "application/x-tar", strings.HasSuffix(mt, ".tar"):
		want = layer.Uncompressed
	default:
		return fmt.Errorf("%w: unknown layer media type %q", layer.ErrFormat, mt)
	}
	if want != got {
		return fmt.Errorf("%w: media type %q but the content is %v", layer.ErrFormat, mt, got)
	}
	return nil
}

// hashingReader reads src in a goroutine of its own, hashing as it goes,
// so that the network, the hash and the decompression that consumes it
// overlap.
type hashingReader struct {
	ch   chan []byte
	free chan []byte
	done chan struct{}
	cur  []byte
	buf  []byte
	err  error // set before ch is closed
	h    hash.Hash
	n    int64
	stop chan struct{}
}

const (
	hashChunk  = 256 << 10
	hashChunks = 4
)

func newHashingReader(src io.Reader, h hash.Hash) *hashingReader {
	hr := &hashingReader{
		ch:   make(chan []byte, hashChunks),
		free: make(chan []byte, hashChunks+1),
		done: make(chan struct{}),
		stop: make(chan struct{}),
		h:    h,
	}
	for range hashChunks + 1 {
		hr.free <- make([]byte, hashChunk)
	}
	go hr.pump(src)
	return hr
}

func (hr *hashingReader) pump(src io.Reader) {
	defer close(hr.done)
	defer close(hr.ch)
	for {
		var b []byte
		select {
		case b = <-hr.free:
		case <-hr.stop:
			return
		}
		n, err := io.ReadFull(src, b)
		if n > 0 {
			hr.h.Write(b[:n])
			hr.n += int64(n)
			select {
			case hr.ch <- b[:n]:
			case <-hr.stop:
				return
			}
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return
		case err != nil:
			hr.err = err
			return
		}
	}
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	for len(hr.cur) == 0 {
		if hr.buf != nil {
			hr.free <- hr.buf[:cap(hr.buf)]
			hr.buf = nil
		}
		b, ok := <-hr.ch
		if !ok {
			if hr.err != nil {
				return 0, hr.err
			}
			return 0, io.EOF
		}
		hr.buf, hr.cur = b, b
	}
	n := copy(p, hr.cur)
	hr.cur = hr.cur[n:]
	return n, nil
}

// Close stops the pump and waits for it.
func (hr *hashingReader) Close() {
	select {
	case <-hr.stop:
	default:
		close(hr.stop)
	}
	<-hr.done
}

// sum returns the hash of everything read, and the byte count; valid
// after Read has returned io.EOF.
func (hr *hashingReader) sum() ([]byte, int64) { return hr.h.Sum(nil), hr.n }
