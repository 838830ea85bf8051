package dovecottest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"maps"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// message returns a small message whose body holds the given lines.
func message(subject string, body ...string) []byte {
	return []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\n" + strings.Join(body, "\r\n") + "\r\n")
}

func TestServer(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})

	// What POP3 must unstuff and long lines.
	tricky := message("tricky", ".starts with a dot", "..two dots", ".", "x"+strings.Repeat("y", 10000), "end")
	inbox := [][]byte{message("first", "hello"), tricky}
	var inboxUIDs []uint32
	for _, m := range inbox {
		inboxUIDs = append(inboxUIDs, s.Deliver(t, "INBOX", m))
	}
	greek := s.Deliver(t, "Αρχείο", message("greek", "Γειά"), `\Seen`, `\Flagged`, "$Label1")
	russian := s.Deliver(t, "Входящие/2024 & more", message("russian", "Привет"))

	t.Run("bodies", func(t *testing.T) {
		got := s.Bodies(t, "INBOX")
		for i, uid := range inboxUIDs {
			if !bytes.Equal(got[uid], inbox[i]) {
				t.Errorf("Bodies(INBOX)[%d] = %q, want %q", uid, trim(got[uid]), trim(inbox[i]))
			}
		}
		if b := s.Bodies(t, "Αρχείο")[greek]; !bytes.Equal(b, message("greek", "Γειά")) {
			t.Errorf("Bodies(Αρχείο)[%d] = %q", greek, b)
		}
		if b := s.Bodies(t, "Входящие/2024 & more")[russian]; !bytes.Equal(b, message("russian", "Привет")) {
			t.Errorf("Bodies(Входящие/2024 & more)[%d] = %q", russian, b)
		}
	})

	t.Run("flags", func(t *testing.T) {
		got := s.Flags(t, "Αρχείο")[greek]
		want := []string{"$Label1", `\Flagged`, `\Seen`}
		if !slices.Equal(got, want) {
			t.Errorf("Flags(Αρχείο)[%d] = %q, want %q", greek, got, want)
		}
		// Bodies used BODY.PEEK[]: nothing became \Seen.
		for uid, flags := range s.Flags(t, "INBOX") {
			if slices.Contains(flags, `\Seen`) {
				t.Errorf("Flags(INBOX)[%d] = %q after Bodies, want no \\Seen", uid, flags)
			}
		}
	})

	t.Run("mailbox dirs", func(t *testing.T) {
		for _, mbox := range []string{"INBOX", "Αρχείο", "Входящие/2024 & more"} {
			if _, err := os.Stat(filepath.Join(s.MailboxDir(mbox), "cur")); err != nil {
				t.Errorf("MailboxDir(%q): %v", mbox, err)
			}
		}
	})

	t.Run("maildir", func(t *testing.T) {
		var msgs [][]byte
		for i := range 50 {
			msgs = append(msgs, message(fmt.Sprintf("bulk%d", i), "body"))
		}
		// A message with bare LF is served with CRLF.
		msgs = append(msgs, []byte("Subject: lf\n\nbare\n"))
		s.DeliverMaildir(t, "Αρχείο", msgs)
		s.DeliverMaildir(t, "Bulk", msgs)

		got := s.Bodies(t, "Bulk")
		uids := slices.Sorted(maps.Keys(got))
		if len(uids) != len(msgs) {
			t.Fatalf("Bodies(Bulk) has %d messages, want %d", len(uids), len(msgs))
		}
		for i, uid := range uids {
			want := bytes.ReplaceAll(msgs[i], []byte("\r\n"), []byte("\n"))
			want = bytes.ReplaceAll(want, []byte("\n"), []byte("\r\n"))
			if !bytes.Equal(got[uid], want) {
				t.Errorf("Bodies(Bulk)[%d] = %q, want %q (delivery order)", uid, got[uid], want)
			}
		}
		if n := len(s.Bodies(t, "Αρχείο")); n != 1+len(msgs) {
			t.Errorf("Αρχείο holds %d messages, want %d", n, 1+len(msgs))
		}
	})

	t.Run("pop3", func(t *testing.T) {
		imapBodies := s.Bodies(t, "INBOX")
		for _, tc := range []struct {
			name string
			dial func() (net.Conn, error)
			stls bool
		}{
			{"plain", func() (net.Conn, error) { return net.Dial("tcp", s.Addr(POP3)) }, false},
			{"STLS", func() (net.Conn, error) { return net.Dial("tcp", s.Addr(POP3)) }, true},
			{"POP3S", func() (net.Conn, error) { return tls.Dial("tcp", s.Addr(POP3S), s.TLSConfig()) }, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conn, err := tc.dial()
				if err != nil {
					t.Fatal(err)
				}
				p := newPOP3(t, conn)
				if tc.stls {
					p.cmd("STLS")
					tc := tls.Client(conn, s.TLSConfig())
					if err := tc.Handshake(); err != nil {
						t.Fatalf("STLS handshake: %v", err)
					}
					p = newPOP3(t, tc)
					p.greeted = true
				}
				p.cmd("USER " + s.User())
				p.cmd("PASS " + s.Password())
				for i, uid := range inboxUIDs {
					p.cmd(fmt.Sprintf("RETR %d", i+1))
					if got := p.multi(); !bytes.Equal(got, imapBodies[uid]) {
						t.Errorf("RETR %d = %q, want IMAP BODY[] %q", i+1, trim(got), trim(imapBodies[uid]))
					}
				}
				// pop3_uidl_format = %08Xu%08Xv: UID 1, then UIDVALIDITY.
				if uidl := p.cmd("UIDL 1"); !strings.HasPrefix(uidl, "+OK 1 00000001") || len(uidl) != len("+OK 1 ")+16+2 {
					t.Errorf("UIDL 1 = %q, want +OK 1 00000001 and 8 hex digits", uidl)
				}
				p.cmd("QUIT")
			})
		}
	})

	t.Run("imaps", func(t *testing.T) {
		c, err := imapclient.DialTLS(s.Addr(IMAPS), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.CertPool()}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(s.User(), s.Password()).Wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Select("Αρχείο", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("starttls", func(t *testing.T) {
		c, err := imapclient.DialStartTLS(s.Addr(IMAP), &imapclient.Options{TLSConfig: s.TLSConfig()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(s.User(), s.Password()).Wait(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("untrusted", func(t *testing.T) {
		// Without the CA, the certificate must not verify.
		conn, err := tls.Dial("tcp", s.Addr(IMAPS), &tls.Config{})
		if err == nil {
			conn.Close()
			t.Fatal("IMAPS handshake without the test CA succeeded")
		}
	})

	t.Run("ca file", func(t *testing.T) {
		data, err := os.ReadFile(s.CAFile())
		if err != nil || !bytes.Contains(data, []byte("BEGIN CERTIFICATE")) {
			t.Fatalf("CAFile %s: %v, %.40q", s.CAFile(), err, data)
		}
	})

	t.Run("log", func(t *testing.T) {
		for line := range strings.Lines(s.Log()) {
			for _, bad := range []string{": Warning: ", ": Error: ", ": Fatal: ", ": Panic: "} {
				if strings.Contains(line, bad) {
					t.Errorf("Dovecot logged %q", line)
				}
			}
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		c, err := imapclient.DialInsecure(s.Addr(IMAP), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(s.User(), "wrong").Wait(); err == nil {
			t.Fatal("LOGIN with a wrong password succeeded")
		}
	})
}

// TestParallel runs two servers at once and checks that they are apart,
// and that stopping them leaves no Dovecot process behind.
func TestParallel(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		pgids []int
	)
	t.Run("group", func(t *testing.T) {
		for i := range 2 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				s := Start(t, Options{User: fmt.Sprintf("user%d@example.org", i)})
				mu.Lock()
				pgids = append(pgids, s.proc.cmd.Process.Pid)
				mu.Unlock()
				s.Deliver(t, "INBOX", message(fmt.Sprint("server", i), "x"))
				c := s.Dial(t)
				sel, err := c.Select("INBOX", nil).Wait()
				if err != nil {
					t.Fatal(err)
				}
				if sel.NumMessages != 1 {
					t.Errorf("INBOX of server %d holds %d messages, want 1", i, sel.NumMessages)
				}
			})
		}
	})
	if len(pgids) != 2 {
		t.Fatalf("started %d servers, want 2", len(pgids))
	}
	for _, pgid := range pgids {
		if !groupGone(pgid) {
			t.Errorf("processes of Dovecot group %d still running after the test", pgid)
		}
	}
}

func TestOptionsConfig(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{User: "ü@example.org", Password: "p ä s s", Config: "pop3_uidl_format = uid%u"})
	s.Deliver(t, "INBOX", message("x", "y"))
	conn, err := net.Dial("tcp", s.Addr(POP3))
	if err != nil {
		t.Fatal(err)
	}
	p := newPOP3(t, conn)
	p.cmd("USER " + s.User())
	p.cmd("PASS " + s.Password())
	if got, want := p.cmd("UIDL 1"), "+OK 1 uid1\r\n"; got != want {
		t.Errorf("UIDL 1 = %q, want %q (Options.Config overrides the generated setting)", got, want)
	}
}

func TestProxy(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	p := NewProxy(t, s.Addr(IMAP))
	c, err := imapclient.DialInsecure(p.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(s.User(), s.Password()).Wait(); err != nil {
		t.Fatalf("LOGIN through the proxy: %v", err)
	}
	p.CutAll()
	if err := c.Noop().Wait(); err == nil {
		t.Error("NOOP after CutAll succeeded")
	}
	c.Close()
	if p.Cuts() != 1 {
		t.Errorf("Cuts() = %d, want 1", p.Cuts())
	}
}

func TestEncodeUTF7(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"INBOX", "INBOX"},
		{"a & b", "a &- b"},
		{"Αρχείο", "&A5EDwQPHA7UDrwO,-"},
		{"Входящие", "&BBIERQQ+BDQETwRJBDgENQ-"},
		{"日本語", "&ZeVnLIqe-"},
		{"x😀y", "x&2D3eAA-y"},
	} {
		if got := encodeUTF7(tc.in); got != tc.want {
			t.Errorf("encodeUTF7(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// pop3 is a minimal POP3 client for checking the server: it keeps the
// bytes exact (textproto's DotReader would turn CRLF into LF).
type pop3 struct {
	t       *testing.T
	c       *textproto.Conn
	r       *bufio.Reader
	greeted bool
}

func newPOP3(t *testing.T, conn net.Conn) *pop3 {
	t.Cleanup(func() { conn.Close() })
	c := textproto.NewConn(conn)
	return &pop3{t: t, c: c, r: c.R}
}

// cmd sends line (after reading the greeting, the first time) and
// requires a +OK reply.
func (p *pop3) cmd(line string) string {
	p.t.Helper()
	if !p.greeted {
		p.greeted = true
		p.reply("greeting")
	}
	if err := p.c.PrintfLine("%s", line); err != nil {
		p.t.Fatal(err)
	}
	return p.reply(strings.Fields(line)[0])
}

func (p *pop3) reply(what string) string {
	p.t.Helper()
	line, err := p.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "+OK") {
		p.t.Fatalf("POP3 %s: %q, %v", what, line, err)
	}
	return line
}

// multi reads a multi-line response and undoes the dot-stuffing.
func (p *pop3) multi() []byte {
	p.t.Helper()
	var out []byte
	for {
		line, err := p.r.ReadBytes('\n')
		if err != nil {
			p.t.Fatalf("POP3 multi-line response: %v", err)
		}
		if string(line) == ".\r\n" {
			return out
		}
		out = append(out, bytes.TrimPrefix(line, []byte("."))...)
	}
}

func trim(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// fatalTB records Fatalf instead of ending the test.
type fatalTB struct {
	testing.TB
	msg string
}

type fatal struct{}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatal{})
}

func TestStartFailureShowsLog(t *testing.T) {
	t.Parallel()
	tb := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != (fatal{}) {
				panic(r)
			}
		}()
		Start(tb, Options{Config: "no_such_setting = 1"})
	}()
	if !strings.Contains(tb.msg, "no_such_setting") {
		t.Errorf("Start with a bad setting failed with %q, want Dovecot's complaint about it", tb.msg)
	}
}
