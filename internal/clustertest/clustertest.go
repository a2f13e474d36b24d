package clustertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/client"
	"github.com/loupe-dev/loupe/deploy"
	"github.com/loupe-dev/loupe/internal/pgtest"
)

// Services are the modes a cluster runs, one process each.
var Services = []string{"indexer", "matcher", "notifier"}

// Options configure a cluster.
type Options struct {
	// FeedURL is the Debian security tracker JSON the matcher loads.
	FeedURL string
	// Webhook is the notifier's webhook target.
	Webhook string
	// Intervals is LOUPE_TEST_INTERVALS for every process; empty means
	// "updater=200ms,poll=200ms,retry=100ms".
	Intervals string
}

// Cluster is a running distributed Loupe.
type Cluster struct {
	// URL is nginx's: the cluster's one address.
	URL string
	// PSK signs requests; Sign returns a bearer token with it.
	PSK []byte

	t         testing.TB
	dir       string
	intervals string
	bin       string
	nginx     *exec.Cmd
	procs     map[string]*Process
}

// Process is one loupe process of a cluster.
type Process struct {
	Mode string
	// API and Introspection are the process's own base URLs, bypassing
	// nginx.
	API, Introspection string

	conf string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start builds loupe, starts the three services on their databases and
// nginx in front of them, and waits until every process is ready. The
// cluster stops when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	nginxBin, err := deploy.NginxPath()
	if err != nil {
		unavailable(t, "nginx", err)
	}
	c := &Cluster{t: t, dir: t.TempDir(), PSK: []byte("clustertest shared key, 32 bytes"), procs: map[string]*Process{}}
	c.bin = Build(t)
	dbs := map[string]string{}
	for _, s := range Services {
		dbs[s] = pgtest.DB(t)
	}

	ports := freePorts(t, 2*len(Services)+1)
	lb := "127.0.0.1:" + ports[0]
	c.URL = "http://" + lb
	for i, s := range Services {
		c.procs[s] = &Process{Mode: s,
			API:           "http://127.0.0.1:" + ports[1+2*i],
			Introspection: "http://127.0.0.1:" + ports[2+2*i],
			log:           filepath.Join(c.dir, s+".log"),
		}
	}
	shared := fmt.Sprintf(`
auth:
  psk: {key: %[1]q, iss: [quay, clustertest]}
log_level: info
indexer:
  connstring: %[2]q
  migrations: true
matcher:
  connstring: %[3]q
  migrations: true
  indexer_addr: %[4]s/
updaters:
  sets: [debian]
  config:
    debian: {json_url: %[5]q}
notifier:
  connstring: %[6]q
  migrations: true
  indexer_addr: %[4]s/
  matcher_addr: %[4]s/
  webhook:
    target: %[7]q
    callback: %[4]s/notifier/api/v1/notification/
`, base64.StdEncoding.EncodeToString(c.PSK), dbs["indexer"], dbs["matcher"], c.URL, opts.FeedURL, dbs["notifier"], opts.Webhook)
	for _, p := range c.procs {
		p.conf = filepath.Join(c.dir, p.Mode+".yaml")
		doc := fmt.Sprintf("http_listen_addr: %s\nintrospection_addr: %s\n", strings.TrimPrefix(p.API, "http://"), strings.TrimPrefix(p.Introspection, "http://")) + shared
		if err := os.WriteFile(p.conf, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c.intervals = opts.Intervals
	if c.intervals == "" {
		c.intervals = "updater=200ms,poll=200ms,retry=100ms"
	}
	for _, s := range Services {
		c.start(c.procs[s], c.intervals)
	}

	// nginx, unprivileged, in the foreground.
	ng := deploy.Nginx{Listen: lb, RuntimeDir: filepath.Join(c.dir, "nginx")}
	for _, s := range Services {
		addr := strings.TrimPrefix(c.procs[s].API, "http://")
		switch s {
		case "indexer":
			ng.Indexers = []string{addr}
		case "matcher":
			ng.Matchers = []string{addr}
		case "notifier":
			ng.Notifiers = []string{addr}
		}
	}
	conf, err := ng.Render()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(ng.RuntimeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(c.dir, "nginx.conf")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	var nginxOut bytes.Buffer
	c.nginx = exec.Command(nginxBin, "-c", confPath, "-p", ng.RuntimeDir, "-e", "stderr", "-g", "daemon off;")
	c.nginx.Stdout, c.nginx.Stderr = &nginxOut, &nginxOut
	if err := c.nginx.Start(); err != nil {
		t.Fatalf("starting nginx: %v", err)
	}
	t.Cleanup(func() {
		c.nginx.Process.Signal(syscall.SIGQUIT)
		c.nginx.Wait()
		if t.Failed() {
			t.Logf("nginx output:\n%s", nginxOut.String())
			if b, err := os.ReadFile(filepath.Join(ng.RuntimeDir, "error.log")); err == nil {
				t.Logf("nginx error.log:\n%s", b)
			}
		}
	})
	waitFor(t, 30*time.Second, "nginx", func() bool {
		res, err := http.Get(c.URL + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	for _, s := range Services {
		c.WaitReady(s)
	}
	return c
}

// Process returns the process of a service.
func (c *Cluster) Process(mode string) *Process { return c.procs[mode] }

// start starts p's process.
func (c *Cluster) start(p *Process, intervals string) {
	c.t.Helper()
	log, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	p.cmd = exec.Command(c.bin, "-conf", p.conf, "-mode", p.Mode)
	p.cmd.Env = append(os.Environ(), "LOUPE_TEST_INTERVALS="+intervals)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("starting the %s: %v", p.Mode, err)
	}
	log.Close()
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(p.cmd, p.done)
	c.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				p.cmd.Process.Kill()
				<-p.done
			}
		}
		if c.t.Failed() {
			b, _ := os.ReadFile(p.log)
			c.t.Logf("log of the %s:\n%s", p.Mode, tail(b, 200))
		}
	})
}

// Kill kills (SIGKILL) the process of a service.
func (c *Cluster) Kill(mode string) {
	c.t.Helper()
	p := c.procs[mode]
	p.cmd.Process.Kill()
	<-p.done
}

// Restart starts the process of a service again, after Kill, and waits
// until it is ready.
func (c *Cluster) Restart(mode string) {
	c.t.Helper()
	c.start(c.procs[mode], c.intervals)
	c.WaitReady(mode)
}

// WaitReady waits until the process of a service answers its readiness
// probe.
func (c *Cluster) WaitReady(mode string) {
	c.t.Helper()
	p := c.procs[mode]
	waitFor(c.t, 60*time.Second, "the "+mode+" to be ready", func() bool {
		select {
		case <-p.done:
			b, _ := os.ReadFile(p.log)
			c.t.Fatalf("the %s exited:\n%s", mode, tail(b, 50))
		default:
		}
		res, err := http.Get(p.Introspection + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// Token returns a bearer token signed with the cluster's PSK, as Quay
// would send.
func (c *Cluster) Token() string {
	tok, err := client.Sign(c.PSK, "quay", time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

// Do sends a signed request through nginx and returns the answer's
// status and body.
func (c *Cluster) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Build builds cmd/loupe from this module, once per test binary, and
// returns the path of the binary.
func Build(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			build.err = fmt.Errorf("finding the module: %w", err)
			return
		}
		build.dir, build.err = os.MkdirTemp("", "loupe-clustertest-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "loupe")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/loupe")
		cmd.Dir = strings.TrimSpace(string(root))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// Cleanup removes the binary Build made; call it from TestMain.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var lns []net.Listener
	var ports []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ports = append(ports, port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func waitFor(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func tail(b []byte, lines int) string {
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-lines):], "\n")
}

// unavailable skips t for want of a tool, loudly, or fails it under CI.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if v := os.Getenv("CI"); v != "" && v != "false" && v != "0" {
		t.Fatalf("%s is required under CI=%s: %v", what, v, err)
	}
	fmt.Fprintf(os.Stderr, "\n*** clustertest: distributed tests SKIPPED: %v\n*** install %s (Debian: apt-get install nginx); CI=true makes this a failure\n\n", err, what)
	t.Skipf("%s unavailable: %v", what, err)
}
