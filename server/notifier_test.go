package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/client"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/brokertest"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/pgtest"
	"github.com/loupe-dev/loupe/server"
	"github.com/loupe-dev/loupe/store"
)

// The notifier's end-to-end tests run a whole Loupe (combo mode) against a
// Debian tracker feed the test changes: the first version lands silently,
// the second adds a vulnerability for curl and drops zlib's, and each
// delivery mechanism must tell the subscriber exactly that.

// Feed versions. v1 is what the image is first matched against; v2 adds
// CVE-2024-2398 (curl 7.88.1-10+deb12u8 is below its fix) and removes
// CVE-2023-45853 (zlib); v3 adds CVE-2024-9681 for curl as well.
var (
	feedV1 = `{
  "util-linux": {"CVE-2024-28085": {"description": "wall escape sequences", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "2.38.1-5+deb12u1", "urgency": "low"}}}},
  "zlib": {"CVE-2023-45853": {"description": "MiniZip integer overflow", "releases": {
      "bookworm": {"status": "open", "urgency": "unimportant"}}}}
}`
	feedV2 = `{
  "util-linux": {"CVE-2024-28085": {"description": "wall escape sequences", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "2.38.1-5+deb12u1", "urgency": "low"}}}},
  "curl": {"CVE-2024-2398": {"description": "HTTP/2 push headers memory leak", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u9", "urgency": "medium"}}}}
}`
	feedV3 = `{
  "util-linux": {"CVE-2024-28085": {"description": "wall escape sequences", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "2.38.1-5+deb12u1", "urgency": "low"}}}},
  "curl": {
    "CVE-2024-2398": {"description": "HTTP/2 push headers memory leak", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u9", "urgency": "medium"}}},
    "CVE-2024-9681": {"description": "HSTS subdomain overwrites parent cache entry", "releases": {
      "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u11", "urgency": "low"}}}}
}`
)

// feed serves a tracker document the test can replace.
type feed struct {
	*httptest.Server
	doc atomic.Pointer[string]
}

func newFeed(t *testing.T, doc string) *feed {
	f := &feed{}
	f.doc.Store(&doc)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, *f.doc.Load())
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feed) set(doc string) { f.doc.Store(&doc) }

// change is what the tests compare notifications by: all that a
// subscriber acts on.
func change(n loupe.Notification) string {
	v := n.Vulnerability
	pkg := ""
	if v.Package != nil {
		pkg = v.Package.Name
	}
	dist := ""
	if v.Distribution != nil {
		dist = v.Distribution.VersionCodeName
	}
	return fmt.Sprintf("%s %s %s pkg=%s dist=%s fixed=%s %s/%s", n.Manifest, n.Reason, v.Name, pkg, dist, v.FixedInVersion, v.Severity, v.NormalizedSeverity)
}

func changes(notes []loupe.Notification) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = change(n)
	}
	slices.Sort(out)
	return out
}

// wantV2 is what landing feedV2 tells about manifest m.
func wantV2(m loupe.Digest) []string {
	return []string{
		m.String() + " added CVE-2024-2398 pkg=curl dist=bookworm fixed=7.88.1-10+deb12u9 Medium/Medium",
		m.String() + " removed CVE-2023-45853 pkg=zlib dist=bookworm fixed= Negligible/Negligible",
	}
}

// notifying is a Loupe with the notifier on, and an image indexed.
type notifying struct {
	api, introspection string
	feed               *feed
	manifest           loupe.Digest
}

