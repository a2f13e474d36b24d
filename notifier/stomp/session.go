package stomp

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/loupe-dev/loupe/config"
)

// defaultHeartBeat is how often the broker is asked to send a heart-beat;
// one missing for twice as long means the connection is gone.
const defaultHeartBeat = 30 * time.Second

// A session is a STOMP connection. Its methods are safe for concurrent
// use. Any failure ends it: a broken connection, an ERROR frame, a
// context that ends while a frame is written or its receipt awaited
// (after which no one knows what the broker made of it).
type session struct {
	conn net.Conn
	wmu  sync.Mutex // serializes writes
	w    *frame.Writer

	mu       sync.Mutex
	next     uint64                   // for receipt and transaction IDs
	receipts map[string]chan struct{} // closed when the receipt comes
	err      error                    // why the session ended
	done     chan struct{}            // closed when the session ends
}

// dial connects to addr, host:port, and logs in, asking the broker to
// heart-beat every heartBeat. The CONNECT frame's host header is vhost,
// or addr's host when vhost is empty.
func dial(ctx context.Context, addr, vhost string, tlsCfg *tls.Config, login *config.STOMPLogin, heartBeat time.Duration) (*session, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if vhost == "" {
		vhost = host
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// Bound the handshakes by ctx, as DialContext bounded the dial.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	s, err := handshake(ctx, conn, host, vhost, tlsCfg, login, heartBeat)
	if !stop() { // ctx ended, and closed the connection under the handshake
		if s != nil {
			s.fail(ctx.Err())
		}
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func handshake(ctx context.Context, conn net.Conn, host, vhost string, tlsCfg *tls.Config, login *config.STOMPLogin, heartBeat time.Duration) (*session, error) {
	if tlsCfg != nil {
		cfg := tlsCfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		conn = tc
	}
	f := frame.New(frame.CONNECT,
		frame.AcceptVersion, "1.0,1.1,1.2",
		frame.Host, vhost,
		frame.HeartBeat, "0,"+strconv.FormatInt(heartBeat.Milliseconds(), 10))
	if login != nil {
		f.Header.Add(frame.Login, login.Login)
		f.Header.Add(frame.Passcode, login.Passcode)
	}
	w := frame.NewWriter(conn)
	if err := w.Write(f); err != nil {
		return nil, err
	}
	r := frame.NewReader(conn)
	var res *frame.Frame
	for res == nil { // skipping heart-beats
		var err error
		if res, err = r.Read(); err != nil {
			return nil, err
		}
	}
	switch res.Command {
	case frame.CONNECTED:
	case frame.ERROR:
		return nil, brokerError(res)
	default:
		return nil, fmt.Errorf("broker answered CONNECT with %s", res.Command)
	}
	// The broker heart-beats every max(its sx, heartBeat), or never
	// when sx is 0 or the header is missing (STOMP 1.0).
	var every time.Duration
	if sx, _, err := frame.ParseHeartBeat(res.Header.Get(frame.HeartBeat)); err == nil && sx > 0 {
		every = max(sx, heartBeat)
	}
	s := &session{
		conn:     conn,
		w:        w,
		receipts: make(map[string]chan struct{}),
		done:     make(chan struct{}),
	}
	go s.read(r, every)
	return s, nil
}

// read reads frames until the session ends.
func (s *session) read(r *frame.Reader, every time.Duration) {
	for {
		if every > 0 {
			s.conn.SetReadDeadline(time.Now().Add(2 * every))
		}
		f, err := r.Read()
		if err != nil {
			s.fail(fmt.Errorf("connection lost: %w", err))
			return
		}
		if f == nil {
			continue // a heart-beat
		}
		switch f.Command {
		case frame.RECEIPT:
			id := f.Header.Get(frame.ReceiptId)
			s.mu.Lock()
			got := s.receipts[id]
			delete(s.receipts, id)
			s.mu.Unlock()
			if got != nil {
				close(got)
			}
		case frame.ERROR:
			s.fail(brokerError(f))
			return
		}
		// Nothing else is expected: the session never subscribes.
	}
}

// fail ends the session because of err, unless it has ended already.
func (s *session) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	s.err = err
	close(s.done)
	s.conn.Close()
}

func (s *session) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// cause returns why the session ended; call it once done is closed.
func (s *session) cause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// id returns a new ID for a receipt or a transaction.
func (s *session) id(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	return prefix + strconv.FormatUint(s.next, 10)
}

// do sends f and, with receipt, waits for the broker's receipt for it.
// If ctx ends first, the session ends.
func (s *session) do(ctx context.Context, f *frame.Frame, receipt bool) error {
	if err := ctx.Err(); err != nil {
		return err // nothing sent: the session is as good as it was
	}
	stop := context.AfterFunc(ctx, func() { s.fail(ctx.Err()) })
	defer stop()
	var got chan struct{}
	if receipt {
		id := s.id("r")
		got = make(chan struct{})
		s.mu.Lock()
		s.receipts[id] = got
		s.mu.Unlock()
		f.Header.Set(frame.Receipt, id)
	}
	s.wmu.Lock()
	err := s.w.Write(f)
	s.wmu.Unlock()
	if err != nil {
		s.fail(err)
		return fmt.Errorf("sending %s: %w", f.Command, s.cause())
	}
	if got == nil {
		return nil
	}
	select {
	case <-got:
		return nil
	case <-s.done:
		return fmt.Errorf("awaiting the receipt for %s: %w", f.Command, s.cause())
	}
}

// sendAll sends bodies to destination in one transaction, and waits for
// the receipt for its commit.
func (s *session) sendAll(ctx context.Context, destination string, bodies [][]byte) (err error) {
	tx := s.id("tx")
	if err := s.do(ctx, frame.New(frame.BEGIN, frame.Transaction, tx), false); err != nil {
		return err
	}
	defer func() {
		if err != nil && s.alive() {
			// Otherwise the broker aborts it when the connection ends.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			s.do(ctx, frame.New(frame.ABORT, frame.Transaction, tx), false)
		}
	}()
	for _, b := range bodies {
		f := sendFrame(destination, b)
		f.Header.Set(frame.Transaction, tx)
		if err := s.do(ctx, f, false); err != nil {
			return err
		}
	}
	return s.do(ctx, frame.New(frame.COMMIT, frame.Transaction, tx), true)
}

// disconnect ends the session politely: DISCONNECT, and its receipt
// awaited a few seconds.
func (s *session) disconnect() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.do(ctx, frame.New(frame.DISCONNECT), true)
	s.fail(ErrClosed)
}
