package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func writeConfig(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestExitCodes(t *testing.T) {
	good := writeConfig(t, "good.yaml", "http_listen_addr: 127.0.0.1:0\nintrospection_addr: 127.0.0.1:0\ndata_dir: "+t.TempDir()+"\n")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		msg  string
	}{
		{"help", []string{"-h"}, nil, 0, "-conf"},
		{"unknown flag", []string{"-nope"}, nil, 2, "flag provided but not defined"},
		{"stray argument", []string{"serve"}, nil, 2, "unexpected arguments"},
		{"bad mode", []string{"-mode", "cluster", "-conf", good}, nil, 2, "cluster"},
		{"missing file", []string{"-conf", "/nonexistent/config.yaml"}, nil, 2, "/nonexistent/config.yaml"},
		{"unknown key", []string{"-conf", writeConfig(t, "typo.yaml", "matcher:\n  perod: 6h\n")}, nil, 2, "perod"},
		{"invalid value", []string{"-conf", writeConfig(t, "bad.yaml", "http_listen_addr: no-port\n")}, nil, 1, "http_listen_addr"},
		{"notifier without delivery", []string{"-conf", good, "-mode", "notifier"}, nil, 1, "notifier"},
		{"bad test interval", []string{"-conf", good}, map[string]string{"LOUPE_TEST_INTERVALS": "poll=soon"}, 2, `"poll=soon"`},
		{"unknown test interval", []string{"-conf", good}, map[string]string{"LOUPE_TEST_INTERVALS": "updater=1s,gc=1s"}, 2, `unknown interval "gc"`},
		{"conf from LOUPE_CONF", nil, map[string]string{"LOUPE_CONF": "/from/loupe.yaml", "CLAIR_CONF": "/from/clair.yaml"}, 2, "/from/loupe.yaml"},
		{"conf from CLAIR_CONF", nil, map[string]string{"CLAIR_CONF": "/from/clair.yaml"}, 2, "/from/clair.yaml"},
		{"flag wins over env", []string{"-conf", "/from/flag.yaml"}, map[string]string{"LOUPE_CONF": "/from/loupe.yaml"}, 2, "/from/flag.yaml"},
		{"mode from CLAIR_MODE", []string{"-conf", good}, map[string]string{"CLAIR_MODE": "Bogus"}, 2, "Bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			code := run(ctx, tc.args, env(tc.env), &stderr)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.msg) {
				t.Errorf("stderr does not mention %q:\n%s", tc.msg, stderr.String())
			}
		})
	}
}

// TestRunsUntilCancelled starts combo mode from a minimal config and
// stops it cleanly.
func TestRunsUntilCancelled(t *testing.T) {
	cfg := writeConfig(t, "config.json", `{"http_listen_addr": "127.0.0.1:0", "introspection_addr": "127.0.0.1:0", "data_dir": "`+t.TempDir()+`", "matcher": {"disable_updaters": true}}`)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"-conf", cfg}, env(nil), &stderr) }()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), `"msg":"api listening"`); {
		if time.Now().After(deadline) {
			t.Fatalf("not listening after 30s:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop after cancel")
	}
	if !strings.Contains(stderr.String(), `"msg":"api listening"`) {
		t.Errorf("no api listening log line:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
