// Package fetchtest holds what the tests of the fetch sources (fetch/imap
// and fetch/pop3) share: an archive to fetch into, runs of fetch.Run,
// accounts on a test server or Dovecot, a loopback proxy that sees what
// the client sends, and the fetch benchmarks' table.
package fetchtest

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
)

// OpenArchive opens a new archive in a temporary directory, closed when
// tb ends; now, if not nil, is its clock.
func OpenArchive(tb testing.TB, now func() time.Time) *archive.Archive {
	tb.Helper()
	arc, err := archive.Open(context.Background(), tb.TempDir(), archive.Options{Create: true, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { arc.Close() })
	return arc
}

// InstantBackoff retries at once.
func InstantBackoff(attempts int) fetch.Backoff {
	return fetch.Backoff{Attempts: attempts, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
}

// RunSources drives sources with fetch.Run; without a backoff in opts,
// three attempts at once.
func RunSources(tb testing.TB, ctx context.Context, arc *archive.Archive, opts fetch.Options, srcs ...fetch.Source) *fetch.Report {
	tb.Helper()
	if opts.Backoff.Attempts == 0 {
		opts.Backoff = InstantBackoff(3)
	}
	rep, err := fetch.Run(ctx, arc, srcs, opts)
	if err != nil {
		tb.Fatalf("fetch.Run: %v", err)
	}
	return rep
}

// RunOK runs one source and fails tb unless everything went well.
func RunOK(tb testing.TB, arc *archive.Archive, src fetch.Source) *fetch.Report {
	tb.Helper()
	rep := RunSources(tb, context.Background(), arc, fetch.Options{}, src)
	if !rep.OK() {
		tb.Fatalf("run not OK: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
	}
	return rep
}

// Account returns the account "acct" of user with password on addr
// (host:port), without TLS, with a network timeout of timeout.
func Account(addr, user, password string, timeout time.Duration) fetch.Account {
	host, port, _ := net.SplitHostPort(addr)
	a := fetch.Account{Name: "acct", Host: host, Security: fetch.None, Username: user,
		Password: func(context.Context) (string, error) { return password, nil }, Timeout: timeout}
	a.Port, _ = strconv.Atoi(port)
	return a
}

// DovecotAccount returns the account "acct" of s's user on addr (one of
// s's listeners, or a proxy to one) with security sec, trusting s's CA.
func DovecotAccount(s *dovecottest.Server, addr string, sec fetch.Security) fetch.Account {
	a := Account(addr, s.User(), s.Password(), 20*time.Second)
	a.Security, a.TLSConfig = sec, &tls.Config{RootCAs: s.CertPool()}
	return a
}

// Deliver stores msgs in s's mailbox with IMAP APPEND, in order, and
// returns their UIDs.
func Deliver(tb testing.TB, s *dovecottest.Server, mailbox string, msgs ...[]byte) []uint32 {
	tb.Helper()
	uids := make([]uint32, 0, len(msgs))
	for _, m := range msgs {
		uids = append(uids, s.Deliver(tb, mailbox, m))
	}
	return uids
}

// TLSListener is one way to reach Dovecot over TLS: a listener and the
// account security that goes with it.
type TLSListener struct {
	Name string // as the protocol calls it: IMAPS, STARTTLS, POP3S, STLS
	P    dovecottest.Protocol
	Sec  fetch.Security
}

// TLSListeners returns the ways to reach Dovecot's plain listener p (IMAP
// or POP3) over TLS: its implicit-TLS twin, and STARTTLS (POP3's STLS) on p.
func TLSListeners(tb testing.TB, p dovecottest.Protocol) []TLSListener {
	tb.Helper()
	switch p {
	case dovecottest.IMAP:
		return []TLSListener{{"IMAPS", dovecottest.IMAPS, fetch.TLS}, {"STARTTLS", dovecottest.IMAP, fetch.STARTTLS}}
	case dovecottest.POP3:
		return []TLSListener{{"POP3S", dovecottest.POP3S, fetch.TLS}, {"STLS", dovecottest.POP3, fetch.STARTTLS}}
	}
	tb.Fatalf("fetchtest.TLSListeners(%v): want IMAP or POP3", p)
	return nil
}
