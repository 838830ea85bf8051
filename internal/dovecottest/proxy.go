package dovecottest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a loopback TCP proxy in front of a server, which a test tells
// when to break connections: to see what a client does when the network
// fails mid-response.
type Proxy struct {
	ln     net.Listener
	target string
	sent   func(p []byte) bool // nil: pass everything on
	wg     sync.WaitGroup

	mu    sync.Mutex
	limit int64 // bytes server→client per connection; < 0: no limit
	conns map[*proxyConn]struct{}
	cuts  int
}

// proxyConn is one client connection and its connection to the target.
type proxyConn struct {
	client, server net.Conn
	sent           int64 // server→client bytes so far; guarded by Proxy.mu
	once           sync.Once
}

func (pc *proxyConn) close() {
	pc.once.Do(func() {
		pc.client.Close()
		pc.server.Close()
	})
}

// NewProxy starts a proxy to target (host:port) on a free loopback port,
// closed with its connections when tb ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	return NewWatchingProxy(tb, target, nil)
}

// NewWatchingProxy is NewProxy that also shows sent each piece of what a
// client sends, as read, before passing it on; when sent returns false
// the piece is not passed on and the connection is closed, both ways.
func NewWatchingProxy(tb testing.TB, target string, sent func(p []byte) bool) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("dovecottest: proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target, sent: sent, limit: -1, conns: map[*proxyConn]struct{}{}}
	p.wg.Go(p.accept)
	tb.Cleanup(p.close)
	return p
}

// Addr returns the host:port clients should dial instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// CutAfter makes the proxy close every connection, open or new, once n
// bytes have gone from the server to the client on it, counted from the
// connection's start; the client receives exactly n bytes, then EOF.
// A negative n lifts the limit.
func (p *Proxy) CutAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = n
	if n < 0 {
		return
	}
	for pc := range p.conns {
		if pc.sent >= n {
			p.cutLocked(pc)
		}
	}
}

// CutAll closes every open connection now. New connections still work.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pc := range p.conns {
		p.cutLocked(pc)
	}
}

// Cuts returns how many connections the proxy has cut so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

func (p *Proxy) cutLocked(pc *proxyConn) {
	if _, ok := p.conns[pc]; !ok {
		return
	}
	delete(p.conns, pc)
	p.cuts++
	pc.close()
}

func (p *Proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for pc := range p.conns {
		delete(p.conns, pc)
		pc.close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		pc := &proxyConn{client: client, server: server}
		p.mu.Lock()
		p.conns[pc] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() {
			p.copyToServer(pc)
			p.drop(pc)
		})
		p.wg.Go(func() {
			p.copyToClient(pc)
			p.drop(pc)
		})
	}
}

// drop forgets a connection that ended by itself.
func (p *Proxy) drop(pc *proxyConn) {
	p.mu.Lock()
	delete(p.conns, pc)
	p.mu.Unlock()
	pc.close()
}

// copyToServer forwards client→server, showing it to the sent hook.
func (p *Proxy) copyToServer(pc *proxyConn) {
	if p.sent == nil {
		io.Copy(pc.server, pc.client)
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := pc.client.Read(buf)
		if n > 0 && !p.sent(buf[:n]) {
			return
		}
		if _, werr := pc.server.Write(buf[:n]); err != nil || werr != nil {
			return
		}
	}
}

// copyToClient forwards server→client, honouring the limit.
func (p *Proxy) copyToClient(pc *proxyConn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := pc.server.Read(buf)
		if n > 0 {
			p.mu.Lock()
			chunk, cut := int64(n), false
			if p.limit >= 0 && pc.sent+chunk >= p.limit {
				chunk, cut = max(p.limit-pc.sent, 0), true
			}
			pc.sent += chunk
			p.mu.Unlock()
			if _, werr := pc.client.Write(buf[:chunk]); werr != nil {
				return
			}
			if cut {
				p.mu.Lock()
				p.cutLocked(pc)
				p.mu.Unlock()
				return
			}
		}
		if err != nil {
			return
		}
	}
}
