package servertest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/server"
)

// Server is a running Loupe.
type Server struct {
	// API and Introspection are base URLs: "http://127.0.0.1:port".
	API, Introspection string
}

// Start loads the YAML configuration doc, validates it for mode, and runs
// Loupe with it on loopback until the test ends. The listen addresses in
// doc are replaced by loopback ones; data_dir defaults to a temporary
// directory.
func Start(t testing.TB, mode config.Mode, doc string) *Server {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(dir, "data")
	}
	if _, err := config.Validate(cfg, mode); err != nil {
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
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- server.Run(ctx, server.Options{Config: cfg, Mode: mode, Listener: ln, IntrospectionListener: iln,
			Ready: func(net.Addr) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server.Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server.Run: %v", err)
		}
	})
	return &Server{API: "http://" + ln.Addr().String(), Introspection: "http://" + iln.Addr().String()}
}
