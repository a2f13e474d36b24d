package api

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Content codings the API compresses responses with.
const (
	codingZstd     = "zstd"
	codingGzip     = "gzip"
	codingDeflate  = "deflate"
	codingIdentity = "identity"
)

// pickCoding chooses a response coding from Accept-Encoding: the
// client's highest-q supported coding, "*" meaning gzip, identity when
// nothing else is acceptable; ok is false when identity is refused too.
func pickCoding(header []string) (coding string, ok bool) {
	type pref struct {
		coding string
		q      float64
	}
	var prefs []pref
	identityQ, starQ := -1.0, -1.0
	for _, v := range header {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			q := 1.0
			if k, val, found := strings.Cut(strings.TrimSpace(params), "="); found && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					q = f
				}
			}
			switch name {
			case "x-gzip":
				name = codingGzip
			case codingIdentity:
				identityQ = q
				continue
			case "*":
				starQ = q
			}
			prefs = append(prefs, pref{name, q})
		}
	}
	slices.SortStableFunc(prefs, func(a, b pref) int { return byQ(a.q, b.q) })
	refused := map[string]bool{}
	for _, p := range prefs {
		if p.q <= 0 {
			refused[p.coding] = true
		}
	}
	for _, p := range prefs {
		if p.q <= 0 {
			break
		}
		switch p.coding {
		case codingZstd, codingGzip, codingDeflate:
			return p.coding, true
		case "*":
			if !refused[codingGzip] {
				return codingGzip, true
			}
		}
	}
	if identityQ == 0 || (identityQ < 0 && starQ == 0) {
		return "", false
	}
	return codingIdentity, true
}

var (
	gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}
	zstdPool = sync.Pool{New: func() any {
		w, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		return w
	}}
	flatePool = sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, flate.BestSpeed); return w }}
)

// compressed negotiates Accept-Encoding and compresses the response.
func compressed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		coding, ok := pickCoding(r.Header.Values("Accept-Encoding"))
		if !ok {
			apiError(w, r, http.StatusUnsupportedMediaType, "no acceptable content coding")
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		if coding == codingIdentity {
			w.Header().Set("Accept-Encoding", "zstd, gzip, deflate")
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w, coding: coding}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

type compressWriter struct {
	http.ResponseWriter
	coding  string
	w       io.WriteCloser
	put     func()
	started bool
}

func (c *compressWriter) WriteHeader(status int) {
	if c.started {
		return
	}
	c.started = true
	h := c.Header()
	if status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified && h.Get("Content-Encoding") == "" {
		h.Set("Content-Encoding", c.coding)
		h.Del("Content-Length")
		switch c.coding {
		case codingGzip:
			zw := gzipPool.Get().(*gzip.Writer)
			zw.Reset(c.ResponseWriter)
			c.w, c.put = zw, func() { gzipPool.Put(zw) }
		case codingZstd:
			zw := zstdPool.Get().(*zstd.Encoder)
			zw.Reset(c.ResponseWriter)
			c.w, c.put = zw, func() { zstdPool.Put(zw) }
		case codingDeflate:
			zw := flatePool.Get().(*flate.Writer)
			zw.Reset(c.ResponseWriter)
			c.w, c.put = zw, func() { flatePool.Put(zw) }
		}
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *compressWriter) Write(b []byte) (int, error) {
	if !c.started {
		c.WriteHeader(http.StatusOK)
	}
	if c.w == nil {
		return c.ResponseWriter.Write(b)
	}
	return c.w.Write(b)
}

func (c *compressWriter) close() {
	if c.w != nil {
		c.w.Close()
		c.put()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *compressWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
