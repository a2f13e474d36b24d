package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/pgtest"
	"github.com/loupe-dev/loupe/server"
)

// notifyManifests is how many indexed manifests each update affects, and
// notifyPackageCount how many packages each holds.
const (
	notifyManifests    = 10000
	notifyPackageCount = 100
)

// BenchmarkNotify10k is the latency of a notification when a
// vulnerability update affects 10,000 indexed manifests, through the
// whole real path in one combo-mode process: the Debian updater fetches
// a changed feed over loopback HTTP and lands it, the matcher reloads,
// the notifier diffs the update against the previous one, asks the
// indexer for the affected manifests (their stored record keys, then
// each manifest's report, matched), stores the notification set and
// delivers it to a webhook on loopback.
//
// Set up once per sub-benchmark, untimed: a server on a fresh database,
// 10,000 distinct manifests sharing one Debian layer of 100 packages
// (foo 1.0-1 among them) indexed over the API, and a first, silent update landed.
// Each iteration is then one land → notify cycle: the feed gains two
// vulnerabilities of foo (one fixed in 1.0-2, urgency high; one open,
// urgency low), so that every manifest is affected; in summary mode
// (the default) that makes 10,000 notifications, with disable_summary
// 20,000.
//
// ns/op is set to the mean latency from landing to webhook. Landing is
// the Date of the update operation, read back from
// GET /matcher/api/v1/internal/update_operation: both stores take it with
// time.Now, to the microsecond, inside the transaction that stores the
// update, once the feed has been fetched, parsed and diffed against the
// live data and just before the operation and the new vulnerabilities
// are inserted and committed. The end is the webhook handler entered
// with the POST. Both are wall-clock readings of this one process. The
// interval holds, in order: the rest of the landing transaction (those
// inserts and the commit), update garbage collection (retention 10), the
// matcher's reload, the notifier's processing (reported alone as
// ms/process, the duration the notifier logs: diff, affected manifests,
// building and storing the set) and the delivery loop's wake-up and
// POST.
//
// Extra metrics, means over the iterations: ms/page-all, the time to
// page through the whole set from the webhook's callback URL with
// page_size=500; ms/fetch-to-land, from the feed server handing out the
// changed feed to landing (fetch, parse, diff, store).
func BenchmarkNotify10k(b *testing.B) {
	for _, summary := range []bool{true, false} {
		for _, store := range []string{"sqlite", "postgres"} {
			name := fmt.Sprintf("summary=%s/store=%s", map[bool]string{true: "on", false: "off"}[summary], store)
			b.Run(name, func(b *testing.B) { notify10k(b, store, summary) })
		}
	}
}

