package imap

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// TestConnectionCut breaks the connection after n bytes from the server,
// at many points (greeting, LIST, listing, inside a literal, between
// messages): the run retries, resumes and archives every message exactly
// once, and nothing truncated is stored.
func TestConnectionCut(t *testing.T) {
	s := newMemServer(t)
	var msgs [][]byte
	for i := range 12 {
		msgs = append(msgs, testMessage(i, strings.Repeat(fmt.Sprintf("padding line %d\r\n", i), 200)))
	}
	uids := s.deliver("INBOX", msgs...)
	for _, n := range []int64{10, 300, 700, 1200, 2000, 3500, 5000, 8000, 13000, 21000, 34000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := dovecottest.NewProxy(t, s.addr)
			p.CutAfter(n)
			acct := s.account()
			host, port, _ := net.SplitHostPort(p.Addr())
			acct.Host = host
			fmt.Sscan(port, &acct.Port)
			backoff := fetch.Backoff{Attempts: 3, Sleep: func(ctx context.Context, d time.Duration) error {
				p.CutAfter(-1) // the network is back
				return nil
			}}
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: backoff}, New(acct, Options{BatchMessages: 5}))
			if !rep.OK() {
				t.Fatalf("run not OK: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
			}
			if p.Cuts() == 0 {
				t.Fatalf("no cut at %d bytes", n)
			}
			checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
			st, err := arc.Stats(context.Background())
			if err != nil || st.Messages != int64(len(msgs)) {
				t.Errorf("Stats = %+v, %v; want %d messages", st, err, len(msgs))
			}
			vr, err := arc.Verify(context.Background(), 1, nil)
			if err != nil || !vr.OK() || len(vr.Adopted) > 0 {
				t.Errorf("Verify = %+v, %v", vr, err)
			}
		})
	}
}

// TestFlakyNetwork cuts every connection after a few messages: each
// attempt commits what it completed, so the run keeps going past the
// backoff's attempt limit and finishes.
func TestFlakyNetwork(t *testing.T) {
	s := newMemServer(t)
	var msgs [][]byte
	for i := range 20 {
		msgs = append(msgs, testMessage(i, strings.Repeat(fmt.Sprintf("padding line %d\r\n", i), 200)))
	}
	uids := s.deliver("INBOX", msgs...)
	p := dovecottest.NewProxy(t, s.addr)
	p.CutAfter(15000)
	acct := s.account()
	host, port, _ := net.SplitHostPort(p.Addr())
	acct.Host = host
	fmt.Sscan(port, &acct.Port)
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: fetchtest.InstantBackoff(2)}, New(acct, Options{}))
	if !rep.OK() {
		t.Fatalf("run not OK: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
	}
	if p.Cuts() < 3 {
		t.Errorf("%d cuts, want several", p.Cuts())
	}
	checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
}
