package pop3test

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func start(t *testing.T, opts Options, msgs ...Message) *Server {
	t.Helper()
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.AddUser("bob", "pw")
	s.Add("bob", msgs...)
	return s
}

// wire is a raw client connection.
type wire struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func connect(t *testing.T, s *Server) *wire {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	w := &wire{t: t, c: c, br: bufio.NewReader(c)}
	if g := w.line(); !strings.HasPrefix(g, "+OK pop3test ready") {
		t.Fatalf("greeting %q", g)
	}
	return w
}

func (w *wire) line() string {
	w.t.Helper()
	l, err := w.br.ReadString('\n')
	if err != nil {
		w.t.Fatalf("reading a reply: %q, %v", l, err)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// cmd sends a command and returns the first line of the reply.
func (w *wire) cmd(line string) string {
	w.t.Helper()
	if _, err := io.WriteString(w.c, line+"\r\n"); err != nil {
		w.t.Fatal(err)
	}
	return w.line()
}

func (w *wire) login() {
	w.t.Helper()
	w.cmd("USER bob")
	if r := w.cmd("PASS pw"); !strings.HasPrefix(r, "+OK") {
		w.t.Fatalf("PASS: %q", r)
	}
}

// bytes reads exactly n bytes.
func (w *wire) bytes(n int) string {
	w.t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(w.br, b); err != nil {
		w.t.Fatalf("reading %d bytes: got %q, %v", n, b, err)
	}
	return string(b)
}

func TestRetrWire(t *testing.T) {
	t.Parallel()
	tests := []struct{ data, wire string }{
		{"a\r\n.b\r\n", "a\r\n..b\r\n.\r\n"},
		{".\r\n", "..\r\n.\r\n"},
		{"", ".\r\n"},
		{"x", "x\r\n.\r\n"},
		{"a\n.b", "a\n..b\r\n.\r\n"},
		{"a\n", "a\n.\r\n"},
		{"a\r.b\r\n", "a\r.b\r\n.\r\n"},
		{strings.Repeat(".", 10000), strings.Repeat(".", 10001) + "\r\n.\r\n"},
	}
	var msgs []Message
	for _, tc := range tests {
		msgs = append(msgs, Message{Data: []byte(tc.data)})
	}
	s := start(t, Options{}, msgs...)
	w := connect(t, s)
	w.login()
	for i, tc := range tests {
		if r := w.cmd(fmt.Sprintf("RETR %d", i+1)); r != fmt.Sprintf("+OK %d octets", len(tc.data)) {
			t.Fatalf("RETR %d: %q", i+1, r)
		}
		if got := w.bytes(len(tc.wire)); got != tc.wire {
			t.Errorf("RETR of %q sent %q, want %q", tc.data, got, tc.wire)
		}
	}
	if r := w.cmd("NOOP"); r != "+OK" {
		t.Errorf("NOOP after the RETRs: %q", r)
	}
}

func TestTop(t *testing.T) {
	msg := "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\nl3\r\n"
	for _, tc := range []struct {
		data string
		n    int
		want string
	}{
		{msg, 0, "A: 1\r\nB: 2\r\n\r\n"},
		{msg, 2, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\n"},
		{msg, 9, msg},
		{"A: 1\n\nbody", 1, "A: 1\n\nbody"},
		{"no blank line\r\n", 0, "no blank line\r\n"},
		{"", 3, ""},
	} {
		if got := string(top([]byte(tc.data), tc.n)); got != tc.want {
			t.Errorf("top(%q, %d) = %q, want %q", tc.data, tc.n, got, tc.want)
		}
	}
}

func TestDeleNeedsQuit(t *testing.T) {
	t.Parallel()
	s := start(t, Options{}, Message{UIDL: "u1", Data: []byte("1\r\n")}, Message{UIDL: "u2", Data: []byte("2\r\n")})

	w := connect(t, s)
	w.login()
	w.cmd("DELE 1")
	if r := w.cmd("RETR 1"); !strings.HasPrefix(r, "-ERR") {
		t.Errorf("RETR of a deleted message: %q", r)
	}
	if r := w.cmd("STAT"); r != "+OK 1 3" {
		t.Errorf("STAT after DELE: %q", r)
	}
	w.c.Close() // no QUIT
	if got := s.Messages("bob"); len(got) != 2 {
		t.Errorf("after DELE without QUIT: %d messages, want 2", len(got))
	}

	for try := 0; ; try++ {
		// The server may not have seen the close yet: the drop is locked.
		w = connect(t, s)
		w.cmd("USER bob")
		r := w.cmd("PASS pw")
		if strings.HasPrefix(r, "+OK") {
			break
		}
		if !strings.HasPrefix(r, "-ERR [IN-USE]") || try == 1000 {
			t.Fatalf("login after the first session closed: %q", r)
		}
	}
	if r := w.cmd("STAT"); r != "+OK 2 6" {
		t.Errorf("STAT in a new session after DELE without QUIT: %q", r)
	}
	w.cmd("DELE 2")
	if r := w.cmd("QUIT"); r != "+OK bye, 1 messages left" {
		t.Errorf("QUIT: %q", r)
	}
	if got := s.Messages("bob"); len(got) != 1 || got[0].UIDL != "u1" {
		t.Errorf("after DELE 2 and QUIT: %v", got)
	}
}

func TestLockAndAuth(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	w1 := connect(t, s)
	w1.login()
	w2 := connect(t, s)
	w2.cmd("USER bob")
	if r := w2.cmd("PASS pw"); !strings.HasPrefix(r, "-ERR [IN-USE]") {
		t.Errorf("second login: %q", r)
	}
	w3 := connect(t, s)
	w3.cmd("USER bob")
	if r := w3.cmd("PASS nope"); !strings.HasPrefix(r, "-ERR [AUTH]") {
		t.Errorf("wrong password: %q", r)
	}
	if r := w3.cmd("STAT"); !strings.HasPrefix(r, "-ERR") {
		t.Errorf("STAT before login: %q", r)
	}
	w1.cmd("QUIT")
	w4 := connect(t, s)
	initial := base64.StdEncoding.EncodeToString([]byte("bob\x00bob\x00pw"))
	if r := w4.cmd("AUTH PLAIN " + initial); !strings.HasPrefix(r, "+OK") {
		t.Errorf("AUTH PLAIN with an initial response: %q", r)
	}
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	capa := func(opts Options) []string {
		w := connect(t, start(t, opts))
		if r := w.cmd("CAPA"); r != "+OK capability list follows" {
			return []string{r}
		}
		var caps []string
		for l := w.line(); l != "."; l = w.line() {
			caps = append(caps, l)
		}
		return caps
	}
	if c := capa(Options{}); !slices.Contains(c, "UIDL") || !slices.Contains(c, "SASL PLAIN") || slices.Contains(c, "STLS") {
		t.Errorf("default CAPA = %q", c)
	}
	if c := capa(Options{NoUIDL: true, NoSASL: true}); slices.Contains(c, "UIDL") || slices.Contains(c, "SASL PLAIN") {
		t.Errorf("CAPA without UIDL and SASL = %q", c)
	}
	if c := capa(Options{Capabilities: []string{"USER", ".odd"}}); !slices.Equal(c, []string{"USER", "..odd"}) {
		t.Errorf("scripted CAPA = %q, want the lines dot-stuffed", c)
	}
	if c := capa(Options{NoCAPA: true}); len(c) != 1 || !strings.HasPrefix(c[0], "-ERR") {
		t.Errorf("CAPA when off = %q", c)
	}
}

func TestCutAfter(t *testing.T) {
	t.Parallel()
	s := start(t, Options{}, Message{Data: []byte(strings.Repeat("line\r\n", 1000)), CutAfter: 1234})
	w := connect(t, s)
	w.login()
	w.cmd("RETR 1")
	got, err := io.ReadAll(w.br)
	if len(got) != 1234 || err != nil {
		t.Errorf("read %d bytes, %v; want 1234 then EOF", len(got), err)
	}
}

func TestCloseInterruptsSlowSessions(t *testing.T) {
	t.Parallel()
	s, err := NewServer(Options{WriteDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.AddUser("bob", "pw")
	s.Add("bob", Message{Data: []byte("slow\r\n")})
	w := connect(t, s)
	w.login()
	w.cmd("RETR 1") // the payload now waits an hour
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a slow session")
	}
	if _, err := w.br.ReadString('\n'); err == nil {
		t.Error("the session survived Close")
	}
	if _, err := net.Dial("tcp", s.Addr()); err == nil {
		t.Error("the server still accepts connections after Close")
	}
}

func TestOnCommandRedacts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	s := start(t, Options{OnCommand: func(user, line string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, user+"|"+line)
	}})
	w := connect(t, s)
	w.login()
	w.cmd("NOOP")
	w.cmd("QUIT")
	mu.Lock()
	defer mu.Unlock()
	want := []string{"|USER bob", "bob|PASS <redacted>", "bob|NOOP", "bob|QUIT"}
	if !slices.Equal(seen, want) {
		t.Errorf("OnCommand saw %q, want %q", seen, want)
	}
}

func TestMailboxAPI(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	data := []byte("x\r\n")
	s.Add("bob", Message{Data: data}, Message{Data: data}, Message{UIDL: "same"}, Message{UIDL: "same"})
	data[0] = 'y' // the server keeps its own copy
	got := s.Messages("bob")
	if len(got) != 4 || got[0].UIDL == got[1].UIDL || got[2].UIDL != "same" || got[3].UIDL != "same" || string(got[0].Data) != "x\r\n" {
		t.Errorf("Messages = %+v", got)
	}
	s.SetMessages("bob", got[:1])
	if got := s.Messages("bob"); len(got) != 1 {
		t.Errorf("after SetMessages: %d messages", len(got))
	}
	if s.Messages("nobody") != nil {
		t.Error("Messages of an unknown user is not nil")
	}
}

func TestLongLineRejected(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	w := connect(t, s)
	if r := w.cmd("NOOP " + strings.Repeat("x", maxCommand)); r != "-ERR line too long" {
		t.Errorf("long command: %q", r)
	}
	if _, err := w.br.ReadString('\n'); !errors.Is(err, io.EOF) {
		t.Errorf("after a long command the connection is still open: %v", err)
	}
}

func TestNeedsCertificate(t *testing.T) {
	if _, err := NewServer(Options{ImplicitTLS: true}); err == nil {
		t.Error("NewServer with ImplicitTLS and no certificate succeeded")
	}
}
