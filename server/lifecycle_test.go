package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/server"
)

// slowLayer serves one layer, holding the response half-sent until
// release is closed, and says on started when a request arrives.
type slowLayer struct {
	started chan struct{}
	release chan struct{}
	blob    []byte
	srv     *http.Server
	url     string
}

func newSlowLayer(t *testing.T, blob []byte) *slowLayer {
	s := &slowLayer{started: make(chan struct{}, 1), release: make(chan struct{}), blob: blob}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + ln.Addr().String() + "/layer"
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(s.blob)))
		half := len(s.blob) / 2
		w.Write(s.blob[:half])
		w.(http.Flusher).Flush()
		select {
		case s.started <- struct{}{}:
		default:
		}
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		w.Write(s.blob[half:])
	})}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// startRun runs server.Run in combo mode on the embedded database, with
// no updaters, and returns its URLs, the function that stops it, and the
// channel its result arrives on.
func startRun(t *testing.T, extra string, opts server.Options) (api, intro string, stop context.CancelFunc, done <-chan error) {
	t.Helper()
	cfg := loadConfig(t, fmt.Sprintf("data_dir: %s\nmatcher: {disable_updaters: true}\n", t.TempDir())+extra)
	if _, err := config.Validate(cfg, config.ComboMode); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	iln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	ch := make(chan error, 1)
	opts.Config, opts.Mode, opts.Listener, opts.IntrospectionListener = cfg, config.ComboMode, ln, iln
	opts.Ready = func(net.Addr) { close(ready) }
	go func() { ch <- server.Run(ctx, opts) }()
	t.Cleanup(cancel)
	select {
	case <-ready:
	case err := <-ch:
		t.Fatalf("server.Run: %v", err)
	}
	scheme := "http"
	if strings.Contains(extra, "tls:") {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String(), "http://" + iln.Addr().String(), cancel, ch
}

func slowManifest(t *testing.T) (*slowLayer, loupe.Manifest) {
	blob := layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(layertest.Deb{Name: "curl", Version: "7.88.1-10+deb12u8"})),
		layertest.File("usr/share/doc/filler", strings.Repeat("x", 1<<20)),
	))
	s := newSlowLayer(t, blob)
	l := loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest(blob)), URI: s.url}
	return s, loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(t.Name()))), Layers: []*loupe.Layer{&l}}
}

// TestShutdownFinishesIndex stops Loupe while an index request is
// reading its layer: the server stops being ready, refuses new
// connections, lets the request finish with its report, and then exits
// cleanly.
func TestShutdownFinishesIndex(t *testing.T) {
	layer, m := slowManifest(t)
	api, intro, stop, done := startRun(t, "", server.Options{})

	type result struct {
		status int
		body   []byte
	}
	indexed := make(chan result, 1)
	go func() {
		res, body := do(t, http.MethodPost, api+"/indexer/api/v1/index_report", m)
		indexed <- result{res.StatusCode, body}
	}()
	<-layer.started
	stop()

	// Draining: not ready, and no new connections.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(intro + "/readyz")
		if err != nil {
			t.Fatalf("readyz while draining: %v", err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %s while draining", res.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(api, "http://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the API still accepts connections while draining")
		}
		time.Sleep(10 * time.Millisecond)
	}

	close(layer.release)
	r := <-indexed
	if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"curl"`) {
		t.Errorf("index request in flight at shutdown: %d %s", r.status, r.body)
	}
	if err := <-done; err != nil {
		t.Errorf("server.Run: %v", err)
	}
}

// TestShutdownGrace stops Loupe while an index request is stuck: after
// the grace period the server stops anyway, and says why.
func TestShutdownGrace(t *testing.T) {
	layer, m := slowManifest(t)
	api, _, stop, done := startRun(t, "", server.Options{ShutdownGrace: 200 * time.Millisecond})
	go func() {
		req, _ := http.NewRequest(http.MethodPost, api+"/indexer/api/v1/index_report", strings.NewReader(mustJSON(t, m)))
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	<-layer.started
	start := time.Now()
	stop()
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "still in flight") {
		t.Errorf("server.Run after the grace period: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %v with a 200ms grace period", took)
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 with serial
// to certFile and keyFile, dated at.
func writeCert(t *testing.T, certFile, keyFile string, serial int64, at time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "loupe test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}),
	} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// servedSerial connects to addr and returns the serial of the
// certificate it presents.
func servedSerial(t *testing.T, addr string) int64 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestTLSReload serves HTTPS, replaces the certificate files, and sees
// the new certificate served without a restart; a broken pair keeps the
// last good one.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	now := time.Now()
	writeCert(t, certFile, keyFile, 1, now.Add(-time.Hour))
	api, _, _, _ := startRun(t, fmt.Sprintf("tls: {cert: %s, key: %s}\n", certFile, keyFile), server.Options{})
	addr := strings.TrimPrefix(api, "https://")
	if got := servedSerial(t, addr); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}

	// HTTPS requests work.
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Get(api + "/indexer/api/v1/index_state")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET over HTTPS: %v %v", res, err)
	}
	res.Body.Close()

	writeCert(t, certFile, keyFile, 2, now)
	deadline := time.Now().Add(10 * time.Second)
	for servedSerial(t, addr) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the new certificate was never served")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A half-written renewal: the key file is garbage.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past the check interval
	if got := servedSerial(t, addr); got != 2 {
		t.Errorf("after a broken renewal: serial %d, want the last good one, 2", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
