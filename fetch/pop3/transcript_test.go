package pop3

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A transcript is a scripted session, one step a line:
//
//	S: text     the server sends text and CRLF ("S:" alone sends an empty line)
//	S! "…"      the server sends the Go-quoted bytes as they are
//	C: text     the client must send exactly text and CRLF
//	CLOSE       the server closes the connection
//
// After the last step the server expects the client to close the
// connection without sending anything more.
type transcript struct {
	name   string
	script string
	opts   Options
	// run drives the client; the greeting has been read unless noConnect.
	run       func(t *testing.T, ctx context.Context, c *Client)
	noConnect bool
}

var transcripts = []transcript{
	{
		name: "USER PASS and transaction commands",
		script: `
			S: +OK POP3 server ready
			C: USER alice
			S: +OK
			C: PASS secret word
			S: +OK maildrop has 2 messages (320 octets)
			C: STAT
			S: +OK 2 320
			C: LIST
			S: +OK 2 messages (320 octets)
			S: 1 120
			S: 2 200 extra information
			S: .
			C: UIDL
			S: +OK
			S: 1 whqtswO00WBw418f9t5JxYwZ
			S: 2 QhdPYR:00WBw1Ph7x7
			S: .
			C: LIST 2
			S: +OK 2 200
			C: UIDL 1
			S: +OK 1 whqtswO00WBw418f9t5JxYwZ
			C: DELE 1
			S: +OK message 1 deleted
			C: RSET
			S: +OK maildrop has 2 messages (320 octets)
			C: NOOP
			S: +OK
			C: QUIT
			S: +OK dewey POP3 server signing off (maildrop empty)`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			must(t, c.User(ctx, "alice"))
			must(t, c.Pass(ctx, "secret word"))
			n, size, err := c.Stat(ctx)
			if n != 2 || size != 320 || err != nil {
				t.Errorf("Stat = %d, %d, %v", n, size, err)
			}
			list, err := c.List(ctx)
			if fmt.Sprint(list) != "[{1 120} {2 200}]" || err != nil {
				t.Errorf("List = %v, %v", list, err)
			}
			uidls, err := c.UIDL(ctx)
			if fmt.Sprint(uidls) != "[{1 whqtswO00WBw418f9t5JxYwZ} {2 QhdPYR:00WBw1Ph7x7}]" || err != nil {
				t.Errorf("UIDL = %v, %v", uidls, err)
			}
			if e, err := c.ListOne(ctx, 2); e != (ListEntry{2, 200}) || err != nil {
				t.Errorf("ListOne = %v, %v", e, err)
			}
			if e, err := c.UIDLOne(ctx, 1); e != (UIDLEntry{1, "whqtswO00WBw418f9t5JxYwZ"}) || err != nil {
				t.Errorf("UIDLOne = %v, %v", e, err)
			}
			must(t, c.Dele(ctx, 1))
			must(t, c.Rset(ctx))
			must(t, c.Noop(ctx))
			must(t, c.Quit(ctx))
		},
	},
	{
		name: "APOP as in RFC 1939",
		script: `
			S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
			C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
			S: +OK maildrop has 1 message (369 octets)`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			must(t, c.APOP(ctx, "mrose", "tanstaaf"))
		},
	},
	{
		name: "AUTH PLAIN as in RFC 5034",
		script: `
			S: +OK ready
			C: AUTH PLAIN
			S: + 
			C: AHRpbQB0YW5zdGFhZnRhbnN0YWFm
			S: +OK Maildrop locked and ready`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			must(t, c.AuthPlain(ctx, "tim", "tanstaaftanstaaf"))
		},
	},
	{
		name: "AUTH PLAIN with a bare + continuation, rejected",
		script: `
			S: +OK ready
			C: AUTH PLAIN
			S: +
			C: AHRpbQB3cm9uZw==
			S: -ERR [AUTH] Authentication failed.`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			err := c.AuthPlain(ctx, "tim", "wrong")
			if !errors.Is(err, ErrAuth) || IsTemporary(err) {
				t.Errorf("AuthPlain = %v, want ErrAuth", err)
			}
		},
	},
	{
		name: "login delay is temporary",
		script: `
			S: +OK ready
			C: USER alice
			S: +OK
			C: PASS pw
			S: -ERR [LOGIN-DELAY] minimum time between logins not reached`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			must(t, c.User(ctx, "alice"))
			err := c.Pass(ctx, "pw")
			if errors.Is(err, ErrAuth) || !IsTemporary(err) {
				t.Errorf("Pass = %v, want temporary, not ErrAuth", err)
			}
		},
	},
	{
		name: "RETR and TOP unstuff dots",
		script: `
			S: +OK ready
			C: RETR 1
			S: +OK 120 octets
			S: Subject: x
			S:
			S: ..leading dot
			S: ...
			S: .
			C: TOP 1 0
			S: +ok
			S: Subject: x
			S:
			S: .
			C: QUIT
			S: +OK bye`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			if got := readAll(t)(c.Retr(ctx, 1)); got != "Subject: x\r\n\r\n.leading dot\r\n..\r\n" {
				t.Errorf("Retr = %q", got)
			}
			if got := readAll(t)(c.Top(ctx, 1, 0)); got != "Subject: x\r\n\r\n" {
				t.Errorf("Top = %q", got)
			}
			must(t, c.Quit(ctx))
		},
	},
	{
		name: "bare LF payload and terminator",
		script: `
			S: +OK ready
			C: RETR 1
			S! "+OK\r\na\nb\r\n..c\n\r.\r\n.\n"
			C: NOOP
			S! "+OK\n"`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			if got := readAll(t)(c.Retr(ctx, 1)); got != "a\nb\r\n.c\n\r.\r\n" {
				t.Errorf("Retr = %q", got)
			}
			must(t, c.Noop(ctx))
		},
	},
	{
		name: "empty message",
		script: `
			S: +OK ready
			C: RETR 1
			S: +OK 0 octets
			S: .`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			if got := readAll(t)(c.Retr(ctx, 1)); got != "" {
				t.Errorf("Retr = %q", got)
			}
		},
	},
	{
		name: "CAPA",
		script: `
			S: +OK ready
			C: CAPA
			S: +OK Capability list follows
			S: TOP
			S: USER
			S: SASL PLAIN LOGIN
			S: RESP-CODES
			S: LOGIN-DELAY 900
			S: uidl
			S: IMPLEMENTATION Shlemazle-Plotz-v302
			S: .`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			caps, err := c.Capa(ctx)
			must(t, err)
			if !caps.Has("UIDL") || !caps.SASL("plain") || caps.SASL("CRAM-MD5") || fmt.Sprint(caps["LOGIN-DELAY"]) != "[900]" {
				t.Errorf("Capa = %v", caps)
			}
		},
	},
	{
		name: "-ERR on RETR keeps the session",
		script: `
			S: +OK ready
			C: RETR 9
			S: -ERR [SYS/TEMP] no such message, only 2 messages in maildrop
			C: NOOP
			S: +OK`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			_, err := c.Retr(ctx, 9)
			var se *ServerError
			if !errors.As(err, &se) || se.Code != "SYS/TEMP" || !IsTemporary(err) ||
				se.Text != "[SYS/TEMP] no such message, only 2 messages in maildrop" {
				t.Errorf("Retr = %v, want the server's temporary error", err)
			}
			must(t, c.Noop(ctx))
		},
	},
	{
		name: "no UIDL",
		script: `
			S: +OK ready
			C: UIDL
			S: -ERR unknown command
			C: QUIT
			S: +OK`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			if _, err := c.UIDL(ctx); !errors.Is(err, ErrNoUIDL) {
				t.Errorf("UIDL = %v, want ErrNoUIDL", err)
			}
			must(t, c.Quit(ctx))
		},
	},
	{
		name:      "-ERR greeting",
		noConnect: true,
		script:    `S: -ERR too many connections, try later`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			err := c.connect(ctx, SecurityNone)
			var se *ServerError
			if !errors.As(err, &se) || !IsTemporary(err) || !strings.Contains(err.Error(), "too many connections") {
				t.Errorf("connect = %v, want a temporary ServerError", err)
			}
		},
	},
	{
		name: "garbage reply closes the session",
		script: `
			S: +OK ready
			C: STAT
			S: * garbage`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			_, _, err := c.Stat(ctx)
			var pe *ProtocolError
			if !errors.As(err, &pe) || IsTemporary(err) {
				t.Errorf("Stat = %v, want a permanent ProtocolError", err)
			}
			if err := c.Noop(ctx); err == nil {
				t.Error("Noop after a protocol error succeeded")
			}
		},
	},
	{
		name: "STAT without numbers",
		script: `
			S: +OK ready
			C: STAT
			S: +OK lots`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			var pe *ProtocolError
			if _, _, err := c.Stat(ctx); !errors.As(err, &pe) {
				t.Errorf("Stat = %v, want a ProtocolError", err)
			}
		},
	},
	{
		name: "data injected after STLS",
		script: `
			S: +OK ready
			C: STLS
			S! "+OK begin TLS\r\n+OK injected\r\n"`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			var pe *ProtocolError
			if err := c.STLS(ctx); !errors.As(err, &pe) {
				t.Errorf("STLS = %v, want a ProtocolError", err)
			}
		},
	},
	{
		name: "stall during RETR times out",
		opts: Options{Timeout: 50 * time.Millisecond},
		script: `
			S: +OK ready
			C: RETR 1
			S: +OK
			S: part of a line`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			rc, err := c.Retr(ctx, 1)
			must(t, err)
			_, err = io.ReadAll(rc)
			var ne *NetError
			if !errors.As(err, &ne) || !ne.Timeout() || !IsTemporary(err) {
				t.Errorf("reading = %v, want a NetError timeout", err)
			}
		},
	},
	{
		name: "connection closed mid-RETR",
		script: `
			S: +OK ready
			C: RETR 1
			S: +OK
			S! "half a mess"
			CLOSE`,
		run: func(t *testing.T, ctx context.Context, c *Client) {
			rc, err := c.Retr(ctx, 1)
			must(t, err)
			got, err := io.ReadAll(rc)
			var ne *NetError
			if string(got) != "half a mess" || !errors.As(err, &ne) || !IsTemporary(err) ||
				!strings.Contains(err.Error(), "server closed the connection") {
				t.Errorf("reading = %q, %v; want the partial bytes and a NetError", got, err)
			}
			if err := c.Quit(ctx); err == nil || !IsTemporary(err) {
				t.Errorf("Quit = %v, want a temporary error", err)
			}
		},
	},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readAll returns a function that reads a whole RETR or TOP payload.