func notify10k(b *testing.B, store string, summary bool) {
	ctx := context.Background()
	procs := captureProcessed(b)

	feed := &notifyFeedServer{}
	feed.set(notifyFeed(0))
	fsrv := httptest.NewServer(feed)
	b.Cleanup(fsrv.Close)

	type hookCall struct {
		at time.Time
		cb loupe.Callback
	}
	calls := make(chan hookCall, 64)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var cb loupe.Callback
		if err := json.NewDecoder(r.Body).Decode(&cb); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case calls <- hookCall{at, cb}:
		default:
		}
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(hook.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	api := "http://" + ln.Addr().String()
	cfg := &config.Config{HTTPListenAddr: "127.0.0.1:0", IntrospectionAddr: "127.0.0.1:0", DataDir: b.TempDir(),
		Updaters: config.Updaters{Sets: []string{"debian"}, Config: map[string]json.RawMessage{
			"debian": json.RawMessage(fmt.Sprintf(`{"json_url": %q}`, fsrv.URL+"/tracker.json"))}},
		Notifier: config.Notifier{DisableSummary: !summary,
			Webhook: &config.Webhook{Target: hook.URL, Callback: api + "/notifier/api/v1/notification/"}},
	}
	if store == "postgres" {
		cfg.Indexer.ConnString, cfg.Indexer.Migrations = pgtest.DB(b), true
		cfg.Matcher.ConnString, cfg.Matcher.Migrations = pgtest.DB(b), true
		cfg.Notifier.ConnString, cfg.Notifier.Migrations = pgtest.DB(b), true
	}
	if _, err := config.Validate(cfg, config.ComboMode); err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- server.Run(sctx, server.Options{Config: cfg, Mode: config.ComboMode, Listener: ln,
			UpdaterPeriod: 100 * time.Millisecond, Ready: func(net.Addr) { close(ready) }})
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case err := <-done:
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	b.Cleanup(client.CloseIdleConnections)

	// 10,000 manifests of one layer: it is fetched and scanned once, then
	// each manifest's report (and its record keys) is stored.
	reg := serveBlob(b, layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(notifyPackages()...)),
	)))
	t0 := time.Now()
	var g errgroup.Group
	g.SetLimit(4)
	for i := range notifyManifests {
		g.Go(func() error {
			m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest(fmt.Appendf(nil, "notify manifest %d", i))),
				Layers: []*loupe.Layer{reg}}
			return indexManifest(client, api, m)
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	indexTime := time.Since(t0)

	// The first update (the feed as the server started with it) lands
	// silently; wait for it.
	deadline := time.Now().Add(time.Minute)
	prev, ok := latestOp(b, client, api)
	for ; !ok; prev, ok = latestOp(b, client, api) {
		if time.Now().After(deadline) {
			b.Fatal("the first update never landed")
		}
		time.Sleep(50 * time.Millisecond)
	}

	wantNotes := notifyManifests
	if !summary {
		wantNotes *= 2
	}
	seen := map[string]bool{}
	var landToHook, fetchToLand, paging []time.Duration
	round := 0
	for b.Loop() {
		round++
		feed.set(notifyFeed(round))
		var call hookCall
		for call.cb.NotificationID == "" || seen[call.cb.NotificationID] { // at least once: skip repeats
			select {
			case call = <-calls:
			case <-time.After(5 * time.Minute):
				b.Fatalf("round %d: no webhook call after 5 minutes", round)
			}
		}
		seen[call.cb.NotificationID] = true
		op, _ := latestOp(b, client, api)
		if op.Ref == prev.Ref {
			b.Fatalf("round %d: webhook called, but no new update operation", round)
		}
		prev = op
		landToHook = append(landToHook, call.at.Sub(op.Date))
		fetchToLand = append(fetchToLand, op.Date.Sub(feed.servedAt()))

		t := time.Now()
		notes := pageAll(b, client, call.cb.Callback)
		paging = append(paging, time.Since(t))
		checkNotes(b, notes, round, summary, wantNotes)
		if testing.Verbose() {
			b.Logf("round %d: land to webhook %v, fetch to land %v, paging %v", round, landToHook[round-1], fetchToLand[round-1], paging[round-1])
		}
		req, _ := http.NewRequest(http.MethodDelete, call.cb.Callback, nil) // acknowledge, as a subscriber does
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("round %d: acknowledging the set: %s", round, res.Status)
		}
	}
	proc := procs.durations()
	if len(proc) != round {
		b.Logf("%d processed operations with notifications logged, want %d", len(proc), round)
	}
	b.ReportMetric(float64(mean(landToHook).Nanoseconds()), "ns/op")
	b.ReportMetric(ms(mean(paging)), "ms/page-all")
	b.ReportMetric(ms(mean(proc)), "ms/process")
	b.ReportMetric(ms(mean(fetchToLand)), "ms/fetch-to-land")
	b.ReportMetric(float64(wantNotes), "notifications")
	b.ReportMetric(notifyManifests, "manifests")
	b.ReportMetric(indexTime.Seconds(), "index-s")
}

// notifyPackages are the image's packages: foo and its library, bar, and
// fillers to make notifyPackageCount, about what a Debian base image
// holds (bookworm's has 88), so that each report weighs what a real one
// does.
func notifyPackages() []layertest.Deb {
	debs := []layertest.Deb{
		{Name: "foo", Version: "1.0-1", Source: "foo"},
		{Name: "libfoo1", Version: "1.0-1", Source: "foo"},
		{Name: "libbar2", Version: "2.0-1", Source: "bar"},
	}
	for i := len(debs); i < notifyPackageCount; i++ {
		debs = append(debs, layertest.Deb{Name: fmt.Sprintf("filler%03d", i), Version: fmt.Sprintf("1:%d.2.3-4+deb12u1", i),
			Source: fmt.Sprintf("filler-src%03d (%d.2.3-4)", i/2, i)})
	}
	return debs
}

