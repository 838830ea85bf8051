package dovecottest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"golang.org/x/sync/errgroup"
)

// Dial returns a new client on the plain IMAP port, logged in, closed when
// tb ends. It is independent of the code under test: use it to check what
// the server holds.
func (s *Server) Dial(tb testing.TB) *imapclient.Client {
	tb.Helper()
	c, err := s.dial()
	if err != nil {
		tb.Fatalf("dovecottest: %v\n%s", err, s.Log())
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func (s *Server) dial() (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.addrs[IMAP], &imapclient.Options{
		Dialer: &net.Dialer{Timeout: 10 * time.Second},
	})
	if err != nil {
		return nil, fmt.Errorf("dial IMAP: %w", err)
	}
	if err := c.Login(s.user, s.pass).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("IMAP LOGIN: %w", err)
	}
	return c, nil
}

// withAdmin runs f on the shared admin connection, one caller at a time.
func (s *Server) withAdmin(tb testing.TB, f func(c *imapclient.Client) error) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		c, err := s.dial()
		if err != nil {
			tb.Fatalf("dovecottest: %v\n%s", err, s.Log())
		}
		s.admin = c
	}
	if err := f(s.admin); err != nil {
		tb.Fatalf("dovecottest: %v\n%s", err, s.Log())
	}
}

// create makes sure mailbox exists. It asks each time: a test may have
// deleted the mailbox meanwhile.
func create(c *imapclient.Client, mailbox string) error {
	err := c.Create(mailbox, nil).Wait()
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("CREATE %q: %w", mailbox, err)
	}
	return nil
}

// Deliver stores raw in mailbox with IMAP APPEND, creating the mailbox if
// needed, and returns the message's UID. Flags are IMAP flags or keywords
// such as `\Seen` or "$Label1". Any mailbox name works, "Входящие" too.
//
// Dovecot stores what it is given, but may serve it changed: a bare LF is
// served as CRLF and a NUL byte as 0x80. For many messages at once, see
// DeliverMaildir.
func (s *Server) Deliver(tb testing.TB, mailbox string, raw []byte, flags ...string) uint32 {
	tb.Helper()
	var uid imap.UID
	s.withAdmin(tb, func(c *imapclient.Client) error {
		if err := create(c, mailbox); err != nil {
			return err
		}
		opts := &imap.AppendOptions{}
		for _, f := range flags {
			opts.Flags = append(opts.Flags, imap.Flag(f))
		}
		cmd := c.Append(mailbox, int64(len(raw)), opts)
		_, werr := cmd.Write(raw)
		cerr := cmd.Close()
		data, err := cmd.Wait()
		if err = errors.Join(werr, cerr, err); err != nil {
			return fmt.Errorf("APPEND to %q: %w", mailbox, err)
		}
		uid = data.UID
		return nil
	})
	return uint32(uid)
}

// DeliverMaildir writes msgs as files straight into mailbox's Maildir
// (created with IMAP if needed), the way a local delivery agent does, then
// makes Dovecot take them in. It is meant for benchmarks: 20,000 messages
// take about 3 seconds, mostly creating the files, a quarter of the time
// APPEND takes. The messages get consecutive UIDs in the order given, no
// flags, and are served as stored (files with bare LF are served with CRLF).
func (s *Server) DeliverMaildir(tb testing.TB, mailbox string, msgs [][]byte) {
	tb.Helper()
	s.withAdmin(tb, func(c *imapclient.Client) error {
		if err := create(c, mailbox); err != nil {
			return err
		}
		dir := s.MailboxDir(mailbox)
		before, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return fmt.Errorf("STATUS %q: %w", mailbox, err)
		}
		if err := s.writeMaildir(dir, msgs); err != nil {
			return fmt.Errorf("deliver to %q: %w", mailbox, err)
		}
		// Opening the mailbox makes Dovecot scan new/ and assign UIDs.
		sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			return fmt.Errorf("EXAMINE %q: %w", mailbox, err)
		}
		if err := c.Unselect().Wait(); err != nil {
			return fmt.Errorf("UNSELECT: %w", err)
		}
		if want := *before.NumMessages + uint32(len(msgs)); sel.NumMessages != want {
			return fmt.Errorf("%q has %d messages after delivering %d to %s, want %d",
				mailbox, sel.NumMessages, len(msgs), dir, want)
		}
		return nil
	})
}

