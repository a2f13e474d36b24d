package stomp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/notifier"
)

// fake is a STOMP broker that records the frames it gets. With receipts
// it sends the receipts asked for; with beats, the heart-beats asked for.
type fake struct {
	l               net.Listener
	receipts, beats bool

	mu     sync.Mutex
	frames []*frame.Frame
	conns  int
}

func newFake(t *testing.T, receipts, beats bool) *fake {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{l: l, receipts: receipts, beats: beats}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
			wg.Go(func() { f.serve(c) })
			t.Cleanup(func() { c.Close() })
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return f
}

func (f *fake) serve(c net.Conn) {
	defer c.Close()
	r, w := frame.NewReader(c), frame.NewWriter(c)
	var wmu sync.Mutex
	write := func(fr *frame.Frame) error { // nil: a heart-beat
		wmu.Lock()
		defer wmu.Unlock()
		return w.Write(fr)
	}
	for {
		fr, err := r.Read()
		if err != nil {
			return
		}
		if fr == nil {
			continue
		}
		f.mu.Lock()
		f.frames = append(f.frames, fr)
		f.mu.Unlock()
		switch id, ok := fr.Header.Contains(frame.Receipt); {
		case fr.Command == frame.CONNECT:
			// Heart-beat as often as asked: the client's cy.
			_, every, _ := frame.ParseHeartBeat(fr.Header.Get(frame.HeartBeat))
			write(frame.New(frame.CONNECTED, frame.Version, "1.2",
				frame.HeartBeat, fmt.Sprintf("%d,0", every.Milliseconds())))
			if f.beats && every > 0 {
				go func() {
					for range time.Tick(every / 2) {
						if write(nil) != nil {
							return
						}
					}
				}()
			}
		case ok && f.receipts:
			write(frame.New(frame.RECEIPT, frame.ReceiptId, id))
		}
	}
}

// got returns the frames received, with their receipt IDs left out.
func (f *fake) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for _, fr := range f.frames {
		line := fr.Command
		for i := range fr.Header.Len() {
			k, v := fr.Header.GetAt(i)
			switch k {
			case frame.Receipt:
				v = "…"
			case frame.Transaction:
				v = "tx"
			}
			line += " " + k + ":" + v
		}
		if len(fr.Body) > 0 {
			line += " " + string(fr.Body)
		}
		s = append(s, line)
	}
	return s
}

// TestFrames checks the frames the deliverer sends, to the letter.
func TestFrames(t *testing.T) {
	t.Parallel()
	b := newFake(t, true, false)
	cfg := &config.STOMP{
		URIs:        []string{b.l.Addr().String()},
		Destination: "/queue/clair",
		Login:       &config.STOMPLogin{Login: "loupe", Passcode: "s3cret"},
	}
	if err := newDeliverer(t, cfg).Deliver(t.Context(), callback("set")); err != nil {
		t.Fatal(err)
	}
	cfg.Direct, cfg.Rollup, cfg.Login, cfg.Host = true, 2, nil, "/"
	if err := newDeliverer(t, cfg).Deliver(t.Context(), direct("set", notifications(t, 3))); err != nil {
		t.Fatal(err)
	}
	raw := notifications(t, 3)
	send := func(headers, body string) string {
		return fmt.Sprintf("SEND destination:/queue/clair content-type:application/json content-length:%d %s%s", len(body), headers, body)
	}
	want := []string{
		"CONNECT accept-version:1.0,1.1,1.2 host:127.0.0.1 heart-beat:0,30000 login:loupe passcode:s3cret",
		send("receipt:… ", `{"notification_id":"set","callback":"http://loupe.example/notifier/api/v1/notification/set"}`),
		"CONNECT accept-version:1.0,1.1,1.2 host:/ heart-beat:0,30000",
		"BEGIN transaction:tx",
		send("transaction:tx ", "["+string(raw[0])+","+string(raw[1])+"]\n"),
		send("transaction:tx ", "["+string(raw[2])+"]\n"),
		"COMMIT transaction:tx receipt:…",
	}
	if diff := cmp.Diff(want, b.got()); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

// TestNoReceipt checks that a delivery ends with its context when no
// receipt comes, and that the next delivery uses a new connection.
func TestNoReceipt(t *testing.T) {
	t.Parallel()
	b := newFake(t, false, false)
	for _, direct := range []bool{false, true} {
		d := newDeliverer(t, &config.STOMP{URIs: []string{b.l.Addr().String()}, Destination: "/queue/q", Direct: direct})
		for range 2 {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			err := d.Deliver(ctx, directOrCallback(t, direct))
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("direct %v: got %v, want the context's deadline", direct, err)
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns != 4 {
		t.Errorf("%d connections, want 4: one per delivery that timed out", b.conns)
	}
}

func directOrCallback(t *testing.T, d bool) *notifier.Delivery {
	if d {
		return direct("set", notifications(t, 3))
	}
	return callback("set")
}

// TestCanceled checks that a delivery whose context ends before it sends
// anything leaves the connection as it was.
func TestCanceled(t *testing.T) {
	t.Parallel()
	b := newFake(t, true, false)
	d := newDeliverer(t, &config.STOMP{URIs: []string{b.l.Addr().String()}, Destination: "/queue/q", Direct: true})
	raw := notifications(t, 1)
	if err := d.Deliver(t.Context(), direct("set", raw)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	dl := direct("set", raw)
	dl.Notifications = func(context.Context) ([]json.RawMessage, error) {
		cancel() // once the set is read, before any frame
		return raw, nil
	}
	if err := d.Deliver(ctx, dl); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if err := d.Deliver(t.Context(), direct("set", raw)); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns != 1 {
		t.Errorf("%d connections, want 1", b.conns)
	}
	if n := len(b.frames); n != 7 {
		t.Errorf("broker got %d frames, want 7: CONNECT, then BEGIN, SEND, COMMIT twice", n)
	}
}

// TestHeartBeat checks that a connection gone quiet is replaced, and one
// that heart-beats is kept.
func TestHeartBeat(t *testing.T) {
	t.Parallel()
	for _, beats := range []bool{false, true} {
		b := newFake(t, true, beats)
		d := newDeliverer(t, &config.STOMP{URIs: []string{b.l.Addr().String()}, Destination: "/queue/q"})
		d.heartBeat = 50 * time.Millisecond
		if err := d.Deliver(t.Context(), callback("set")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // three times what a quiet connection lives
		d.mu.Lock()
		alive := d.sess.alive()
		d.mu.Unlock()
		if alive != beats {
			t.Errorf("broker heart-beats %v: connection alive %v", beats, alive)
		}
		if err := d.Deliver(t.Context(), callback("set")); err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		if want := map[bool]int{false: 2, true: 1}[beats]; b.conns != want {
			t.Errorf("broker heart-beats %v: %d connections, want %d", beats, b.conns, want)
		}
		b.mu.Unlock()
	}
}
