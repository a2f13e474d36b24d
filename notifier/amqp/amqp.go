package amqp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/notifier"
	"github.com/loupe-dev/loupe/notifier/internal/broker"
)

// AppID is the app id of every message, Clair's.
const AppID = "clairV4-notifier"

// Timeout bounds a delivery when the context allows longer.
const Timeout = 2 * time.Minute

// dialTimeout bounds connecting to one broker, handshakes included.
const dialTimeout = 30 * time.Second

// ErrClosed is returned by Deliver once the Deliverer is closed.
var ErrClosed = errors.New("amqp: deliverer closed")

// Deliverer publishes notification sets to an AMQP broker.
type Deliverer struct {
	uris     []string
	exchange config.Exchange
	key      string
	direct   bool
	rollup   int
	tls      *tls.Config // nil: amqp091's defaults for amqps://

	mu     sync.Mutex // guards conn and closed; held while connecting
	conn   *amqp091.Connection
	closed bool
}

var (
	_ notifier.Deliverer = (*Deliverer)(nil)
	_ notifier.Direct    = (*Deliverer)(nil)
)

// New returns a Deliverer for cfg. It checks the URIs and reads the TLS
// files, but does not connect: the first delivery does.
func New(cfg *config.AMQP) (*Deliverer, error) {
	if len(cfg.URIs) == 0 {
		return nil, errors.New("amqp: no broker URIs")
	}
	for i, u := range cfg.URIs {
		if _, err := amqp091.ParseURI(u); err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // without the URI and its password
			}
			return nil, fmt.Errorf("amqp: uris[%d]: %w", i, err)
		}
	}
	d := &Deliverer{
		uris:     slices.Clone(cfg.URIs),
		exchange: cfg.Exchange,
		key:      cfg.RoutingKey,
		direct:   cfg.Direct,
		rollup:   max(cfg.Rollup, 1),
	}
	if cfg.TLS != nil {
		var err error
		if d.tls, err = broker.TLS(cfg.TLS); err != nil {
			return nil, fmt.Errorf("amqp: tls: %w", err)
		}
	}
	return d, nil
}

// Name returns "amqp".
func (d *Deliverer) Name() string { return "amqp" }

// Direct reports whether the Deliverer publishes the notifications
// themselves rather than a callback.
func (d *Deliverer) Direct() bool { return d.direct }

// Deliver publishes the set, and returns nil once the broker has
// confirmed every message of it.
func (d *Deliverer) Deliver(ctx context.Context, dl *notifier.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	bodies, err := broker.Messages(ctx, dl, d.direct, d.rollup)
	if err != nil {
		return fmt.Errorf("amqp: %w", err)
	}
	if len(bodies) == 0 {
		return nil
	}
	ch, err := d.channel(ctx)
	if err != nil {
		return err
	}
	defer ch.Close()
	return d.publish(ctx, ch, bodies)
}

// Close closes the connection. Deliveries under way fail.
func (d *Deliverer) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.conn == nil {
		return nil
	}
	// Bounded: the broker may be the reason Close is called.
	err := d.conn.CloseDeadline(time.Now().Add(5 * time.Second))
	d.conn = nil
	if errors.Is(err, amqp091.ErrClosed) {
		return nil // it had broken already
	}
	return err
}

// channel returns a new channel, on the kept connection when it works,
// else on a new one.
func (d *Deliverer) channel(ctx context.Context) (*amqp091.Channel, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if d.conn != nil {
		ch, err := d.conn.Channel()
		switch {
		case err == nil:
			return ch, nil
		case errors.Is(err, amqp091.ErrChannelMax):
			return nil, fmt.Errorf("amqp: opening a channel: %w", err)
		}
		// The connection broke since it was last used. Nothing has been
		// published on it for this delivery: replace it now.
		d.conn.CloseDeadline(time.Now().Add(time.Second))
		d.conn = nil
	}
	conn, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("amqp: opening a channel: %w", err)
	}
	d.conn = conn
	return ch, nil
}