// notifierConfig returns the config of a Loupe at api reading feedURL,
// with disable_summary (so that each change is a notification of its
// own) and the delivery block given, where {callback} stands for the
// callback base. Every service uses the PostgreSQL database conn, or the
// embedded one when conn is empty.
func notifierConfig(t *testing.T, api, feedURL, delivery, conn string) string {
	return fmt.Sprintf(`
http_listen_addr: %[1]s
data_dir: %[2]s
indexer: {connstring: %[4]q, migrations: true}
matcher: {connstring: %[4]q, migrations: true}
updaters:
  sets: [debian]
  config:
    debian:
      json_url: %[3]s/tracker.json
notifier:
  connstring: %[4]q
  migrations: true
  disable_summary: true
`, api, filepath.Join(t.TempDir(), "data"), feedURL, conn) + indent(strings.ReplaceAll(delivery, "{callback}", "http://"+api+"/notifier/api/v1/notification/"), "  ")
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// startNotifying starts Loupe with the delivery block and database (see
// notifierConfig), indexes an image, and returns once feedV1 has landed.
func startNotifying(t *testing.T, delivery, conn string) *notifying {
	t.Helper()
	f := newFeed(t, feedV1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, notifierConfig(t, ln.Addr().String(), f.URL, delivery, conn))
	api, intro := runServer(t, cfg, server.Options{Mode: config.ComboMode, Listener: ln,
		UpdaterPeriod: 100 * time.Millisecond, NotifierPollInterval: 100 * time.Millisecond, NotifierRetryMin: 50 * time.Millisecond})
	n := &notifying{api: api, introspection: intro, feed: f}
	n.manifest = indexImage(t, api)
	waitReport(t, api, n.manifest, "CVE-2023-45853")
	return n
}

func loadConfig(t *testing.T, doc string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// indexImage indexes a Debian bookworm image with curl, zlib and
// util-linux, and returns its manifest digest.
func indexImage(t *testing.T, api string) loupe.Digest {
	t.Helper()
	reg := newServe(t)
	l := reg.layer(layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
			layertest.Deb{Name: "util-linux", Version: "2.38.1-5+b1", Source: "util-linux (2.38.1-5)"},
			layertest.Deb{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"},
			layertest.Deb{Name: "curl", Version: "7.88.1-10+deb12u8"},
		)),
	)))
	m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(t.Name()))), Layers: []*loupe.Layer{&l}}
	if res, body := do(t, http.MethodPost, api+"/indexer/api/v1/index_report", m); res.StatusCode != http.StatusCreated {
		t.Fatalf("index: %s %s", res.Status, body)
	}
	return m.Hash
}

// waitReport waits until the vulnerability report of m names vuln.
func waitReport(t *testing.T, api string, m loupe.Digest, vuln string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, body := do(t, http.MethodGet, api+"/matcher/api/v1/vulnerability_report/"+m.String(), nil)
		if res.StatusCode == http.StatusOK && strings.Contains(string(body), `"`+vuln+`"`) {
			return
		}
		if (res.StatusCode != http.StatusOK && res.StatusCode != http.StatusAccepted) || time.Now().After(deadline) {
			t.Fatalf("vulnerability report never named %s: %s %s", vuln, res.Status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runServer runs server.Run with cfg and opts (Mode, Listener and the
// test knobs) until the test ends, and returns the API's and the
// introspection server's base URLs.
func runServer(t *testing.T, cfg *config.Config, opts server.Options) (api, introspection string) {
	t.Helper()
	if _, err := config.Validate(cfg, opts.Mode); err != nil {
		t.Fatal(err)
	}
	if opts.Listener == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts.Listener = ln
	}
	iln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.Config, opts.IntrospectionListener = cfg, iln
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	opts.Ready = func(net.Addr) { close(ready) }
	go func() { done <- server.Run(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server.Run: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		done <- nil // for the cleanup
		t.Fatalf("server.Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready after 30s")
	}
	return "http://" + opts.Listener.Addr().String(), "http://" + iln.Addr().String()
}

// hook is a webhook target on loopback that records the callbacks it
// accepts.
type hook struct {
	*httptest.Server
	calls    chan loupe.Callback
	refuse   atomic.Int32 // answer 503 to this many more requests
	hold     atomic.Int32 // hold this many more requests open, until the client goes
	held     chan loupe.Callback
	attempts atomic.Int32 // every request, refused or not
}

func newHook(t *testing.T) *hook {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return newHookOn(t, ln)
}

// newHookOn starts a hook on ln.
func newHookOn(t *testing.T, ln net.Listener) *hook {
	h := &hook{calls: make(chan loupe.Callback, 16), held: make(chan loupe.Callback, 16)}
	h.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.attempts.Add(1)
		var cb loupe.Callback
		if err := json.NewDecoder(r.Body).Decode(&cb); err != nil || r.Method != http.MethodPost ||
			r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, fmt.Sprintf("bad callback: %s %v", r.Method, err), http.StatusBadRequest)
			return
		}
		if h.hold.Add(-1) >= 0 {
			h.held <- cb
			<-r.Context().Done()
			return
		}
		if h.refuse.Add(-1) >= 0 {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		h.calls <- cb
		w.WriteHeader(http.StatusNoContent)
	}))
	h.Listener.Close()
	h.Listener = ln
	h.Start()
	t.Cleanup(h.Close)
	return h
}