func readAll(t *testing.T) func(io.ReadCloser, error) string {
	return func(rc io.ReadCloser, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

func TestTranscripts(t *testing.T) {
	t.Parallel()
	for _, tc := range transcripts {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			server, client := net.Pipe()
			done := make(chan error, 1)
			go func() { done <- play(server, tc.script) }()
			opts := tc.opts
			if opts.Timeout == 0 {
				opts.Timeout = 5 * time.Second
			}
			c := newClient(client, "pop.example.net", opts)
			defer func() { // also after t.Fatal: the server's view explains most failures
				c.Close()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}()
			ctx := context.Background()
			if !tc.noConnect {
				must(t, c.connect(ctx, SecurityNone))
			}
			tc.run(t, ctx, c)
		})
	}
}

// play runs the server side of script on conn.
func play(conn net.Conn, script string) error {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for _, step := range strings.Split(script, "\n") {
		step = strings.TrimLeft(step, "\t ")
		switch {
		case step == "":
		case step == "CLOSE":
			return nil
		case step == "S:" || strings.HasPrefix(step, "S: "):
			if _, err := io.WriteString(conn, strings.TrimPrefix(step[2:], " ")+"\r\n"); err != nil {
				return fmt.Errorf("sending %q: %v", step, err)
			}
		case strings.HasPrefix(step, "S! "):
			raw, err := strconv.Unquote(step[3:])
			if err != nil {
				return fmt.Errorf("bad step %q: %v", step, err)
			}
			if _, err := io.WriteString(conn, raw); err != nil {
				return fmt.Errorf("sending %q: %v", step, err)
			}
		case strings.HasPrefix(step, "C: "):
			want := step[3:] + "\r\n"
			got, err := br.ReadString('\n')
			if err != nil {
				return fmt.Errorf("client sent %q, then %v; want %q", got, err, want)
			}
			if got != want {
				return fmt.Errorf("client sent %q, want %q", got, want)
			}
		default:
			return fmt.Errorf("bad step %q", step)
		}
	}
	if extra, err := br.ReadString('\n'); err != io.EOF || extra != "" {
		return fmt.Errorf("after the script the client sent %q (%v), want nothing", extra, err)
	}
	return nil
}
