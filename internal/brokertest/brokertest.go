package brokertest

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	defaultAMQP  = "amqp://guest:guest@127.0.0.1:5672/"
	defaultSTOMP = "127.0.0.1:61613"
)

// CI reports whether the tests run under CI (CI=true), where a missing
// broker fails them.
func CI() bool {
	ci := os.Getenv("CI")
	return ci == "true" || ci == "1"
}

var warned sync.Map // broker name → struct{}

// Unavailable skips the test because broker cannot be used, saying so
// loudly on stderr once per broker; under CI it fails the test instead.
func Unavailable(t testing.TB, broker string, err error) {
	t.Helper()
	if CI() {
		t.Fatalf("%s is required under CI=%s: %v", broker, os.Getenv("CI"), err)
	}
	if _, dup := warned.LoadOrStore(broker, struct{}{}); !dup {
		fmt.Fprintf(os.Stderr, "\n*** brokertest: %s tests SKIPPED: %v\n*** see package loupe/internal/brokertest for the setup; CI=true makes this a failure\n\n", broker, err)
	}
	t.Skipf("%s unavailable: %v", broker, err)
}

var amqpProbe struct {
	once sync.Once
	url  string
	err  error
}

// AMQP returns the URL of the test broker, or skips the test (fails it
// under CI) when the broker does not answer.
func AMQP(t testing.TB) string {
	t.Helper()
	amqpProbe.once.Do(func() {
		amqpProbe.url = cmpOr(os.Getenv("LOUPE_TEST_AMQP"), defaultAMQP)
		conn, err := dial(amqpProbe.url)
		if err != nil {
			amqpProbe.err = err
			return
		}
		conn.Close()
	})
	if amqpProbe.err != nil {
		Unavailable(t, "AMQP broker "+redact(amqpProbe.url), amqpProbe.err)
	}
	return amqpProbe.url
}

var stompProbe struct {
	once sync.Once
	addr string
	amqp string // the AMQP URL of the STOMP virtual host
	err  error
}

// STOMPHost is the STOMP CONNECT host the tests send (config
// notifier.stomp.host): RabbitMQ takes it as the virtual host, and "/" is
// its default one.
const STOMPHost = "/"

// STOMP returns the address of the broker's STOMP listener, and the AMQP
// URL of the virtual host STOMP clients connecting with STOMPHost use, or
// skips the test (fails it under CI).
func STOMP(t testing.TB) (addr, amqpURL string) {
	t.Helper()
	base := AMQP(t)
	stompProbe.once.Do(func() {
		stompProbe.addr = cmpOr(os.Getenv("LOUPE_TEST_STOMP"), defaultSTOMP)
		stompProbe.amqp, stompProbe.err = stompSetup(base, stompProbe.addr)
	})
	if stompProbe.err != nil {
		Unavailable(t, "STOMP broker "+stompProbe.addr+" (RabbitMQ: rabbitmq-plugins enable rabbitmq_stomp)", stompProbe.err)
	}
	return stompProbe.addr, stompProbe.amqp
}

func stompSetup(base, addr string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	return base, stompConnect(addr, STOMPHost, user, pass)
}

// stompConnect checks that a STOMP CONNECT to addr succeeds.
func stompConnect(addr, host, login, passcode string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	f := frame.New(frame.CONNECT, frame.AcceptVersion, "1.2", frame.Host, host,
		frame.Login, login, frame.Passcode, passcode, frame.HeartBeat, "0,0")
	if err := frame.NewWriter(c).Write(f); err != nil {
		return err
	}
	r := frame.NewReader(c)
	for {
		f, err := r.Read()
		switch {
		case err != nil:
			return err
		case f == nil:
			continue
		case f.Command == frame.CONNECTED:
			return nil
		}
		return fmt.Errorf("STOMP CONNECT: %s %s: %s", f.Command, f.Header.Get(frame.Message), f.Body)
	}
}

func dial(u string) (*amqp.Connection, error) {
	return amqp.DialConfig(u, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
}

// Admin is an AMQP connection for a test to set the broker up and see
// what was delivered. It is closed when the test ends.
type Admin struct {
	t    testing.TB
	url  string
	conn *amqp.Connection
	mu   sync.Mutex // guards ch: a channel is not for concurrent calls
	ch   *amqp.Channel
}

// NewAdmin connects to the broker at url (from AMQP or STOMP).
func NewAdmin(t testing.TB, url string) *Admin {
	t.Helper()
	conn, err := dial(url)
	if err != nil {
		t.Fatalf("brokertest: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("brokertest: %v", err)
	}
	return &Admin{t: t, url: url, conn: conn, ch: ch}
}

// Name returns a name no other test uses, for a queue or an exchange.
func Name(t testing.TB) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, t.Name())
	if len(name) > 100 {
		name = name[:100]
	}
	return "loupe-test." + name + "." + rand.Text()[:10]
}

// Do runs f on the admin channel, and fails the test on an error.
func (a *Admin) Do(what string, f func(ch *amqp.Channel) error) {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := f(a.ch); err != nil {
		a.t.Fatalf("brokertest: %s: %v", what, err)
	}
}

// Queue declares a queue of its own for the test, deleted when the test
// ends, and returns its name.
func (a *Admin) Queue() string {
	a.t.Helper()
	name := Name(a.t)
	a.Do("declaring queue", func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclare(name, false, false, false, false, nil)
		return err
	})
	a.t.Cleanup(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, err := a.ch.QueueDelete(name, false, false, false); err != nil {
			a.t.Errorf("brokertest: deleting queue %s: %v", name, err)
		}
	})
	return name
}

// Exchange declares an exchange of kind ("direct", "fanout", …) for the
// test, deleted when the test ends, and returns its name.
func (a *Admin) Exchange(kind string, durable, autoDelete bool) string {
	a.t.Helper()
	name := Name(a.t)
	a.Do("declaring exchange", func(ch *amqp.Channel) error {
		return ch.ExchangeDeclare(name, kind, durable, autoDelete, false, false, nil)
	})
	a.t.Cleanup(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if err := a.ch.ExchangeDelete(name, false, false); err != nil {
			a.t.Errorf("brokertest: deleting exchange %s: %v", name, err)
		}
	})
	return name
}

// Bind binds queue to exchange with key.
func (a *Admin) Bind(queue, exchange, key string) {
	a.t.Helper()
	a.Do("binding", func(ch *amqp.Channel) error { return ch.QueueBind(queue, key, exchange, false, nil) })
}

// Receive takes n messages from queue, waiting up to ten seconds for
// them, and fails the test when fewer arrive or when more are there.
func (a *Admin) Receive(queue string, n int) []amqp.Delivery {
	a.t.Helper()
	var got []amqp.Delivery
	deadline := time.Now().Add(10 * time.Second)
	for len(got) <= n {
		var (
			m  amqp.Delivery
			ok bool
		)
		a.Do("getting a message", func(ch *amqp.Channel) (err error) {
			m, ok, err = ch.Get(queue, true)
			return err
		})
		switch {
		case ok:
			got = append(got, m)
		case len(got) == n:
			return got
		case time.Now().After(deadline):
			a.t.Fatalf("brokertest: queue %s: got %d messages, want %d", queue, len(got), n)
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	a.t.Fatalf("brokertest: queue %s holds more than the %d messages wanted", queue, n)
	return nil
}

// ClosedAddr returns a loopback address nothing listens on.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable URL)"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
