package dovecottest

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// echoServer writes size bytes of greeting to each connection, then echoes.
func echoServer(t *testing.T, greeting []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write(greeting)
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestProxyCutAfter(t *testing.T) {
	t.Parallel()
	greeting := bytes.Repeat([]byte("0123456789"), 10_000)
	p := NewProxy(t, echoServer(t, greeting))

	read := func() []byte {
		t.Helper()
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got, _ := io.ReadAll(io.LimitReader(c, int64(len(greeting))))
		return got
	}

	if got := read(); !bytes.Equal(got, greeting) {
		t.Fatalf("without a limit read %d bytes, want %d", len(got), len(greeting))
	}
	for _, n := range []int64{0, 1, 12345, int64(len(greeting)) - 1} {
		p.CutAfter(n)
		if got := read(); !bytes.Equal(got, greeting[:n]) {
			t.Errorf("CutAfter(%d): read %d bytes, want the first %d", n, len(got), n)
		}
	}
	// A connection the client has just closed may also count.
	if p.Cuts() < 4 {
		t.Errorf("Cuts() = %d, want at least 4", p.Cuts())
	}
	p.CutAfter(-1)
	if got := read(); !bytes.Equal(got, greeting) {
		t.Fatalf("after CutAfter(-1) read %d bytes, want %d", len(got), len(greeting))
	}
}

func TestProxyCutAfterOpenConnection(t *testing.T) {
	t.Parallel()
	p := NewProxy(t, echoServer(t, []byte("hello\n")))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	p.CutAfter(10) // 6 sent so far: 4 more
	c.Write([]byte("0123456789"))
	got, _ := io.ReadAll(c)
	if string(got) != "0123" {
		t.Errorf("after CutAfter(10) on an open connection read %q, want %q", got, "0123")
	}
}
