package pop3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
)

// edgeCases are stored messages and the bytes RETR must deliver for them.
var edgeCases = []struct {
	name string
	data string
	want string // "" means data
}{
	{name: "simple", data: "Subject: hi\r\n\r\nbody\r\n"},
	{name: "lines starting with dots", data: "Subject: dots\r\n\r\n.leading\r\n..two\r\n.\r\n..\r\n...\r\nend\r\n"},
	{name: "first byte is a dot", data: ".starts with a dot\r\n"},
	{name: "dot line last", data: "a\r\n.\r\n"},
	{name: "line of 1000", data: "Subject: long\r\n\r\n" + strings.Repeat("a", 1000) + "\r\n"},
	{name: "line of 10000", data: "Subject: long\r\n\r\n" + strings.Repeat("b", 10000) + "\r\n"},
	{name: "line of 10000 starting with dot", data: "\r\n." + strings.Repeat("c", 9999) + "\r\n"},
	{name: "line of 200000", data: "X: y\r\n\r\n" + strings.Repeat("0123456789", 20000) + "\r\nend\r\n"},
	{name: "bare LF", data: "a\nb\r\nc\nd\r\n"},
	{name: "bare LF before dot", data: "a\n.b\r\n\n.\n..\r\n"},
	{name: "ends with bare LF", data: "Subject: x\n\nbody\n"},
	{name: "bare CR", data: "a\rb\r\n\r.\r\n.\r\r\n"},
	{name: "empty", data: ""},
	{name: "no final CRLF", data: "Subject: x\r\n\r\nno line end", want: "Subject: x\r\n\r\nno line end\r\n"},
	{name: "only a dot", data: ".", want: ".\r\n"},
	{name: "dot CR at end", data: ".\r", want: ".\r\r\n"},
	{name: "all bytes", data: allBytes()},
}

func allBytes() string {
	var b strings.Builder
	for i := range 256 {
		b.WriteByte(byte(i))
		if i%32 == 31 {
			b.WriteString("\r\n")
		}
	}
	return b.String()
}

func edgeMessages() []pop3test.Message {
	var msgs []pop3test.Message
	for i, tc := range edgeCases {
		msgs = append(msgs, pop3test.Message{UIDL: fmt.Sprintf("uid-%d", i), Data: []byte(tc.data)})
	}
	return msgs
}

func TestRetrByteExact(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{}, edgeMessages()...)
	c := login(t, s, Options{})
	ctx := context.Background()
	readers := map[string]func(io.Reader) io.Reader{
		"ReadAll":   func(r io.Reader) io.Reader { return r },
		"OneByte":   iotest.OneByteReader,
		"HalfReads": iotest.HalfReader,
	}
	for i, tc := range edgeCases {
		want := tc.want
		if want == "" {
			want = tc.data
		}
		for rname, wrap := range readers {
			t.Run(tc.name+"/"+rname, func(t *testing.T) {
				rc, err := c.Retr(ctx, i+1)
				if err != nil {
					t.Fatalf("Retr(%d): %v", i+1, err)
				}
				got, err := io.ReadAll(wrap(rc))
				if err != nil {
					t.Fatalf("reading RETR %d: %v", i+1, err)
				}
				if err := rc.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				if string(got) != want {
					t.Errorf("Retr(%d) = %q, want %q", i+1, trunc(got), trunc([]byte(want)))
				}
			})
		}
	}
	// The session is still in step after all of that.
	if n, _, err := c.Stat(ctx); err != nil || n != len(edgeCases) {
		t.Errorf("Stat = %d, %v; want %d, nil", n, err, len(edgeCases))
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit: %v", err)
	}
}

func trunc(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%s…(%d bytes)", b[:80], len(b))
	}
	return string(b)
}

