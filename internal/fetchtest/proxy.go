package fetchtest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a loopback TCP proxy to a server that shows a hook what each
// client sends before passing it on; the hook may drop the connection
// instead. It stops when the test ends.
type Proxy struct {
	ln net.Listener
	wg sync.WaitGroup
}

// NewProxy starts a proxy to target. sent sees each piece of what a client
// sends, as read; when it returns false the piece is not passed on and the
// connection is closed, both ways.
func NewProxy(tb testing.TB, target string, sent func(p []byte) bool) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{ln: ln}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			sc, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.wg.Go(func() {
				defer sc.Close()
				defer c.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 && !sent(buf[:n]) {
						return
					}
					if _, werr := sc.Write(buf[:n]); err != nil || werr != nil {
						return
					}
				}
			})
			p.wg.Go(func() {
				defer c.Close()
				io.Copy(c, sc)
			})
		}
	})
	tb.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }
