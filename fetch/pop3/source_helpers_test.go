package pop3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// recorder keeps the command lines a pop3test server receives.
type recorder struct {
	mu    sync.Mutex
	lines []string
	hook  func(line string) // called before the line is handled, if set
}

func (r *recorder) onCommand(user, line string) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		hook(line)
	}
}

func (r *recorder) setHook(h func(line string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hook = h
}

// take returns the lines received since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.lines
	r.lines = nil
	return out
}

// verb returns the lines whose command is verb.
func verb(lines []string, v string) []string {
	var out []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], v) {
			out = append(out, l)
		}
	}
	return out
}

// sourceServer starts a pop3test server holding msgs for alice, with its
// commands recorded.
func sourceServer(t testing.TB, opts pop3test.Options, msgs ...pop3test.Message) (*pop3test.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts.OnCommand = rec.onCommand
	return startServer(t, opts, msgs...), rec
}

// account returns an account on addr as alice.
func account(addr string) fetch.Account {
	return fetchtest.Account(addr, testUser, testPass, 5*time.Second)
}

// inbox returns the INBOX report of the run's only account.
func inbox(t testing.TB, rep *fetch.Report) *fetch.MailboxReport {
	t.Helper()
	for _, a := range rep.Accounts {
		for _, m := range a.Mailboxes {
			if m.Mailbox == Mailbox {
				return m
			}
		}
	}
	t.Fatalf("no INBOX report in %s", rep.Summary())
	return nil
}

// id is a message's archive ID.
func id(raw []byte) archive.ID { return archive.ID(sha256.Sum256(raw)) }

// served is what pop3test sends for a stored message: a CRLF is added to
// a message that does not end with a line ending.
func served(data []byte) []byte {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return append(bytes.Clone(data), '\r', '\n')
	}
	return data
}

// locations returns the account's POP3 locations by UIDL; gone ones too.
func locations(t testing.TB, arc *archive.Archive) map[string][]archive.Location {
	t.Helper()
	locs, err := arc.MailboxLocations(context.Background(), "acct", Mailbox)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]archive.Location{}
	for _, l := range locs {
		out[l.UIDL] = append(out[l.UIDL], l)
	}
	return out
}

// checkArchived fails unless every message of msgs is archived byte-exact
// (as the server sends it) at a live location under its UIDL.
func checkArchived(t testing.TB, arc *archive.Archive, msgs []pop3test.Message) {
	t.Helper()
	locs := locations(t, arc)
	for _, m := range msgs {
		want := served(m.Data)
		i := slices.IndexFunc(locs[m.UIDL], func(l archive.Location) bool { return l.Message == id(want) })
		if i < 0 {
			t.Errorf("UIDL %s: not archived as %s (locations %v)", m.UIDL, id(want).Short(), locs[m.UIDL])
			continue
		}
		if l := locs[m.UIDL][i]; !l.GoneSince.IsZero() {
			t.Errorf("UIDL %s: marked gone at %v while on the server", m.UIDL, l.GoneSince)
		}
		got, err := arc.ReadAll(id(want))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("UIDL %s: archive holds %q, %v; want %q", m.UIDL, short(got), err, short(want))
		}
	}
}

func short(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

// testMessage is a small distinct message.
func testMessage(i int, body string) []byte {
	return fmt.Appendf(nil, "From: sender%d@example.org\r\nTo: alice@example.org\r\nSubject: message %d\r\nMessage-ID: <%d@example.org>\r\n\r\n%s\r\n", i, i, i, body)
}

// testMessages returns n messages with UIDLs u<from>… .
func testMessages(from, n int) []pop3test.Message {
	var out []pop3test.Message
	for i := from; i < from+n; i++ {
		out = append(out, pop3test.Message{UIDL: fmt.Sprintf("u%d", i), Data: testMessage(i, fmt.Sprintf("body of message %d", i))})
	}
	return out
}

// clientTLS trusts ca.
func clientTLS(ca *testCA) *tls.Config { return &tls.Config{RootCAs: ca.roots} }

// quitCutter is a loopback proxy that drops the connection, in both
// directions, when the client sends QUIT: the server never sees it.
type quitCutter struct {
	*dovecottest.Proxy
	mu   sync.Mutex
	cuts int
}

func newQuitCutter(t testing.TB, target string) *quitCutter {
	t.Helper()
	q := &quitCutter{}
	q.Proxy = dovecottest.NewWatchingProxy(t, target, func(p []byte) bool {
		if !bytes.Contains(bytes.ToUpper(p), []byte("QUIT\r\n")) {
			return true
		}
		q.mu.Lock()
		q.cuts++
		q.mu.Unlock()
		return false
	})
	return q
}

func (q *quitCutter) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.cuts
}