func TestTop(t *testing.T) {
	t.Parallel()
	msg := "Subject: top\r\nFrom: a@b\r\n\r\n.line 1\r\nline 2\r\nline 3\r\n"
	s := startServer(t, pop3test.Options{}, pop3test.Message{Data: []byte(msg)})
	c := login(t, s, Options{})
	for _, tc := range []struct {
		lines int
		want  string
	}{
		{0, "Subject: top\r\nFrom: a@b\r\n\r\n"},
		{1, "Subject: top\r\nFrom: a@b\r\n\r\n.line 1\r\n"},
		{10, msg},
	} {
		rc, err := c.Top(context.Background(), 1, tc.lines)
		if err != nil {
			t.Fatalf("Top(1, %d): %v", tc.lines, err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || string(got) != tc.want {
			t.Errorf("Top(1, %d) = %q, %v; want %q", tc.lines, got, err, tc.want)
		}
	}
}

func TestListUIDLStat(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{},
		pop3test.Message{UIDL: "a", Data: []byte("one\r\n")},
		pop3test.Message{UIDL: "dup", Data: []byte("two!\r\n")},
		pop3test.Message{UIDL: "dup", Data: []byte("three\r\n")},
	)
	c := login(t, s, Options{})
	ctx := context.Background()

	n, size, err := c.Stat(ctx)
	if err != nil || n != 3 || size != 5+6+7 {
		t.Errorf("Stat = %d, %d, %v; want 3, 18, nil", n, size, err)
	}
	list, err := c.List(ctx)
	wantList := []ListEntry{{1, 5}, {2, 6}, {3, 7}}
	if err != nil || fmt.Sprint(list) != fmt.Sprint(wantList) {
		t.Errorf("List = %v, %v; want %v", list, err, wantList)
	}
	uidls, err := c.UIDL(ctx)
	wantUIDL := []UIDLEntry{{1, "a"}, {2, "dup"}, {3, "dup"}}
	if err != nil || fmt.Sprint(uidls) != fmt.Sprint(wantUIDL) {
		t.Errorf("UIDL = %v, %v; want %v", uidls, err, wantUIDL)
	}
	if e, err := c.ListOne(ctx, 2); err != nil || e != (ListEntry{2, 6}) {
		t.Errorf("ListOne(2) = %v, %v", e, err)
	}
	if e, err := c.UIDLOne(ctx, 3); err != nil || e != (UIDLEntry{3, "dup"}) {
		t.Errorf("UIDLOne(3) = %v, %v", e, err)
	}
	var se *ServerError
	if _, err := c.UIDLOne(ctx, 9); !errors.As(err, &se) || errors.Is(err, ErrNoUIDL) {
		t.Errorf("UIDLOne(9) = %v, want a ServerError that is not ErrNoUIDL", err)
	}
	if err := c.Dele(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.List(ctx); len(list) != 2 || list[0].Num != 2 {
		t.Errorf("List after DELE 1 = %v, want messages 2 and 3", list)
	}
	if err := c.Noop(ctx); err != nil {
		t.Errorf("Noop: %v", err)
	}
}

func TestCapa(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{NoSASL: true})
	c := dial(t, s, Options{})
	caps, err := c.Capa(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Has("uidl") || !caps.Has("TOP") || caps.Has("SASL") || caps.SASL("PLAIN") || caps.Has("STLS") {
		t.Errorf("Capa = %v", caps)
	}
}

func TestNoUIDL(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{NoUIDL: true}, pop3test.Message{Data: []byte("x\r\n")})
	c := login(t, s, Options{})
	_, err := c.UIDL(context.Background())
	if !errors.Is(err, ErrNoUIDL) || IsTemporary(err) {
		t.Fatalf("UIDL = %v, want ErrNoUIDL, permanent", err)
	}
	var se *ServerError
	if !errors.As(err, &se) || se.Cmd != "UIDL" {
		t.Errorf("UIDL error %v carries no ServerError for UIDL", err)
	}
	if n, _, err := c.Stat(context.Background()); err != nil || n != 1 {
		t.Errorf("Stat after UIDL failed = %d, %v; want 1, nil", n, err)
	}
}

// authMethods log in each way the client can.
var authMethods = map[string]func(ctx context.Context, c *Client, user, pass string) error{
	"USER/PASS": func(ctx context.Context, c *Client, user, pass string) error {
		if err := c.User(ctx, user); err != nil {
			return err
		}
		return c.Pass(ctx, pass)
	},
	"AUTH PLAIN": func(ctx context.Context, c *Client, user, pass string) error {
		return c.AuthPlain(ctx, user, pass)
	},
	"APOP": func(ctx context.Context, c *Client, user, pass string) error {
		return c.APOP(ctx, user, pass)
	},
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{}, pop3test.Message{Data: []byte("x\r\n")})
	for name, auth := range authMethods {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := dial(t, s, Options{})
			const wrong = "Tr0ub4dor&3"
			err := auth(ctx, c, testUser, wrong)
			if !errors.Is(err, ErrAuth) || IsTemporary(err) {
				t.Fatalf("wrong password: err = %v, want ErrAuth, permanent", err)
			}
			if strings.Contains(err.Error(), wrong) {
				t.Errorf("error %q contains the password", err)
			}
			c.Close()

			c = dial(t, s, Options{})
			if err := auth(ctx, c, testUser, testPass); err != nil {
				t.Fatalf("right password: %v", err)
			}
			if n, _, err := c.Stat(ctx); err != nil || n != 1 {
				t.Errorf("Stat = %d, %v", n, err)
			}
			if err := c.Quit(ctx); err != nil {
				t.Errorf("Quit: %v", err)
			}
		})
	}
}