// connect connects to the first URI that works.
func (d *Deliverer) connect(ctx context.Context) (*amqp091.Connection, error) {
	var errs []error
	for _, u := range d.uris {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		conn, err := d.dial(ctx, u)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", redact(u), err))
	}
	return nil, fmt.Errorf("amqp: no broker to deliver to: %w", joined(errs))
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

// dial connects to uri and checks that the exchange exists.
func (d *Deliverer) dial(ctx context.Context, uri string) (*amqp091.Connection, error) {
	props := amqp091.NewConnectionProperties()
	props.SetClientConnectionName("loupe-notifier")
	cfg := amqp091.Config{
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			c, err := new(net.Dialer).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Bound the TLS and AMQP handshakes as well; amqp091 clears
			// the deadline once connected.
			deadline, _ := ctx.Deadline()
			c.SetDeadline(deadline)
			return c, nil
		},
	}
	if d.tls != nil {
		cfg.TLSClientConfig = d.tls.Clone() // DialConfig sets its ServerName to the URI's host
	}
	conn, err := amqp091.DialConfig(uri, cfg)
	if err != nil {
		return nil, err
	}
	if d.exchange.Name == "" {
		return conn, nil
	}
	ch, err := conn.Channel()
	if err == nil {
		e := d.exchange
		err = ch.ExchangeDeclarePassive(e.Name, e.Type, e.Durable, e.AutoDelete, false, false, nil)
		ch.Close()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("checking exchange %q: %w", d.exchange.Name, err)
	}
	return conn, nil
}

// publish publishes bodies on ch, a channel of their own, and waits for
// the broker to confirm them all.
func (d *Deliverer) publish(ctx context.Context, ch *amqp091.Channel, bodies [][]byte) error {
	// The notification channels hold everything this channel can send, so
	// that amqp091's reader never waits on them (it gives up on a
	// listener after a few seconds, and would lose a return).
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	returns := ch.NotifyReturn(make(chan amqp091.Return, len(bodies)))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, len(bodies)))
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("amqp: %w", err)
	}
	for _, b := range bodies {
		err := ch.PublishWithContext(ctx, d.exchange.Name, d.key, true, false, amqp091.Publishing{
			ContentType:  "application/json",
			AppId:        AppID,
			DeliveryMode: amqp091.Persistent,
			Body:         b,
		})
		if err != nil {
			return fmt.Errorf("amqp: publishing: %w", err)
		}
	}
	for range bodies {
		select {
		case c, ok := <-confirms:
			if !ok {
				return closedError(closed)
			}
			if !c.Ack {
				return fmt.Errorf("amqp: the broker refused message %d of %d", c.DeliveryTag, len(bodies))
			}
		case <-ctx.Done():
			return fmt.Errorf("amqp: waiting for the broker's confirms: %w", ctx.Err())
		}
	}
	// The broker returns an unroutable message before confirming it, and
	// amqp091 passes both on in that order: every return is in by now.
	if n := len(returns); n > 0 {
		r := <-returns
		return fmt.Errorf("amqp: %d of %d messages returned, unroutable: exchange %q, routing key %q: %d %s",
			n, len(bodies), r.Exchange, r.RoutingKey, r.ReplyCode, r.ReplyText)
	}
	return nil
}

// closedError explains a channel that closed before every confirm came.
func closedError(closed <-chan *amqp091.Error) error {
	select {
	case e, ok := <-closed:
		if ok && e != nil {
			return fmt.Errorf("amqp: channel closed before the broker confirmed: %w", e)
		}
	default:
	}
	return fmt.Errorf("amqp: channel closed before the broker confirmed: %w", amqp091.ErrClosed)
}

// redact returns uri without its password.
func redact(uri string) string {
	if u, err := url.Parse(uri); err == nil {
		return u.Redacted()
	}
	return "(unparsable URI)"
}
