package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/server"
)

// TestRepo2CPEConfig checks that Clair's rhel-repository-scanner keys
// reach the rhel matcher: the mapping URL is fetched at start, and a
// mapping file that cannot be read stops the server with an error that
// names it.
func TestRepo2CPEConfig(t *testing.T) {
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		w.Write([]byte(`{"data": {"acme-tools-for-rhel-9-x86_64-rpms": {"cpes": ["cpe:/o:redhat:enterprise_linux:9::baseos"]}}}`))
	}))
	t.Cleanup(srv.Close)

	loupeServer(t, `
http_listen_addr: 127.0.0.1:0
introspection_addr: 127.0.0.1:0
indexer:
  scanner:
    repo:
      rhel-repository-scanner:
        repo2cpe_mapping_url: `+srv.URL+`/repository-to-cpe.json
updaters:
  sets: []
`)
	for deadline := time.Now().Add(10 * time.Second); fetched.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the repository-to-CPE mapping was never fetched")
		}
		time.Sleep(10 * time.Millisecond)
	}

	missing := filepath.Join(t.TempDir(), "absent.json")
	cfg := &config.Config{HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: t.TempDir()}
	cfg.Indexer.Scanner.Repo = map[string]json.RawMessage{"rhel-repository-scanner": json.RawMessage(`{"repo2cpe_mapping_file": "` + missing + `"}`)}
	cfg.Updaters.Sets = []string{}
	if _, err := config.Validate(cfg, config.ComboMode); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = server.Run(ctx, server.Options{Config: cfg, Mode: config.ComboMode, Listener: ln})
	if err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Fatalf("Run with a missing mapping file: %v, want an error naming the file", err)
	}
}