// next waits for the next accepted callback.
func (h *hook) next(t *testing.T) loupe.Callback {
	t.Helper()
	select {
	case cb := <-h.calls:
		return cb
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook callback within 20s")
		return loupe.Callback{}
	}
}

// quiet checks that no further callback comes for a while.
func (h *hook) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case cb := <-h.calls:
		t.Errorf("unexpected callback %+v", cb)
	case <-time.After(d):
	}
}

// page pages through a notification set with page_size size, checking
// the page fields as it goes, and returns every notification.
func page(t *testing.T, callback string, size int) []loupe.Notification {
	t.Helper()
	var all []loupe.Notification
	next := ""
	for range 100 {
		u := callback + "?page_size=" + fmt.Sprint(size)
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		res, body := do(t, http.MethodGet, u, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %s", u, res.Status, body)
		}
		var p loupe.NotificationPage
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("GET %s: %v: %s", u, err, body)
		}
		if p.Page.Size != size || len(p.Notifications) > size {
			t.Errorf("page size %d with %d notifications, asked for %d", p.Page.Size, len(p.Notifications), size)
		}
		all = append(all, p.Notifications...)
		if p.Page.Next == "" {
			return all
		}
		if len(p.Notifications) == 0 || p.Page.Next != p.Notifications[len(p.Notifications)-1].ID {
			t.Fatalf("next %q is not the page's last notification: %s", p.Page.Next, body)
		}
		next = p.Page.Next
	}
	t.Fatal("more than 100 pages")
	return nil
}

// checkCallback pages the set of a webhook callback, checks it holds
// want, acknowledges it and checks that it is gone.
func checkCallback(t *testing.T, n *notifying, cb loupe.Callback, want []string) {
	t.Helper()
	if !strings.HasPrefix(cb.Callback, n.api+"/notifier/api/v1/notification/") || !strings.HasSuffix(cb.Callback, "/"+cb.NotificationID) {
		t.Errorf("callback %q for notification %q, API at %s", cb.Callback, cb.NotificationID, n.api)
	}
	// One at a time, so that paging is exercised too.
	got := page(t, cb.Callback, 1)
	if diff := cmp.Diff(want, changes(got)); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	if res, body := do(t, http.MethodDelete, cb.Callback, nil); res.StatusCode != http.StatusOK {
		t.Errorf("DELETE: %s %s", res.Status, body)
	}
	if res, body := do(t, http.MethodGet, cb.Callback, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET after DELETE: %s %s", res.Status, body)
	}
}

// metric returns the value of the named metric (with labels, as
// exposed) from the introspection server, or -1 when it is absent.
func metric(t *testing.T, introspection, name string) float64 {
	t.Helper()
	_, body := do(t, http.MethodGet, introspection+"/metrics", nil)
	for line := range strings.Lines(string(body)) {
		var v float64
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	return -1
}

const webhookDelivery = `
webhook:
  target: %s
  callback: {callback}
`

// TestNotifyWebhook is the notifier's whole flow on each database:
// index, land a change, get one callback, page it, acknowledge it.
func TestNotifyWebhook(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run("store="+db, func(t *testing.T) {
			conn := ""
			if db == "postgres" {
				conn = pgtest.DB(t)
			}
			h := newHook(t)
			n := startNotifying(t, fmt.Sprintf(webhookDelivery, h.URL), conn)
			// The first load is not news.
			h.quiet(t, 300*time.Millisecond)
			n.feed.set(feedV2)
			cb := h.next(t)
			checkCallback(t, n, cb, wantV2(n.manifest))
			h.quiet(t, 500*time.Millisecond)
			if got := metric(t, n.introspection, "loupe_notifier_notifications_created_total"); got != 2 {
				t.Errorf("notifications created = %v, want 2", got)
			}
			if got := metric(t, n.introspection, "loupe_notifier_sets_delivered_total"); got != 1 {
				t.Errorf("sets delivered = %v, want 1", got)
			}
			if got := metric(t, n.introspection, "loupe_notifier_notifications_delivered_total"); got != 2 {
				t.Errorf("notifications delivered = %v, want 2", got)
			}
			if got := metric(t, n.introspection, "loupe_notifier_delivery_failures_total"); got != 0 {
				t.Errorf("delivery failures = %v, want 0", got)
			}
		})
	}
}