func TestMaildropInUse(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{})
	login(t, s, Options{})
	c := dial(t, s, Options{})
	err := authMethods["USER/PASS"](context.Background(), c, testUser, testPass)
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "IN-USE" || errors.Is(err, ErrAuth) || !IsTemporary(err) {
		t.Errorf("second login = %v, want a temporary IN-USE ServerError that is not ErrAuth", err)
	}
}

func TestNoAPOP(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{NoAPOP: true})
	c := dial(t, s, Options{})
	if err := c.APOP(context.Background(), testUser, testPass); err != ErrNoAPOP {
		t.Errorf("APOP = %v, want ErrNoAPOP", err)
	}
}

func TestDeleCommitsOnlyOnQuit(t *testing.T) {
	t.Parallel()
	msgs := []pop3test.Message{{UIDL: "1", Data: []byte("a\r\n")}, {UIDL: "2", Data: []byte("b\r\n")}}
	for _, tc := range []struct {
		name string
		end  func(context.Context, *Client) error
		left int
	}{
		{"Close", func(_ context.Context, c *Client) error { return c.Close() }, 2},
		{"RSET then QUIT", func(ctx context.Context, c *Client) error {
			if err := c.Rset(ctx); err != nil {
				return err
			}
			return c.Quit(ctx)
		}, 2},
		{"QUIT", func(ctx context.Context, c *Client) error { return c.Quit(ctx) }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, pop3test.Options{}, msgs...)
			c := login(t, s, Options{})
			ctx := context.Background()
			if err := c.Dele(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if err := tc.end(ctx, c); err != nil {
				t.Fatal(err)
			}
			if left := s.Messages(testUser); len(left) != tc.left || left[len(left)-1].UIDL != "2" {
				t.Errorf("after DELE 1 and %s: %d messages left, want %d", tc.name, len(left), tc.left)
			}
			if err := c.Noop(ctx); err != ErrClosed {
				t.Errorf("Noop after %s = %v, want ErrClosed", tc.name, err)
			}
		})
	}
}

