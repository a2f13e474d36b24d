package amqp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/brokertest"
	"github.com/loupe-dev/loupe/notifier"
)

// notifications returns the JSON of n notifications.
func notifications(t *testing.T, n int) []json.RawMessage {
	t.Helper()
	var raw []json.RawMessage
	for i := range n {
		note := loupe.Notification{
			ID:     fmt.Sprintf("0190a000-0000-7000-8000-%012d", i),
			Reason: loupe.ReasonAdded,
			Vulnerability: loupe.VulnSummary{
				Name:        fmt.Sprintf("CVE-2024-%04d", i),
				Description: "a <script> & friends",
				Severity:    "High",
			},
		}
		b, err := json.Marshal(note)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b)
	}
	return raw
}

func strs(raw []json.RawMessage) []string {
	var s []string
	for _, r := range raw {
		s = append(s, string(r))
	}
	return s
}

func callback(id string) *notifier.Delivery {
	return &notifier.Delivery{
		ID:       id,
		Callback: "http://loupe.example/notifier/api/v1/notification/" + id,
		Notifications: func(context.Context) ([]json.RawMessage, error) {
			return nil, errors.New("a callback delivery read the notifications")
		},
	}
}

func direct(id string, raw []json.RawMessage) *notifier.Delivery {
	return &notifier.Delivery{
		ID:            id,
		Callback:      "http://loupe.example/notifier/api/v1/notification/" + id,
		Notifications: func(context.Context) ([]json.RawMessage, error) { return raw, nil },
	}
}

