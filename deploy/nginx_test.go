package deploy

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite nginx/loupe.conf from its template")

// TestNginxConfUpToDate keeps nginx/loupe.conf equal to what the template
// renders for DefaultNginx.
func TestNginxConfUpToDate(t *testing.T) {
	want, err := DefaultNginx().Render()
	if err != nil {
		t.Fatal(err)
	}
	const file = "nginx/loupe.conf"
	if *update {
		if err := os.WriteFile(file, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what nginx/loupe.conf.tmpl renders; run go test ./deploy -run TestNginxConfUpToDate -update", file)
	}
}

func TestNginxRenderRefuses(t *testing.T) {
	ok := Nginx{Listen: "8080", Indexers: []string{"a:1"}, Matchers: []string{"b:2"}, Notifiers: []string{"c:3"}}
	for name, mutate := range map[string]func(*Nginx){
		"no listen":           func(n *Nginx) { n.Listen = "" },
		"listen injection":    func(n *Nginx) { n.Listen = "80; include /etc/passwd" },
		"no indexers":         func(n *Nginx) { n.Indexers = nil },
		"no port":             func(n *Nginx) { n.Matchers = []string{"matcher"} },
		"server injection":    func(n *Nginx) { n.Notifiers = []string{"c:3 backup; }"} },
		"relative runtime":    func(n *Nginx) { n.RuntimeDir = "tmp/nginx" },
		"runtime with spaces": func(n *Nginx) { n.RuntimeDir = "/tmp/my dir" },
	} {
		n := ok
		mutate(&n)
		if _, err := n.Render(); err == nil {
			t.Errorf("%s: rendered without error", name)
		}
	}
	if _, err := ok.Render(); err != nil {
		t.Errorf("valid: %v", err)
	}
}

// nginxOrSkip returns the nginx binary, or skips the test: loudly, and
// failing it under CI=true, where nginx must be installed.
func nginxOrSkip(t *testing.T) string {
	t.Helper()
	p, err := NginxPath()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v: CI=true requires it (apt-get install nginx)", err)
	}
	fmt.Fprintf(os.Stderr, "SKIP %s: %v; install it (apt-get install nginx) to test deploy/nginx\n", t.Name(), err)
	t.Skip(err)
	return ""
}

// TestNginxSyntax runs nginx -t on a configuration rendered with loopback
// upstreams, without root.
func TestNginxSyntax(t *testing.T) {
	bin := nginxOrSkip(t)
	dir := nginxRuntimeDir(t)
	conf := writeNginxConf(t, Nginx{
		Listen:     "127.0.0.1:" + freePort(t),
		Indexers:   []string{"127.0.0.1:16060", "127.0.0.1:16061"},
		Matchers:   []string{"127.0.0.1:16062"},
		Notifiers:  []string{"[::1]:16063"},
		RuntimeDir: dir,
	})
	out, err := exec.Command(bin, "-t", "-c", conf, "-p", dir, "-e", "stderr").CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("test is successful")) {
		t.Errorf("nginx -t said:\n%s", out)
	}
	if bytes.Contains(out, []byte("[warn]")) {
		t.Errorf("nginx -t warns:\n%s", out)
	}
}

