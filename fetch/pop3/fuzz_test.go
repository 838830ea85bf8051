package pop3

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeConn is a connection whose server side is canned: reads come from r,
// writes are discarded.
type fakeConn struct {
	r io.Reader
}

func (f *fakeConn) Read(p []byte) (int, error)       { return f.r.Read(p) }
func (f *fakeConn) Write(p []byte) (int, error)      { return len(p), nil }
func (f *fakeConn) Close() error                     { return nil }
func (f *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (f *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (f *fakeConn) SetDeadline(time.Time) error      { return nil }
func (f *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (f *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzResponse feeds arbitrary server output to every command: the client
// must never panic, and must fail cleanly when the replies make no sense.
func FuzzResponse(f *testing.F) {
	for _, tc := range transcripts {
		var server strings.Builder
		for _, step := range strings.Split(tc.script, "\n") {
			step = strings.TrimLeft(step, "\t ")
			if step == "S:" || strings.HasPrefix(step, "S: ") {
				server.WriteString(strings.TrimPrefix(step[2:], " ") + "\r\n")
			}
		}
		f.Add([]byte(server.String()))
	}
	f.Add([]byte("+OK <a@b>\r\n+OK\r\nTOP\r\n.\r\n+OK 1 2\r\n+OK\r\n1 2\r\n.\r\n+OK\r\n1 x\r\n.\r\n+OK 1 5\r\n+OK 1 u\r\n+OK\r\n..x\r\n.\r\n+OK\r\n.\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The parsers alone.
		line := string(data)
		parseStatus(line)
		responseCode(line)
		timestamp(line)
		parseListLine(line)
		parseUIDLLine(line)
		parseStat(line)
		parseCapabilities(strings.Split(line, "\n"))
		if p := printable(line); strings.ContainsAny(p, "\r\n\x00\x1b") {
			t.Fatalf("printable(%q) = %q still has control characters", line, p)
		}

		// A whole session against data as the server's output.
		c := newClient(&fakeConn{r: bytes.NewReader(data)}, "fuzz.example", Options{})
		ctx := context.Background()
		if c.connect(ctx, SecurityNone) != nil {
			return
		}
		c.Capa(ctx)
		c.User(ctx, "u")
		c.Pass(ctx, "p")
		c.AuthPlain(ctx, "u", "p")
		c.APOP(ctx, "u", "p")
		c.Stat(ctx)
		c.List(ctx)
		c.ListOne(ctx, 1)
		c.UIDL(ctx)
		c.UIDLOne(ctx, 1)
		if rc, err := c.Retr(ctx, 1); err == nil {
			io.Copy(io.Discard, rc)
		}
		if rc, err := c.Top(ctx, 1, 0); err == nil {
			rc.Close()
		}
		c.Dele(ctx, 1)
		c.Rset(ctx)
		c.Noop(ctx)
		c.Quit(ctx)
		if c.Noop(ctx) == nil {
			t.Fatal("Noop after Quit succeeded")
		}
	})
}