// direct decodes the messages of a direct delivery: JSON arrays of
// notifications, each followed by a newline.
func direct(t *testing.T, bodies [][]byte) []loupe.Notification {
	t.Helper()
	var all []loupe.Notification
	for _, b := range bodies {
		var notes []loupe.Notification
		if !strings.HasSuffix(string(b), "]\n") {
			t.Errorf("message %q does not end in \"]\\n\"", b)
		}
		if err := json.Unmarshal(b, &notes); err != nil {
			t.Fatalf("message %q: %v", b, err)
		}
		all = append(all, notes...)
	}
	return all
}

// brokerDelivery is a Loupe delivering directly to a queue of the test
// broker, by AMQP or STOMP, through a proxy that can cut its connection.
type brokerDelivery struct {
	admin *brokertest.Admin
	queue string
	proxy *brokertest.Proxy
	block string // the notifier's delivery block
}

func newBrokerDelivery(t *testing.T, kind string) *brokerDelivery {
	t.Helper()
	switch kind {
	case "amqp":
		u := brokertest.AMQP(t)
		b := &brokerDelivery{admin: brokertest.NewAdmin(t, u)}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		b.proxy = brokertest.NewProxy(t, pu.Host)
		pu.Host = b.proxy.Addr()
		b.queue = b.admin.Queue()
		x := b.admin.Exchange("direct", false, true)
		b.admin.Bind(b.queue, x, "loupe")
		b.block = fmt.Sprintf(`
amqp:
  exchange: {name: %q, type: direct, auto_delete: true}
  routing_key: loupe
  uris: [%q]
  direct: true
  rollup: 1
`, x, pu.String())
		return b
	case "stomp":
		addr, u := brokertest.STOMP(t)
		b := &brokerDelivery{admin: brokertest.NewAdmin(t, u)}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		pass, _ := pu.User.Password()
		b.proxy = brokertest.NewProxy(t, addr)
		b.queue = b.admin.Queue()
		b.block = fmt.Sprintf(`
stomp:
  destination: /amq/queue/%s
  uris: [%q]
  host: %q
  user: {login: %q, passcode: %q}
  direct: true
`, b.queue, b.proxy.Addr(), brokertest.STOMPHost, pu.User.Username(), pass)
		return b
	}
	t.Fatalf("unknown broker %q", kind)
	return nil
}

// receive returns the notifications of the next n messages.
func (b *brokerDelivery) receive(t *testing.T, n int) []loupe.Notification {
	t.Helper()
	var bodies [][]byte
	for _, m := range b.admin.Receive(b.queue, n) {
		if m.ContentType != "application/json" {
			t.Errorf("message content type %q", m.ContentType)
		}
		bodies = append(bodies, m.Body)
	}
	return direct(t, bodies)
}

// TestNotifyDirect delivers the same change as TestNotifyWebhook through
// AMQP and STOMP in direct mode: the notifications are the messages, and
// a delivered set is acknowledged.
func TestNotifyDirect(t *testing.T) {
	for _, kind := range []string{"amqp", "stomp"} {
		t.Run(kind, func(t *testing.T) {
			b := newBrokerDelivery(t, kind)
			n := startNotifying(t, b.block, "")
			n.feed.set(feedV2)
			// rollup 1 (AMQP) and none (STOMP) both send one
			// notification per message.
			got := b.receive(t, 2)
			if diff := cmp.Diff(wantV2(n.manifest), changes(got)); diff != "" {
				t.Errorf("notifications (-want +got):\n%s", diff)
			}
			// Direct delivery acknowledges the set: it is not served.
			res, body := do(t, http.MethodGet, n.api+"/notifier/api/v1/notification/"+got[0].ID, nil)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("GET a set delivered directly: %s %s", res.Status, body)
			}
		})
	}
}