func newDeliverer(t *testing.T, cfg *config.AMQP) *Deliverer {
	t.Helper()
	if cfg.Exchange.Type == "" {
		cfg.Exchange.Type = "direct"
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// checkMessage checks the properties every message has.
func checkMessage(t *testing.T, m amqp091.Delivery) {
	t.Helper()
	if m.ContentType != "application/json" || m.AppId != AppID || m.DeliveryMode != amqp091.Persistent {
		t.Errorf("message properties: content type %q, app id %q, delivery mode %d; want application/json, %s, persistent",
			m.ContentType, m.AppId, m.DeliveryMode, AppID)
	}
}

func TestCallback(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	q := admin.Queue()
	// The default exchange: no declare, and the queue's name routes.
	d := newDeliverer(t, &config.AMQP{URIs: []string{url}, RoutingKey: q})
	if d.Direct() {
		t.Error("Direct() is true")
	}
	if err := d.Deliver(t.Context(), callback("set-1")); err != nil {
		t.Fatal(err)
	}
	m := admin.Receive(q, 1)[0]
	checkMessage(t, m)
	var got loupe.Callback
	if err := json.Unmarshal(m.Body, &got); err != nil {
		t.Fatalf("body %q: %v", m.Body, err)
	}
	want := loupe.Callback{NotificationID: "set-1", Callback: "http://loupe.example/notifier/api/v1/notification/set-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestDirect(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	for _, tc := range []struct {
		n, rollup int
		sizes     []int
	}{
		{n: 5, rollup: 2, sizes: []int{2, 2, 1}},
		{n: 3, rollup: 0, sizes: []int{1, 1, 1}},
		{n: 2, rollup: 1, sizes: []int{1, 1}},
		{n: 4, rollup: 10, sizes: []int{4}},
		{n: 0, rollup: 2, sizes: nil},
	} {
		t.Run(fmt.Sprintf("%d/%d", tc.n, tc.rollup), func(t *testing.T) {
			t.Parallel()
			admin := brokertest.NewAdmin(t, url)
			q := admin.Queue()
			x := admin.Exchange("topic", true, false)
			admin.Bind(q, x, "clair.#")
			d := newDeliverer(t, &config.AMQP{
				URIs:       []string{url},
				Exchange:   config.Exchange{Name: x, Type: "topic", Durable: true},
				RoutingKey: "clair.notifications",
				Direct:     true,
				Rollup:     tc.rollup,
			})
			if !d.Direct() {
				t.Error("Direct() is false")
			}
			raw := notifications(t, tc.n)
			if err := d.Deliver(t.Context(), direct("set", raw)); err != nil {
				t.Fatal(err)
			}
			var got []json.RawMessage
			var sizes []int
			for _, m := range admin.Receive(q, len(tc.sizes)) {
				checkMessage(t, m)
				body, ok := bytes.CutSuffix(m.Body, []byte("\n"))
				if !ok || !bytes.HasPrefix(body, []byte("[")) {
					t.Errorf("body %q is not a JSON array and a newline", m.Body)
				}
				var ns []json.RawMessage
				if err := json.Unmarshal(body, &ns); err != nil {
					t.Fatalf("body %q: %v", m.Body, err)
				}
				sizes = append(sizes, len(ns))
				got = append(got, ns...)
			}
			if !cmp.Equal(sizes, tc.sizes) {
				t.Errorf("notifications per message: got %v, want %v", sizes, tc.sizes)
			}
			if diff := cmp.Diff(strs(raw), strs(got)); diff != "" {
				t.Errorf("notifications (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotificationsError(t *testing.T) {
	t.Parallel()
	// Reading the set fails before anything is sent: no broker needed.
	d := newDeliverer(t, &config.AMQP{URIs: []string{"amqp://" + brokertest.ClosedAddr(t)}, RoutingKey: "k", Direct: true})
	dl := &notifier.Delivery{ID: "set", Notifications: func(context.Context) ([]json.RawMessage, error) {
		return nil, errors.New("database on fire")
	}}
	if err := d.Deliver(t.Context(), dl); err == nil || !strings.Contains(err.Error(), "database on fire") {
		t.Errorf("got %v, want the store's error", err)
	}
}

func TestMissingExchange(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	d := newDeliverer(t, &config.AMQP{
		URIs:       []string{url},
		Exchange:   config.Exchange{Name: brokertest.Name(t), Type: "direct"},
		RoutingKey: "k",
	})
	err := d.Deliver(t.Context(), callback("set"))
	if err == nil {
		t.Fatal("delivered to an exchange that does not exist")
	}
	t.Log(err)
	var ae *amqp091.Error
	if !errors.As(err, &ae) || ae.Code != amqp091.NotFound {
		t.Errorf("got %v, want the broker's NOT_FOUND", err)
	}
}

func TestUnroutable(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	x := admin.Exchange("direct", false, false)
	q := admin.Queue()
	admin.Bind(q, x, "bound")
	for _, cfg := range []*config.AMQP{
		{URIs: []string{url}, RoutingKey: brokertest.Name(t)}, // no such queue
		{URIs: []string{url}, Exchange: config.Exchange{Name: x, Type: "direct"}, RoutingKey: "unbound"},
		{URIs: []string{url}, Exchange: config.Exchange{Name: x, Type: "direct"}, RoutingKey: "unbound", Direct: true, Rollup: 2},
	} {
		d := newDeliverer(t, cfg)
		raw := notifications(t, 3)
		err := d.Deliver(t.Context(), direct("set", raw))
		if err == nil || !strings.Contains(err.Error(), "unroutable") {
			t.Errorf("exchange %q, routing key %q: got %v, want unroutable", cfg.Exchange.Name, cfg.RoutingKey, err)
		}
		t.Log(err)
		// The connection is fine: a routable delivery goes through on it.
		d.key = "bound"
		d.exchange.Name = x
		if err := d.Deliver(t.Context(), direct("set", raw)); err != nil {
			t.Errorf("after an unroutable delivery: %v", err)
		}
	}
}

func TestReconnect(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	q := admin.Queue()
	proxy := brokertest.NewProxy(t, hostPort(t, url))
	d := newDeliverer(t, &config.AMQP{URIs: []string{via(t, url, proxy.Addr())}, RoutingKey: q})

	deliver := func(what string) {
		t.Helper()
		if err := d.Deliver(t.Context(), callback(what)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	deliver("first")
	// Cut the connection, and deliver before the deliverer may have
	// noticed...
	if n := proxy.Drop(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	deliver("right after the drop")
	// ...and after it has.
	proxy.Drop()
	waitClosed(t, d)
	deliver("once the drop is noticed")
	if got := proxy.Accepted(); got != 3 {
		t.Errorf("deliverer connected %d times, want 3", got)
	}
	admin.Receive(q, 3)
}

// waitClosed waits for d to notice that its connection is gone.
func waitClosed(t *testing.T, d *Deliverer) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		d.mu.Lock()
		closed := d.conn == nil || d.conn.IsClosed()
		d.mu.Unlock()
		if closed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the deliverer did not notice the dropped connection")
		}
	}
}

func TestFailover(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	q := admin.Queue()
	down := via(t, url, brokertest.ClosedAddr(t))
	d := newDeliverer(t, &config.AMQP{URIs: []string{down, url}, RoutingKey: q})
	if err := d.Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	admin.Receive(q, 1)

	// Every broker down: the error names each, without its password.
	d = newDeliverer(t, &config.AMQP{URIs: []string{down, via(t, url, brokertest.ClosedAddr(t))}, RoutingKey: q})
	err := d.Deliver(t.Context(), callback("set"))
	if err == nil {
		t.Fatal("delivered with every broker down")
	}
	t.Log(err)
	if msg := err.Error(); strings.Count(msg, "connection refused") != 2 || strings.Contains(msg, "guest:guest") {
		t.Errorf("error %q: want both brokers' errors, without passwords", msg)
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	q := admin.Queue()
	proxy := brokertest.NewProxy(t, hostPort(t, url))
	d := newDeliverer(t, &config.AMQP{URIs: []string{via(t, url, proxy.Addr())}, RoutingKey: q, Direct: true, Rollup: 3})
	raw := notifications(t, 7) // 3 messages
	const n = 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := d.Deliver(t.Context(), direct(fmt.Sprint(i), raw)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	admin.Receive(q, 3*n)
	if got := proxy.Accepted(); got != 1 {
		t.Errorf("%d connections for concurrent deliveries, want 1", got)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	q := admin.Queue()
	for _, clientCert := range []bool{false, true} {
		proxy, files := brokertest.NewTLSProxy(t, hostPort(t, url), clientCert)
		uri := strings.Replace(via(t, url, proxy.Addr()), "amqp://", "amqps://", 1)
		tlsCfg := &config.TLS{RootCA: files.CA}
		if clientCert {
			// Without the certificate the proxy refuses the handshake.
			d := newDeliverer(t, &config.AMQP{URIs: []string{uri}, RoutingKey: q, TLS: tlsCfg})
			if err := d.Deliver(t.Context(), callback("set")); err == nil {
				t.Error("delivered without the client certificate the broker requires")
			} else {
				t.Log(err)
			}
			tlsCfg = &config.TLS{RootCA: files.CA, Cert: files.Cert, Key: files.Key}
		}
		d := newDeliverer(t, &config.AMQP{URIs: []string{uri}, RoutingKey: q, TLS: tlsCfg})
		if err := d.Deliver(t.Context(), callback("set")); err != nil {
			t.Errorf("client certificate %v: %v", clientCert, err)
		}
	}
	admin.Receive(q, 2)

	// A root the broker's certificate does not chain to.
	proxy, _ := brokertest.NewTLSProxy(t, hostPort(t, url), false)
	_, other := brokertest.NewTLSProxy(t, hostPort(t, url), false)
	uri := strings.Replace(via(t, url, proxy.Addr()), "amqp://", "amqps://", 1)
	d := newDeliverer(t, &config.AMQP{URIs: []string{uri}, RoutingKey: q, TLS: &config.TLS{RootCA: other.CA}})
	if err := d.Deliver(t.Context(), callback("set")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("got %v, want a certificate error", err)
	} else {
		t.Log(err)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	q := admin.Queue()
	d := newDeliverer(t, &config.AMQP{URIs: []string{url}, RoutingKey: q})
	if err := d.Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := d.Deliver(t.Context(), callback("set")); !errors.Is(err, ErrClosed) {
		t.Errorf("Deliver after Close: got %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, cfg := range []*config.AMQP{
		{},
		{URIs: []string{"http://guest:hunter2@localhost/"}},
		{URIs: []string{"amqp://guest:hunter2@local host/"}},
		{URIs: []string{"amqp://localhost/"}, TLS: &config.TLS{RootCA: "/nonexistent/ca.pem"}},
		{URIs: []string{"amqp://localhost/"}, TLS: &config.TLS{Cert: "/nonexistent/cert.pem", Key: "/nonexistent/key.pem"}},
	} {
		_, err := New(cfg)
		if err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q shows the password", err)
		}
	}
}

// hostPort returns the host:port of an AMQP URL.
func hostPort(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	port := p.Port()
	if port == "" {
		port = "5672"
	}
	return p.Hostname() + ":" + port
}

// via returns the AMQP URL u with its host:port replaced by addr.
func via(t *testing.T, u, addr string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Host = addr
	return p.String()
}

func TestExchangeDeleted(t *testing.T) {
	t.Parallel()
	url := brokertest.AMQP(t)
	admin := brokertest.NewAdmin(t, url)
	q := admin.Queue()
	x := admin.Exchange("fanout", false, false)
	admin.Bind(q, x, "")
	proxy := brokertest.NewProxy(t, hostPort(t, url))
	d := newDeliverer(t, &config.AMQP{URIs: []string{via(t, url, proxy.Addr())}, Exchange: config.Exchange{Name: x, Type: "fanout"}, RoutingKey: "k"})
	if err := d.Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	admin.Do("deleting the exchange", func(ch *amqp091.Channel) error { return ch.ExchangeDelete(x, false, false) })
	err := d.Deliver(t.Context(), callback("set"))
	var ae *amqp091.Error
	if !errors.As(err, &ae) || ae.Code != amqp091.NotFound {
		t.Errorf("got %v, want the broker's NOT_FOUND", err)
	}
	t.Log(err)
	// The broker closed the delivery's channel, not the connection.
	admin.Do("declaring the exchange", func(ch *amqp091.Channel) error {
		return ch.ExchangeDeclare(x, "fanout", false, false, false, false, nil)
	})
	admin.Bind(q, x, "")
	if err := d.Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	if got := proxy.Accepted(); got != 1 {
		t.Errorf("deliverer connected %d times, want 1", got)
	}
	admin.Receive(q, 2)
}