// TestNginxRouting sends requests through nginx to three loopback
// services and checks where each lands and what arrives.
func TestNginxRouting(t *testing.T) {
	bin := nginxOrSkip(t)
	big := bytes.Repeat([]byte(`{"id":"CVE-2024-0000","package":"openssl"},`), 800_000) // ~34 MB
	bigSum := sha256.Sum256(big)
	var backends [3]*echoBackend
	for i, name := range []string{"indexer", "matcher", "notifier"} {
		backends[i] = newEchoBackend(t, name, big)
	}
	base := startNginx(t, bin, Nginx{
		Indexers:  []string{backends[0].addr},
		Matchers:  []string{backends[1].addr},
		Notifiers: []string{backends[2].addr},
	})
	client := &http.Client{Timeout: 30 * time.Second}

	res, body := do(t, client, "GET", base+"/healthz", nil, nil)
	if res.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("GET /healthz: %d %q", res.StatusCode, body)
	}

	const jwt = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJxdWF5In0.c2lnbmF0dXJl"
	manifest := bytes.Repeat([]byte("x"), 512<<10)
	for _, tc := range []struct {
		method, path string
		body         []byte
		want         string
	}{
		{"POST", "/indexer/api/v1/index_report", manifest, "indexer"},
		{"GET", "/indexer/api/v1/index_report/sha256:abc", nil, "indexer"},
		{"DELETE", "/indexer/api/v1/index_report", []byte(`["sha256:abc"]`), "indexer"},
		{"GET", "/indexer/api/v1/index_state", nil, "indexer"},
		{"POST", "/indexer/api/v1/internal/affected_manifest/", []byte(`{}`), "indexer"},
		{"GET", "/matcher/api/v1/vulnerability_report/sha256:abc", nil, "matcher"},
		{"GET", "/matcher/api/v1/internal/update_operation", nil, "matcher"},
		{"GET", "/notifier/api/v1/notification/5e4b387e-88d3-4364-86fd-063447a6fad2?page_size=10", nil, "notifier"},
		{"DELETE", "/notifier/api/v1/notification/5e4b387e-88d3-4364-86fd-063447a6fad2", nil, "notifier"},
		{"GET", "/openapi/v1", nil, "indexer"},
	} {
		res, body := do(t, client, tc.method, base+tc.path, tc.body, http.Header{"Authorization": {jwt}})
		var got echo
		if err := json.Unmarshal(body, &got); err != nil || res.StatusCode != 200 {
			t.Errorf("%s %s: %d %.200q", tc.method, tc.path, res.StatusCode, body)
			continue
		}
		if got.Service != tc.want || got.Method != tc.method || got.URI != tc.path {
			t.Errorf("%s %s reached %s with %s %s", tc.method, tc.path, got.Service, got.Method, got.URI)
		}
		if got.Authorization != jwt {
			t.Errorf("%s %s: Authorization %q did not pass through", tc.method, tc.path, got.Authorization)
		}
		if got.BodySHA256 != fmt.Sprintf("%x", sha256.Sum256(tc.body)) {
			t.Errorf("%s %s: the request body changed on the way", tc.method, tc.path)
		}
		if got.ForwardedFor != "127.0.0.1" {
			t.Errorf("%s %s: X-Forwarded-For %q", tc.method, tc.path, got.ForwardedFor)
		}
	}

	// Body limits: Loupe's own, per route.
	for _, tc := range []struct {
		path string
		size int
		want int
	}{
		{"/indexer/api/v1/index_report", 40 << 20, 413},
		{"/indexer/api/v1/internal/affected_manifest/", 40 << 20, 200},
		{"/matcher/api/v1/vulnerability_report/sha256:abc", 2 << 20, 413},
	} {
		res, body := do(t, client, "POST", base+tc.path, make([]byte, tc.size), nil)
		if res.StatusCode != tc.want {
			t.Errorf("POST %s with %d MiB: %d %.100q, want %d", tc.path, tc.size>>20, res.StatusCode, body, tc.want)
		}
	}

	// A report far larger than nginx's buffers arrives whole.
	res, body = do(t, client, "GET", base+"/matcher/api/v1/vulnerability_report/big", nil, nil)
	if res.StatusCode != 200 || sha256.Sum256(body) != bigSum {
		t.Errorf("large report: %d, %d bytes, want %d intact", res.StatusCode, len(body), len(big))
	}

	// Anything else is nginx's 404 in Loupe's error shape.
	res, body = do(t, client, "GET", base+"/debug/pprof/", nil, nil)
	var e struct{ Code, Message string }
	if res.StatusCode != 404 || json.Unmarshal(body, &e) != nil || e.Code != "not-found" {
		t.Errorf("GET /debug/pprof/: %d %q", res.StatusCode, body)
	}

	// Upstream connections are kept alive and reused.
	m := backends[1]
	before := m.conns.Load()
	for range 20 {
		if res, _ := do(t, client, "GET", base+"/matcher/api/v1/vulnerability_report/sha256:abc", nil, nil); res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	if n := m.conns.Load() - before; n > 2 {
		t.Errorf("20 requests opened %d upstream connections: keepalive to upstreams is not working", n)
	}
}