// TestNotifyBrokerDropped cuts the notifier's broker connection between
// two updates: the second is delivered over a new connection.
func TestNotifyBrokerDropped(t *testing.T) {
	for _, kind := range []string{"amqp", "stomp"} {
		t.Run(kind, func(t *testing.T) {
			b := newBrokerDelivery(t, kind)
			n := startNotifying(t, b.block, "")
			n.feed.set(feedV2)
			if diff := cmp.Diff(wantV2(n.manifest), changes(b.receive(t, 2))); diff != "" {
				t.Errorf("first update (-want +got):\n%s", diff)
			}
			if cut := b.proxy.Drop(); cut != 1 {
				t.Errorf("dropped %d connections, want the notifier's 1", cut)
			}
			n.feed.set(feedV3)
			want := []string{n.manifest.String() + " added CVE-2024-9681 pkg=curl dist=bookworm fixed=7.88.1-10+deb12u11 Low/Low"}
			if diff := cmp.Diff(want, changes(b.receive(t, 1))); diff != "" {
				t.Errorf("second update (-want +got):\n%s", diff)
			}
			if got := b.proxy.Accepted(); got != 2 {
				t.Errorf("the notifier connected %d times, want 2", got)
			}
		})
	}
}

// TestNotifyWebhookDown keeps the webhook target down (connections
// refused, then 503s) while a set is due: it is delivered, once, when the
// target is back.
func TestNotifyWebhookDown(t *testing.T) {
	target := brokertest.ClosedAddr(t)
	n := startNotifying(t, fmt.Sprintf(webhookDelivery, "http://"+target+"/hook"), "")
	n.feed.set(feedV2)
	waitMetric(t, n.introspection, "loupe_notifier_delivery_failures_total", 3)
	if got := metric(t, n.introspection, `loupe_notifier_sets{status="pending"}`); got != 1 {
		t.Errorf("pending sets = %v while the target is down, want 1", got)
	}
	// Up again, but answering 503 at first.
	ln, err := net.Listen("tcp", target)
	if err != nil {
		t.Fatalf("taking the target's address back: %v", err)
	}
	h := newHookOn(t, ln)
	h.refuse.Store(2)
	cb := h.next(t)
	checkCallback(t, n, cb, wantV2(n.manifest))
	h.quiet(t, 500*time.Millisecond)
	if got := h.attempts.Load(); got != 3 {
		t.Errorf("the target saw %d requests, want 3 (two refused)", got)
	}
	if got := metric(t, n.introspection, "loupe_notifier_sets_delivered_total"); got != 1 {
		t.Errorf("sets delivered = %v, want 1", got)
	}
}