func TestDisconnectMidRetr(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"), 10000)
	s := startServer(t, pop3test.Options{},
		pop3test.Message{UIDL: "keep", Data: []byte("a\r\n")},
		pop3test.Message{UIDL: "cut", Data: big, CutAfter: 100000},
	)
	c := login(t, s, Options{})
	ctx := context.Background()
	if err := c.Dele(ctx, 1); err != nil {
		t.Fatal(err)
	}
	rc, err := c.Retr(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	var ne *NetError
	if !errors.As(err, &ne) || !IsTemporary(err) {
		t.Fatalf("reading a cut RETR: err = %v, want a temporary NetError", err)
	}
	var se *ServerError
	if errors.As(err, &se) || errors.Is(err, ErrAuth) {
		t.Errorf("cut RETR error %v looks like a server reply", err)
	}
	if len(got) > 100000 || !bytes.HasPrefix(big, got) {
		t.Errorf("cut RETR gave %d bytes, not a prefix of the message", len(got))
	}
	if err := c.Quit(ctx); err == nil || !IsTemporary(err) {
		t.Errorf("Quit after lost connection = %v, want a temporary error", err)
	}
	if left := s.Messages(testUser); len(left) != 2 {
		t.Errorf("%d messages left, want 2: the DELE must not be committed", len(left))
	}
}

func TestRetrServerError(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{},
		pop3test.Message{Data: []byte("a\r\n"), RetrError: "[SYS/PERM] message 1 is damaged"},
		pop3test.Message{Data: []byte("b\r\n")},
	)
	c := login(t, s, Options{})
	ctx := context.Background()
	_, err := c.Retr(ctx, 1)
	var se *ServerError
	if !errors.As(err, &se) || se.Cmd != "RETR" || se.Code != "SYS/PERM" || se.Text != "[SYS/PERM] message 1 is damaged" {
		t.Fatalf("Retr(1) = %v (%#v), want ServerError with the server's text", err, se)
	}
	if IsTemporary(err) || !strings.Contains(err.Error(), "message 1 is damaged") {
		t.Errorf("Retr(1) error %q: want permanent, with the server's text", err)
	}
	rc, err := c.Retr(ctx, 2)
	if err != nil {
		t.Fatalf("Retr(2) after -ERR: %v", err)
	}
	if got, err := io.ReadAll(rc); err != nil || string(got) != "b\r\n" {
		t.Errorf("Retr(2) = %q, %v", got, err)
	}
}

