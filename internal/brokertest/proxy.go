package brokertest

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy on loopback in front of a broker. Drop cuts the
// connections that go through it, as a broker restart or a network
// failure would, while the proxy goes on accepting new ones.
type Proxy struct {
	target string
	l      net.Listener
	wg     sync.WaitGroup

	mu       sync.Mutex
	pairs    map[*pair]struct{}
	accepted int
}

// NewProxy starts a proxy to target (host:port), stopped when the test
// ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startProxy(t, l, target)
}

func startProxy(t testing.TB, l net.Listener, target string) *Proxy {
	p := &Proxy{target: target, l: l, pairs: make(map[*pair]struct{})}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		l.Close()
		p.Drop()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Accepted is how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Drop resets every connection through the proxy, on both sides, and
// returns how many client connections it cut.
func (p *Proxy) Drop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.pairs)
	for pr := range p.pairs {
		for _, c := range []net.Conn{pr.client, pr.server} {
			if tc, ok := c.(*tls.Conn); ok {
				c = tc.NetConn()
			}
			c.(*net.TCPConn).SetLinger(0) // reset rather than a polite close
			c.Close()
		}
	}
	clear(p.pairs)
	return n
}

// pair is a client's connection and the proxy's to the target for it.
type pair struct{ client, server net.Conn }

func (p *Proxy) accept() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		pr := &pair{client, server}
		p.mu.Lock()
		p.accepted++
		p.pairs[pr] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(pr, server, client) })
		p.wg.Go(func() { p.pipe(pr, client, server) })
	}
}

// pipe copies from src to dst until either fails, then closes the pair.
func (p *Proxy) pipe(pr *pair, dst, src net.Conn) {
	io.Copy(dst, src)
	p.mu.Lock()
	delete(p.pairs, pr)
	p.mu.Unlock()
	pr.client.Close()
	pr.server.Close()
}