// waitMetric waits until the metric reaches at least min.
func waitMetric(t *testing.T, introspection, name string, min float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for metric(t, introspection, name) < min {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v (now %v)", name, min, metric(t, introspection, name))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childEnv, when set, makes the test binary serve combo mode with the
// config file it names instead of running tests, on the listener it
// inherits as file descriptor 3: a Loupe in a process of its own, for
// tests to kill.
const childEnv = "LOUPE_TEST_SERVE_CONF"

// childLeaseTTL is the lease TTL of a child, so that work a killed child
// held is taken over in seconds (production: 30s).
const childLeaseTTL = 2 * time.Second

func serveChild(conf string) int {
	cfg, err := config.Load(conf)
	if err == nil {
		_, err = config.Validate(cfg, config.ComboMode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	store.LeaseTTL = childLeaseTTL
	ln, err := net.FileListener(os.NewFile(3, "api"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "inherited listener:", err)
		return 2
	}
	iln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err = server.Run(ctx, server.Options{Config: cfg, Mode: config.ComboMode, Listener: ln, IntrospectionListener: iln,
		UpdaterPeriod: 100 * time.Millisecond, NotifierPollInterval: 100 * time.Millisecond, NotifierRetryMin: 50 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "server.Run:", err)
		return 1
	}
	return 0
}

// child is a Loupe in a process of its own.
type child struct {
	cmd *exec.Cmd
	log *os.File
}

// startChild starts a Loupe serving on ln with the config file conf,
// logging to a file shown when the test fails.
func startChild(t *testing.T, ln net.Listener, conf string) *child {
	t.Helper()
	lf, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	log, err := os.CreateTemp(t.TempDir(), "child-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+conf)
	cmd.ExtraFiles = []*os.File{lf}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, log: log}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("log of child %d:\n%s", cmd.Process.Pid, b)
		}
	})
	// The listener is already open: wait until the child answers on it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + ln.Addr().String() + "/indexer/api/v1/index_state")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("child not serving after 30s: %v %v", res, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNotifierKilledMidDelivery kills (SIGKILL) the notifier's process
// while the webhook holds its delivery open: the set stays pending, and a
// new process delivers it, the same set, once the dead one's lease on it
// has expired. The webhook saw the first attempt too: delivery is at
// least once.
func TestNotifierKilledMidDelivery(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run("store="+db, func(t *testing.T) {
			conn := ""
			if db == "postgres" {
				conn = pgtest.DB(t)
			}
			h := newHook(t)
			h.hold.Store(1)
			f := newFeed(t, feedV1)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			conf := filepath.Join(t.TempDir(), "config.yaml")
			doc := notifierConfig(t, ln.Addr().String(), f.URL, fmt.Sprintf(webhookDelivery, h.URL), conn)
			if err := os.WriteFile(conf, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}

			c := startChild(t, ln, conf)
			n := &notifying{api: "http://" + ln.Addr().String(), feed: f}
			n.manifest = indexImage(t, n.api)
			waitReport(t, n.api, n.manifest, "CVE-2023-45853")
			n.feed.set(feedV2)
			var cut loupe.Callback
			select {
			case cut = <-h.held:
			case <-time.After(20 * time.Second):
				t.Fatal("no delivery attempt within 20s")
			}
			if err := c.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			c.cmd.Wait()

			killed := time.Now()
			c = startChild(t, ln, conf)
			cb := h.next(t)
			if cb != cut {
				t.Errorf("delivered %+v after the restart, want the set cut off, %+v", cb, cut)
			}
			if took := time.Since(killed); took > childLeaseTTL+10*time.Second {
				t.Errorf("delivered %v after the kill; the lease lasts %v", took, childLeaseTTL)
			}
			checkCallback(t, n, cb, wantV2(n.manifest))
			h.quiet(t, 500*time.Millisecond)

			// And the new process stops cleanly.
			c.cmd.Process.Signal(syscall.SIGTERM)
			if err := c.cmd.Wait(); err != nil {
				t.Errorf("child after SIGTERM: %v", err)
			}
		})
	}
}

// signedDo is do with a bearer token signed with key.
func signedDo(t *testing.T, key []byte, method, u string, body any) (*http.Response, []byte) {
	t.Helper()
	token, err := client.Sign(key, "quay", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return doWith(t, http.Header{"Authorization": {"Bearer " + token}}, method, u, body)
}

// TestDistributed runs the three services as three nodes from one config
// file, each with a database of its own and PSK authentication on: the
// matcher fetches index reports from the indexer, the notifier asks the
// matcher for updates and the indexer for affected manifests, all signed,
// over HTTP.
func TestDistributed(t *testing.T) {
	key := []byte("thirty-two bytes of shared key!!")
	f := newFeed(t, feedV1)
	h := newHook(t)
	lns := map[config.Mode]net.Listener{}
	urls := map[config.Mode]string{}
	for _, m := range []config.Mode{config.IndexerMode, config.MatcherMode, config.NotifierMode} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[m], urls[m] = ln, "http://"+ln.Addr().String()
	}
	dir := t.TempDir()
	doc := fmt.Sprintf(`
http_listen_addr: ":6060"
auth:
  psk: {key: %q, iss: [quay]}
indexer:
  connstring: sqlite:%[2]s/indexer.db
matcher:
  connstring: sqlite:%[2]s/matcher.db
  indexer_addr: %[3]s
updaters:
  sets: [debian]
  config:
    debian: {json_url: %[4]q}
notifier:
  connstring: sqlite:%[2]s/notifier.db
  indexer_addr: %[3]s
  matcher_addr: %[5]s
  disable_summary: true
  webhook:
    target: %[6]s
    callback: %[7]s/notifier/api/v1/notification/
`, base64.StdEncoding.EncodeToString(key), dir, urls[config.IndexerMode], f.URL+"/tracker.json",
		urls[config.MatcherMode], h.URL, urls[config.NotifierMode])
	cfgs := map[config.Mode]*config.Config{}
	intro := map[config.Mode]string{}
	for _, m := range []config.Mode{config.IndexerMode, config.MatcherMode, config.NotifierMode} {
		cfgs[m] = loadConfig(t, doc) // one file, loaded by each node
		_, intro[m] = runServer(t, cfgs[m], server.Options{Mode: m, Listener: lns[m],
			UpdaterPeriod: 100 * time.Millisecond, NotifierPollInterval: 100 * time.Millisecond, NotifierRetryMin: 50 * time.Millisecond})
	}

	// Each node serves its own routes only, and only to signed requests.
	for m, path := range map[config.Mode]string{
		config.IndexerMode:  "/indexer/api/v1/index_state",
		config.MatcherMode:  "/matcher/api/v1/internal/update_operation",
		config.NotifierMode: "/notifier/api/v1/notification/" + "01a200c8-5cbe-7df4-9275-43abe0046575",
	} {
		if res, body := do(t, http.MethodGet, urls[m]+path, nil); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%v: unsigned GET %s: %s %s", m, path, res.Status, body)
		}
		for other, u := range urls {
			if other == m {
				continue
			}
			if res, _ := signedDo(t, key, http.MethodGet, u+path, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("%v node serves %s: %s", other, path, res.Status)
			}
		}
	}

	reg := newServe(t)
	l := reg.layer(layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(
			layertest.Deb{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"},
			layertest.Deb{Name: "curl", Version: "7.88.1-10+deb12u8"},
		)),
	)))
	m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(t.Name()))), Layers: []*loupe.Layer{&l}}
	if res, body := signedDo(t, key, http.MethodPost, urls[config.IndexerMode]+"/indexer/api/v1/index_report", m); res.StatusCode != http.StatusCreated {
		t.Fatalf("index: %s %s", res.Status, body)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, body := signedDo(t, key, http.MethodGet, urls[config.MatcherMode]+"/matcher/api/v1/vulnerability_report/"+m.Hash.String(), nil)
		if res.StatusCode == http.StatusOK && strings.Contains(string(body), "CVE-2023-45853") {
			break
		}
		if (res.StatusCode != http.StatusOK && res.StatusCode != http.StatusAccepted) || time.Now().After(deadline) {
			t.Fatalf("vulnerability report through the matcher node: %s %s", res.Status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An image the indexer does not know: 404 from the matcher.
	unknown := layertest.Digest([]byte("unknown"))
	if res, body := signedDo(t, key, http.MethodGet, urls[config.MatcherMode]+"/matcher/api/v1/vulnerability_report/"+unknown, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown manifest: %s %s", res.Status, body)
	}

	f.set(feedV2)
	cb := h.next(t)
	if !strings.HasPrefix(cb.Callback, urls[config.NotifierMode]) {
		t.Errorf("callback %q is not the notifier's", cb.Callback)
	}
	res, body := signedDo(t, key, http.MethodGet, cb.Callback, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("page: %s %s", res.Status, body)
	}
	var p loupe.NotificationPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantV2(m.Hash), changes(p.Notifications)); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	if res, body := signedDo(t, key, http.MethodDelete, cb.Callback, nil); res.StatusCode != http.StatusOK {
		t.Errorf("DELETE: %s %s", res.Status, body)
	}
	if got := metric(t, intro[config.NotifierMode], "loupe_notifier_sets_delivered_total"); got != 1 {
		t.Errorf("notifier node: sets delivered = %v, want 1", got)
	}
}
