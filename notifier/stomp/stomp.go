package stomp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/notifier"
	"github.com/loupe-dev/loupe/notifier/internal/broker"
)

// Timeout bounds a delivery when the context allows longer.
const Timeout = 2 * time.Minute

// dialTimeout bounds connecting to one broker, handshakes included.
const dialTimeout = 30 * time.Second

// ErrClosed is returned by Deliver once the Deliverer is closed.
var ErrClosed = errors.New("stomp: deliverer closed")

// Deliverer sends notification sets to a STOMP broker.
type Deliverer struct {
	addrs       []string
	host        string // CONNECT host header; empty for each address's host
	destination string
	direct      bool
	rollup      int
	tls         *tls.Config
	login       *config.STOMPLogin
	heartBeat   time.Duration // asked of the broker

	mu     sync.Mutex // guards sess and closed; held while connecting
	sess   *session
	closed bool
}

var (
	_ notifier.Deliverer = (*Deliverer)(nil)
	_ notifier.Direct    = (*Deliverer)(nil)
)

// New returns a Deliverer for cfg. It checks the addresses and reads the
// TLS files, but does not connect: the first delivery does.
func New(cfg *config.STOMP) (*Deliverer, error) {
	if len(cfg.URIs) == 0 {
		return nil, errors.New("stomp: no broker addresses")
	}
	for i, a := range cfg.URIs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("stomp: uris[%d]: want host:port: %w", i, err)
		}
	}
	d := &Deliverer{
		addrs:       slices.Clone(cfg.URIs),
		host:        cfg.Host,
		destination: cfg.Destination,
		direct:      cfg.Direct,
		rollup:      max(cfg.Rollup, 1),
		heartBeat:   defaultHeartBeat,
	}
	if cfg.Login != nil {
		login := *cfg.Login
		d.login = &login
	}
	if cfg.TLS != nil {
		var err error
		if d.tls, err = broker.TLS(cfg.TLS); err != nil {
			return nil, fmt.Errorf("stomp: tls: %w", err)
		}
	}
	return d, nil
}

// Name returns "stomp".
func (d *Deliverer) Name() string { return "stomp" }

// Direct reports whether the Deliverer sends the notifications themselves
// rather than a callback.
func (d *Deliverer) Direct() bool { return d.direct }

// Deliver sends the set, and returns nil once the broker has sent the
// receipt for it.
func (d *Deliverer) Deliver(ctx context.Context, dl *notifier.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	bodies, err := broker.Messages(ctx, dl, d.direct, d.rollup)
	if err != nil {
		return fmt.Errorf("stomp: %w", err)
	}
	if len(bodies) == 0 {
		return nil
	}
	s, err := d.session(ctx)
	if err != nil {
		return err
	}
	if d.direct {
		err = s.sendAll(ctx, d.destination, bodies)
	} else {
		err = s.do(ctx, sendFrame(d.destination, bodies[0]), true)
	}
	if err != nil {
		return fmt.Errorf("stomp: %w", err)
	}
	return nil
}

// Close disconnects from the broker. Deliveries under way fail.
func (d *Deliverer) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.sess != nil {
		d.sess.disconnect()
		d.sess = nil
	}
	return nil
}

// session returns the kept session when it works, else a new one.
func (d *Deliverer) session(ctx context.Context) (*session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if d.sess != nil && d.sess.alive() {
		return d.sess, nil
	}
	d.sess = nil
	var errs joined
	for _, addr := range d.addrs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		s, err := dial(ctx, addr, d.host, d.tls, d.login, d.heartBeat)
		if err == nil {
			d.sess = s
			return s, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return nil, fmt.Errorf("stomp: no broker to deliver to: %w", errs)
}

func sendFrame(destination string, body []byte) *frame.Frame {
	f := frame.New(frame.SEND,
		frame.Destination, destination,
		frame.ContentType, "application/json",
		frame.ContentLength, strconv.Itoa(len(body)))
	f.Body = body
	return f
}

// BrokerError is an ERROR frame from the broker. The broker closes the
// connection after sending one.
type BrokerError struct {
	Message string // the message header
	Body    string // the first bytes of the body
}

func (e *BrokerError) Error() string {
	if e.Body == "" {
		return "broker error: " + e.Message
	}
	return fmt.Sprintf("broker error: %s: %q", e.Message, e.Body)
}

func brokerError(f *frame.Frame) *BrokerError {
	const max = 256
	body := strings.TrimSpace(string(f.Body))
	if len(body) > max {
		body = body[:max] + "…"
	}
	return &BrokerError{Message: f.Header.Get(frame.Message), Body: body}
}

// joined is errors.Join on one line.
type joined []error

func (j joined) Error() string {
	s := make([]string, len(j))
	for i, err := range j {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (j joined) Unwrap() []error { return j }