// writeMaildir writes each message to tmp/ and renames it into new/, owned
// by the mail user, a few at a time. Names sort in delivery order (Dovecot
// assigns UIDs in the order of the time and microseconds in the name).
func (s *Server) writeMaildir(dir string, msgs [][]byte) error {
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		return fmt.Errorf("mailbox directory: %w", err)
	}
	sec := time.Now().Unix()
	var g errgroup.Group
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	for i, raw := range msgs {
		name := fmt.Sprintf("%d.M%06dP%d.dovecottest,S=%d",
			sec+int64(i/1_000_000), i%1_000_000, os.Getpid(), len(raw))
		g.Go(func() error {
			return s.writeMessage(filepath.Join(dir, "tmp", name), filepath.Join(dir, "new", name), raw)
		})
	}
	return g.Wait()
}

func (s *Server) writeMessage(tmp, final string, raw []byte) (err error) {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Chown(s.own.uid, s.own.gid)
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// MailboxDir returns the Maildir directory of mailbox (it holds cur, new
// and tmp). Dovecot keeps names on disk in modified UTF-7 (RFC 3501
// section 5.1.3), so "Αρχείο" is Maildir/&A5EDwQPHA7UDrwO,-.
func (s *Server) MailboxDir(mailbox string) string {
	parts := strings.Split(mailbox, "/")
	if strings.EqualFold(parts[0], "INBOX") {
		parts[0] = "INBOX"
	}
	for i, p := range parts {
		parts[i] = encodeUTF7(p)
	}
	return filepath.Join(append([]string{s.maildir}, parts...)...)
}

var utf7Encoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// encodeUTF7 encodes a mailbox name in IMAP's modified UTF-7.
func encodeUTF7(s string) string {
	var b strings.Builder
	var run []byte // UTF-16BE of the pending non-ASCII characters
	flush := func() {
		if len(run) > 0 {
			b.WriteByte('&')
			b.WriteString(utf7Encoding.EncodeToString(run))
			b.WriteByte('-')
			run = run[:0]
		}
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			b.WriteRune(r)
			if r == '&' {
				b.WriteByte('-')
			}
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			run = append(run, byte(u>>8), byte(u))
		}
	}
	flush()
	return b.String()
}

// Flags returns the flags of every message in mailbox by UID, sorted,
// read without changing anything (EXAMINE). \Recent, which depends on
// the session, is left out.
func (s *Server) Flags(tb testing.TB, mailbox string) map[uint32][]string {
	tb.Helper()
	out := map[uint32][]string{}
	s.examine(tb, mailbox, &imap.FetchOptions{UID: true, Flags: true}, func(m *imapclient.FetchMessageBuffer) {
		flags := []string{}
		for _, f := range m.Flags {
			if f == "\\Recent" {
				continue // depends on the session, not on the message
			}
			flags = append(flags, string(f))
		}
		slices.Sort(flags)
		out[uint32(m.UID)] = flags
	})
	return out
}

// Bodies returns every message of mailbox by UID, as the server serves
// it (BODY.PEEK[], so \Seen is not set).
func (s *Server) Bodies(tb testing.TB, mailbox string) map[uint32][]byte {
	tb.Helper()
	section := &imap.FetchItemBodySection{Peek: true}
	out := map[uint32][]byte{}
	s.examine(tb, mailbox, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}, func(m *imapclient.FetchMessageBuffer) {
		out[uint32(m.UID)] = m.FindBodySection(section)
	})
	return out
}

// Warm lists every message of mailbox with the items a client asks for
// first (UID, FLAGS, INTERNALDATE, RFC822.SIZE), read-only: Dovecot builds
// its index and cache of a mailbox on the first such listing, which a
// benchmark should not charge to whichever client happens to run first.
func (s *Server) Warm(tb testing.TB, mailbox string) {
	tb.Helper()
	s.examine(tb, mailbox, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true}, func(*imapclient.FetchMessageBuffer) {})
}

// examine fetches items of every message of mailbox, read-only.
func (s *Server) examine(tb testing.TB, mailbox string, items *imap.FetchOptions, f func(*imapclient.FetchMessageBuffer)) {
	tb.Helper()
	s.withAdmin(tb, func(c *imapclient.Client) error {
		sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			return fmt.Errorf("EXAMINE %q: %w", mailbox, err)
		}
		if sel.NumMessages > 0 {
			cmd := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, items)
			for {
				msg := cmd.Next()
				if msg == nil {
					break
				}
				buf, err := msg.Collect()
				if err != nil {
					cmd.Close()
					return fmt.Errorf("FETCH in %q: %w", mailbox, err)
				}
				f(buf)
			}
			if err := cmd.Close(); err != nil {
				return fmt.Errorf("FETCH in %q: %w", mailbox, err)
			}
		}
		if err := c.Unselect().Wait(); err != nil {
			return fmt.Errorf("UNSELECT: %w", err)
		}
		return nil
	})
}