// notifyFeed is the Debian tracker export of round: bar's vulnerability
// in every round, and two vulnerabilities of foo more in each.
func notifyFeed(round int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"bar": {"CVE-2000-0001": {"description": "in every round", "releases": {"bookworm": {"status": "open", "urgency": "low"}}}}`)
	if round > 0 {
		buf.WriteString(`, "foo": {`)
		for r := 1; r <= round; r++ {
			if r > 1 {
				buf.WriteString(", ")
			}
			fmt.Fprintf(&buf, `"CVE-2099-%05d": {"description": "round %d, fixed", "releases": {"bookworm": {"status": "resolved", "fixed_version": "1.0-2", "urgency": "high"}}}, `, 2*r-1, r)
			fmt.Fprintf(&buf, `"CVE-2099-%05d": {"description": "round %d, open", "releases": {"bookworm": {"status": "open", "urgency": "low"}}}`, 2*r, r)
		}
		buf.WriteString("}")
	}
	buf.WriteString("}")
	return buf.Bytes()
}

// notifyFeedServer serves the current feed and notes when it first
// handed out the current version.
type notifyFeedServer struct {
	mu     sync.Mutex
	body   []byte
	served time.Time
}

func (f *notifyFeedServer) set(body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.served = body, time.Time{}
}

func (f *notifyFeedServer) servedAt() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

func (f *notifyFeedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.served.IsZero() {
		f.served = time.Now()
	}
	body := f.body
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func indexManifest(client *http.Client, api string, m *loupe.Manifest) error {
	body, _ := json.Marshal(m)
	res, err := client.Post(api+"/indexer/api/v1/index_report", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("index %s: %s", m.Hash, res.Status)
	}
	return nil
}

// latestOp returns the newest vulnerability update operation, and false
// if there is none.
func latestOp(b *testing.B, client *http.Client, api string) (loupe.UpdateOperation, bool) {
	res, err := client.Get(api + "/matcher/api/v1/internal/update_operation?latest=true")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var ops map[string][]loupe.UpdateOperation
	if err := json.NewDecoder(res.Body).Decode(&ops); err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("update_operation: %s %v", res.Status, err)
	}
	var op loupe.UpdateOperation
	for _, list := range ops {
		for _, o := range list {
			if o.Date.After(op.Date) {
				op = o
			}
		}
	}
	return op, op.Ref != ""
}

// pageAll reads a whole notification set from its callback URL, 500 at a
// time, as a subscriber would.
func pageAll(b *testing.B, client *http.Client, callback string) []loupe.Notification {
	var all []loupe.Notification
	next := ""
	for {
		u := callback + "?page_size=500"
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		res, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		var page loupe.NotificationPage
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("paging %s: %s %v", u, res.Status, err)
		}
		all = append(all, page.Notifications...)
		if page.Page.Next == "" {
			return all
		}
		next = page.Page.Next
	}
}

// checkNotes checks that a set is this round's: every manifest, with this
// round's vulnerabilities of foo only.
func checkNotes(b *testing.B, notes []loupe.Notification, round int, summary bool, want int) {
	fixed, open := fmt.Sprintf("CVE-2099-%05d", 2*round-1), fmt.Sprintf("CVE-2099-%05d", 2*round)
	manifests := map[loupe.Digest]int{}
	for _, n := range notes {
		name := n.Vulnerability.Name
		if n.Reason != loupe.ReasonAdded || !(name == fixed || !summary && name == open) {
			b.Fatalf("round %d: unexpected notification %s %s", round, n.Reason, name)
		}
		manifests[n.Manifest]++
	}
	if len(notes) != want || len(manifests) != notifyManifests {
		b.Fatalf("round %d: %d notifications for %d manifests, want %d for %d", round, len(notes), len(manifests), want, notifyManifests)
	}
}

// processedLog collects the durations the notifier logs for the update
// operations it turned into notifications.
type processedLog struct {
	mu sync.Mutex
	d  []time.Duration
}

// captureProcessed routes the default logger to a processedLog for the
// rest of the benchmark.
func captureProcessed(b *testing.B) *processedLog {
	p := &processedLog{}
	old := slog.Default()
	slog.SetDefault(slog.New(p))
	b.Cleanup(func() { slog.SetDefault(old) })
	return p
}

func (p *processedLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (p *processedLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "update operation processed" {
		return nil
	}
	var (
		d     time.Duration
		notes int64
	)
	r.Attrs(func(a slog.Attr) bool {
		switch v := a.Value.Resolve(); {
		case a.Key == "duration" && v.Kind() == slog.KindDuration:
			d = v.Duration()
		case a.Key == "notifications" && v.Kind() == slog.KindInt64:
			notes = v.Int64()
		}
		return true
	})
	if notes > 0 {
		p.mu.Lock()
		p.d = append(p.d, d)
		p.mu.Unlock()
	}
	return nil
}

func (p *processedLog) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *processedLog) WithGroup(string) slog.Handler      { return p }

func (p *processedLog) durations() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.d)
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