// TestNginxRetries checks that a request is tried on another upstream
// when the first fails, except when it is a POST that reached it.
func TestNginxRetries(t *testing.T) {
	bin := nginxOrSkip(t)
	for _, method := range []string{"GET", "DELETE", "POST"} {
		t.Run(method, func(t *testing.T) {
			dead := newHangUp(t)
			good := newEchoBackend(t, "indexer", nil)
			other := newEchoBackend(t, "other", nil)
			base := startNginx(t, bin, Nginx{
				Indexers:  []string{dead.addr, good.addr},
				Matchers:  []string{other.addr},
				Notifiers: []string{other.addr},
			})
			client := &http.Client{Timeout: 30 * time.Second}
			const n = 6
			failed := 0
			for range n {
				res, body := do(t, client, method, base+"/indexer/api/v1/index_report", []byte(`{"hash":"sha256:abc"}`), nil)
				switch res.StatusCode {
				case 200:
				case 502:
					failed++
				default:
					t.Fatalf("status %d: %q", res.StatusCode, body)
				}
			}
			hits := int(dead.hits.Load())
			if hits == 0 {
				t.Fatalf("the failing upstream got no request in %d; cannot tell whether nginx retries", n)
			}
			if method == "POST" {
				if failed != hits {
					t.Errorf("%d POSTs reached the failing upstream and %d failed: nginx resent a POST", hits, failed)
				}
			} else if failed > 0 {
				t.Errorf("%d of %d %s requests failed: nginx did not retry on the other upstream", failed, n, method)
			}
		})
	}
}

type echo struct {
	Service, Method, URI, Authorization, ForwardedFor, BodySHA256 string
}

type echoBackend struct {
	addr  string
	conns atomic.Int64
}

// newEchoBackend serves every request with a JSON description of it, or
// with big for paths ending in /big.
func newEchoBackend(t *testing.T, name string, big []byte) *echoBackend {
	b := &echoBackend{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/big") {
			w.Header().Set("Content-Type", "application/json")
			w.Write(big)
			return
		}
		h := sha256.New()
		io.Copy(h, r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(echo{
			Service:       name,
			Method:        r.Method,
			URI:           r.RequestURI,
			Authorization: r.Header.Get("Authorization"),
			ForwardedFor:  r.Header.Get("X-Forwarded-For"),
			BodySHA256:    fmt.Sprintf("%x", h.Sum(nil)),
		})
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	b.addr = srv.Listener.Addr().String()
	return b
}

// hangUp is an upstream that reads a request's head and closes the
// connection without answering, as a process that dies mid-request.
type hangUp struct {
	addr string
	hits atomic.Int64
}

func newHangUp(t *testing.T) *hangUp {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangUp{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
					h.hits.Add(1)
				}
			})
		}
	})
	return h
}

func do(t *testing.T, c *http.Client, method, url string, body []byte, h http.Header) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return res, b
}

// nginxRuntimeDir returns a directory for nginx's pid file, logs and
// temporary files that nginx's workers can use even when the test runs as
// root (workers then run as nobody).
func nginxRuntimeDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeNginxConf(t *testing.T, n Nginx) string {
	t.Helper()
	b, err := n.Render()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(n.RuntimeDir, "nginx.conf")
	if err := os.WriteFile(conf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// startNginx runs nginx in the foreground on a loopback port with n's
// upstreams until the test ends, and returns its base URL.
func startNginx(t *testing.T, bin string, n Nginx) string {
	t.Helper()
	n.RuntimeDir = nginxRuntimeDir(t)
	port := freePort(t)
	n.Listen = "127.0.0.1:" + port
	conf := writeNginxConf(t, n)
	cmd := exec.Command(bin, "-c", conf, "-p", n.RuntimeDir, "-e", "stderr", "-g", "daemon off;")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(n.RuntimeDir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", stderr.String(), log)
		}
	})
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("nginx exited: %v\n%s", err, stderr.String())
		default:
		}
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not answer on %s: %v", base, errors.Join(err))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