func TestBodyMustBeFinished(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{}, pop3test.Message{Data: bytes.Repeat([]byte("x\r\n"), 50000)})
	c := login(t, s, Options{})
	ctx := context.Background()
	rc, err := c.Retr(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Stat(ctx); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Errorf("Stat with RETR open = %v, want an error", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n, _, err := c.Stat(ctx); err != nil || n != 1 {
		t.Errorf("Stat after Close = %d, %v", n, err)
	}
}

func TestCancelSlowRetr(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{WriteDelay: time.Hour}, pop3test.Message{Data: []byte("slow\r\n")})
	c := login(t, s, Options{Timeout: 30 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := c.Retr(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(10*time.Millisecond, cancel)
	_, err = io.ReadAll(rc)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("reading while ctx is cancelled: %v, want context.Canceled", err)
	}
	if err := c.Noop(context.Background()); err == nil {
		t.Errorf("Noop after cancelled RETR succeeded; the session must be closed")
	}
}

func TestTimeoutSlowRetr(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{WriteDelay: time.Hour}, pop3test.Message{Data: []byte("slow\r\n")})
	c := login(t, s, Options{Timeout: 50 * time.Millisecond})
	rc, err := c.Retr(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	var ne *NetError
	if !errors.As(err, &ne) || !ne.Timeout() || !IsTemporary(err) {
		t.Fatalf("reading from a stalled server: %v, want a temporary NetError timeout", err)
	}
	if !strings.Contains(err.Error(), "no answer from server within 50ms") {
		t.Errorf("timeout error = %q", err)
	}
}

// silentServer accepts connections and never says anything.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestSilentServer(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	t.Run("timeout", func(t *testing.T) {
		_, err := Dial(context.Background(), addr, Options{Security: SecurityNone, Timeout: 50 * time.Millisecond})
		var ne *NetError
		if !errors.As(err, &ne) || !ne.Timeout() || !IsTemporary(err) {
			t.Errorf("Dial to a silent server = %v, want a temporary NetError timeout", err)
		}
	})
	t.Run("TLS timeout", func(t *testing.T) {
		_, err := Dial(context.Background(), addr, Options{Timeout: 50 * time.Millisecond})
		var ne *NetError
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("TLS Dial to a silent server = %v, want a NetError timeout", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := Dial(ctx, addr, Options{Security: SecurityNone, Timeout: time.Minute})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Dial with a context deadline = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestCancelledContextKeepsSession(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{})
	c := login(t, s, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Noop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Noop(cancelled) = %v, want context.Canceled", err)
	}
	if err := c.Noop(context.Background()); err != nil {
		t.Errorf("Noop after a call that never started: %v", err)
	}
}

func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	s, err := pop3test.NewServer(pop3test.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const users, perUser = 4, 25
	for u := range users {
		name := fmt.Sprintf("user%d", u)
		s.AddUser(name, "pw"+name)
		for i := range perUser {
			s.Add(name, pop3test.Message{Data: fmt.Appendf(nil, "Subject: %s %d\r\n\r\n.%s\r\n", name, i, strings.Repeat("z", i*100))})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for u := range users {
		name := fmt.Sprintf("user%d", u)
		wg.Go(func() { errs <- drain(s, name, "pw"+name, perUser) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for u := range users {
		if left := s.Messages(fmt.Sprintf("user%d", u)); len(left) != 0 {
			t.Errorf("user%d has %d messages left", u, len(left))
		}
	}
}

// drain fetches and deletes every message of user, checking each.
func drain(s *pop3test.Server, user, pass string, want int) error {
	ctx := context.Background()
	stored := s.Messages(user)
	c, err := Dial(ctx, s.Addr(), Options{Security: SecurityNone})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.AuthPlain(ctx, user, pass); err != nil {
		return err
	}
	uidls, err := c.UIDL(ctx)
	if err != nil || len(uidls) != want {
		return fmt.Errorf("%s: UIDL = %d entries, %v", user, len(uidls), err)
	}
	for _, u := range uidls {
		rc, err := c.Retr(ctx, u.Num)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, stored[u.Num-1].Data) || u.UIDL != stored[u.Num-1].UIDL {
			return fmt.Errorf("%s: message %d differs", user, u.Num)
		}
		if err := c.Dele(ctx, u.Num); err != nil {
			return err
		}
	}
	return c.Quit(ctx)
}

func TestSecretsNotLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := startServer(t, pop3test.Options{})
	for name, auth := range authMethods {
		c := dial(t, s, Options{Logger: log})
		if err := auth(context.Background(), c, testUser, testPass); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Quit(context.Background())
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, secret := range []string{testPass, "Y29ycmVjdCBob3JzZSBiYXR0ZXJ5", "AGFsaWNlAGNvcnJlY3QgaG9yc2UgYmF0dGVyeQ=="} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "PASS <redacted>") || !strings.Contains(out, "USER alice") {
		t.Errorf("log lacks the redacted commands:\n%s", out)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestParseSecurity(t *testing.T) {
	for _, s := range []Security{SecurityTLS, SecurityStartTLS, SecurityNone} {
		if got, err := ParseSecurity(s.String()); got != s || err != nil {
			t.Errorf("ParseSecurity(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSecurity("ssl"); err == nil {
		t.Error(`ParseSecurity("ssl") succeeded`)
	}
}

func TestCloseWithBodyOpen(t *testing.T) {
	t.Parallel()
	s := startServer(t, pop3test.Options{WriteDelay: time.Hour}, pop3test.Message{Data: []byte("x\r\n")})
	c := login(t, s, Options{})
	rc, err := c.Retr(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	var ne *NetError
	if !errors.As(err, &ne) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("reading after Close = %v, want a NetError for the closed connection", err)
	}
}
