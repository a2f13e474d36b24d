package stomp

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
		b, err := json.Marshal(loupe.Notification{
			ID:     fmt.Sprintf("0190a000-0000-7000-8000-%012d", i),
			Reason: loupe.ReasonRemoved,
			Vulnerability: loupe.VulnSummary{
				Name:        fmt.Sprintf("CVE-2024-%04d", i),
				Description: "a <script> & friends",
				Severity:    "Low",
			},
		})
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
		Notifications: func(context.Context) ([]json.RawMessage, error) { return raw, nil },
	}
}

func newDeliverer(t *testing.T, cfg *config.STOMP) *Deliverer {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// rabbit is the test's RabbitMQ: the STOMP address, and an admin
// connection to the virtual host STOMP uses there.
type rabbit struct {
	addr  string
	login *config.STOMPLogin
	admin *brokertest.Admin
}

func newBroker(t *testing.T) *rabbit {
	t.Helper()
	addr, amqpURL := brokertest.STOMP(t)
	u, err := url.Parse(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	return &rabbit{
		addr:  addr,
		login: &config.STOMPLogin{Login: u.User.Username(), Passcode: pass},
		admin: brokertest.NewAdmin(t, amqpURL),
	}
}

// config returns a config delivering to a new queue of the broker's.
func (b *rabbit) config() (*config.STOMP, string) {
	q := b.admin.Queue()
	return &config.STOMP{URIs: []string{b.addr}, Destination: "/amq/queue/" + q, Login: b.login, Host: brokertest.STOMPHost}, q
}

func TestCallback(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	cfg, q := b.config()
	d := newDeliverer(t, cfg)
	if d.Direct() {
		t.Error("Direct() is true")
	}
	if err := d.Deliver(t.Context(), callback("set-1")); err != nil {
		t.Fatal(err)
	}
	m := b.admin.Receive(q, 1)[0]
	if m.ContentType != "application/json" {
		t.Errorf("content type %q, want application/json", m.ContentType)
	}
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
	b := newBroker(t)
	for _, tc := range []struct {
		n, rollup int
		sizes     []int
	}{
		{n: 5, rollup: 2, sizes: []int{2, 2, 1}},
		{n: 3, rollup: 0, sizes: []int{1, 1, 1}},
		{n: 4, rollup: 10, sizes: []int{4}},
		{n: 0, rollup: 2, sizes: nil},
	} {
		t.Run(fmt.Sprintf("%d/%d", tc.n, tc.rollup), func(t *testing.T) {
			cfg, q := b.config()
			cfg.Direct, cfg.Rollup = true, tc.rollup
			d := newDeliverer(t, cfg)
			if !d.Direct() {
				t.Error("Direct() is false")
			}
			raw := notifications(t, tc.n)
			if err := d.Deliver(t.Context(), direct("set", raw)); err != nil {
				t.Fatal(err)
			}
			var got []json.RawMessage
			var sizes []int
			for _, m := range b.admin.Receive(q, len(tc.sizes)) {
				if m.ContentType != "application/json" {
					t.Errorf("content type %q, want application/json", m.ContentType)
				}
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

func TestLogin(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	// RabbitMQ lets a CONNECT without a login in as its default user, the
	// test's own; a wrong passcode fails only if it is sent.
	for _, login := range []*config.STOMPLogin{
		{Login: b.login.Login, Passcode: b.login.Passcode + "-wrong"},
		{Login: "loupe-no-such-user", Passcode: "x"},
	} {
		cfg, _ := b.config()
		cfg.Login = login
		err := newDeliverer(t, cfg).Deliver(t.Context(), callback("set"))
		var be *BrokerError
		if !errors.As(err, &be) {
			t.Errorf("login %q, passcode %q: got %v, want the broker's refusal", login.Login, login.Passcode, err)
			continue
		}
		t.Log(err)
	}
}

func TestBadDestination(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	proxy := brokertest.NewProxy(t, b.addr)
	x := brokertest.Name(t)
	d := newDeliverer(t, &config.STOMP{URIs: []string{proxy.Addr()}, Destination: "/exchange/" + x + "/k", Login: b.login, Host: brokertest.STOMPHost})
	err := d.Deliver(t.Context(), callback("set"))
	var be *BrokerError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want the broker's error", err)
	}
	t.Log(err)
	// The broker closed the connection; the next delivery makes another.
	b.admin.Do("declaring the exchange", func(ch *amqp091.Channel) error {
		return ch.ExchangeDeclare(x, "fanout", false, true, false, false, nil)
	})
	q := b.admin.Queue()
	b.admin.Bind(q, x, "")
	if err := d.Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	b.admin.Receive(q, 1)
	if got := proxy.Accepted(); got != 2 {
		t.Errorf("deliverer connected %d times, want 2", got)
	}
}

func TestReconnect(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	cfg, q := b.config()
	proxy := brokertest.NewProxy(t, b.addr)
	cfg.URIs = []string{proxy.Addr()}
	cfg.Direct, cfg.Rollup = true, 2
	d := newDeliverer(t, cfg)
	raw := notifications(t, 3) // 2 messages
	deliver := func(what string) {
		t.Helper()
		if err := d.Deliver(t.Context(), direct(what, raw)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	deliver("first")
	if n := proxy.Drop(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	waitDead(t, d)
	deliver("after the drop")

	// Delivering at once may catch the connection before the drop is
	// noticed, and fail; the next delivery must not.
	proxy.Drop()
	if err := d.Deliver(t.Context(), direct("racing the drop", raw)); err != nil {
		t.Logf("delivery right after the drop: %v", err)
		deliver("after a failure")
	}
	b.admin.Receive(q, 6)
	if got := proxy.Accepted(); got != 3 {
		t.Errorf("deliverer connected %d times, want 3", got)
	}
}

// waitDead waits for d to notice that its connection is gone.
func waitDead(t *testing.T, d *Deliverer) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		d.mu.Lock()
		dead := d.sess == nil || !d.sess.alive()
		d.mu.Unlock()
		if dead {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the deliverer did not notice the dropped connection")
		}
	}
}

func TestFailover(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	cfg, q := b.config()
	cfg.URIs = []string{brokertest.ClosedAddr(t), b.addr}
	if err := newDeliverer(t, cfg).Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	b.admin.Receive(q, 1)

	cfg.URIs = []string{brokertest.ClosedAddr(t), brokertest.ClosedAddr(t)}
	err := newDeliverer(t, cfg).Deliver(t.Context(), callback("set"))
	if err == nil || strings.Count(err.Error(), "connection refused") != 2 {
		t.Errorf("got %v, want both brokers' errors", err)
	}
	t.Log(err)
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	proxy := brokertest.NewProxy(t, b.addr)
	direct1, q1 := b.config()
	direct1.URIs, direct1.Direct, direct1.Rollup = []string{proxy.Addr()}, true, 3
	d := newDeliverer(t, direct1)
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
	b.admin.Receive(q1, 3*n)

	cb, q2 := b.config()
	cb.URIs = []string{proxy.Addr()}
	d = newDeliverer(t, cb)
	for i := range n {
		wg.Go(func() {
			if err := d.Deliver(t.Context(), callback(fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b.admin.Receive(q2, n)
	if got := proxy.Accepted(); got != 2 {
		t.Errorf("%d connections for two deliverers, want 2", got)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	cfg, q := b.config()
	for _, clientCert := range []bool{false, true} {
		proxy, files := brokertest.NewTLSProxy(t, b.addr, clientCert)
		cfg.URIs = []string{proxy.Addr()}
		cfg.TLS = &config.TLS{RootCA: files.CA}
		if clientCert {
			if err := newDeliverer(t, cfg).Deliver(t.Context(), callback("set")); err == nil {
				t.Error("delivered without the client certificate the broker requires")
			} else {
				t.Log(err)
			}
			cfg.TLS = &config.TLS{RootCA: files.CA, Cert: files.Cert, Key: files.Key}
		}
		if err := newDeliverer(t, cfg).Deliver(t.Context(), callback("set")); err != nil {
			t.Errorf("client certificate %v: %v", clientCert, err)
		}
	}
	b.admin.Receive(q, 2)
}

func TestClose(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	cfg, q := b.config()
	d := newDeliverer(t, cfg)
	if err := d.Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	b.admin.Receive(q, 1)
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := d.Deliver(t.Context(), callback("set")); !errors.Is(err, ErrClosed) {
		t.Errorf("Deliver after Close: got %v, want ErrClosed", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, cfg := range []*config.STOMP{
		{},
		{URIs: []string{"stomp://localhost:61613"}},
		{URIs: []string{"localhost"}},
		{URIs: []string{"localhost:61613"}, TLS: &config.TLS{RootCA: "/nonexistent/ca.pem"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
