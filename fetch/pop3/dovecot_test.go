package pop3

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/fetch/imap"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// dovecotUID returns the IMAP UID in a Dovecot UIDL (pop3_uidl_format
// %08Xu%08Xv: UID, then UIDVALIDITY, in hex).
func dovecotUID(t testing.TB, uidl string) uint32 {
	t.Helper()
	if len(uidl) != 16 {
		t.Fatalf("UIDL %q is not in Dovecot's %%08Xu%%08Xv format", uidl)
	}
	uid, err := strconv.ParseUint(uidl[:8], 16, 32)
	if err != nil {
		t.Fatalf("UIDL %q: %v", uidl, err)
	}
	return uint32(uid)
}

// popDiffers says how Dovecot's POP3 legitimately delivers a message
// differently from its IMAP BODY[], or "" when the bytes are equal, or
// "differs" when the difference is not one of these:
//
//   - "NUL": IMAP sends a NUL byte as 0x80 (IMAP forbids NUL in a
//     literal), POP3 sends it as stored.
//   - "no final line ending": a POP3 payload must end with a line ending
//     before the terminating ".", so a message that does not end with one
//     gets CRLF over POP3 (IMAP sends it as stored).
//
// (Bare LF is sent as CRLF by both protocols, so it is no difference.)
func popDiffers(imapBody, popBody []byte) []string {
	var why []string
	if !bytes.HasSuffix(imapBody, []byte("\n")) && bytes.HasSuffix(popBody, []byte("\r\n")) && len(popBody) == len(imapBody)+2 {
		popBody = popBody[:len(popBody)-2]
		why = append(why, "no final line ending")
	}
	if len(popBody) != len(imapBody) {
		return []string{"differs"}
	}
	nul := false
	for i := range popBody {
		switch {
		case popBody[i] == imapBody[i]:
		case popBody[i] == 0 && imapBody[i] == 0x80:
			nul = true
		default:
			return []string{"differs"}
		}
	}
	if nul {
		why = append(why, "NUL")
	}
	return why
}

// TestDovecotCorpus archives the parser-test corpus (about 900 messages,
// many malformed) from Dovecot over POP3 and compares every message with
// what Dovecot serves over IMAP; then fetches the same INBOX over IMAP
// into the same archive: each message is stored once, except the few
// that the two protocols deliver differently (counted and explained).
func TestDovecotCorpus(t *testing.T) {
	files := testenv.CorpusMessages(t, true)
	s := dovecottest.Start(t, dovecottest.Options{})
	var raws [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	s.DeliverMaildir(t, "INBOX", raws)
	bodies := s.Bodies(t, "INBOX")

	arc := fetchtest.OpenArchive(t, nil)
	src := NewSource(fetchtest.DovecotAccount(s, s.Addr(dovecottest.POP3), fetch.None))
	start := time.Now()
	rep := fetchtest.RunOK(t, arc, src)
	m := inbox(t, rep)
	t.Logf("%d files over POP3: %s; %.0f msg/s", len(files), rep.Summary(), float64(m.Seen)/time.Since(start).Seconds())
	if m.OnServer != len(files) || m.Archived != len(files) || m.Seen != len(files) {
		t.Errorf("report = %+v, want %d on server, archived and seen", *m, len(files))
	}

	// Every message byte-exact, as Dovecot serves it. DeliverMaildir gave
	// the files UIDs 1, 2, … in order, so the file of UID u is raws[u-1]:
	// the exceptions are predicted from the files themselves.
	predicted := map[string]int{}
	for _, raw := range raws {
		if bytes.IndexByte(raw, 0) >= 0 {
			predicted["NUL"]++
		}
		if !bytes.HasSuffix(raw, []byte("\n")) {
			predicted["no final line ending"]++
		}
	}
	why := map[string]int{}
	popIDs := map[archive.ID]bool{}
	exceptionIDs := map[archive.ID]bool{}
	seenUID := map[uint32]bool{}
	for uidl, ls := range locations(t, arc) {
		if len(ls) != 1 {
			t.Errorf("UIDL %s: %d locations", uidl, len(ls))
			continue
		}
		uid := dovecotUID(t, uidl)
		seenUID[uid] = true
		want, ok := bodies[uid]
		if !ok {
			t.Errorf("UIDL %s: UID %d is not on the server", uidl, uid)
			continue
		}
		got, err := arc.ReadAll(ls[0].Message)
		if err != nil {
			t.Errorf("UIDL %s: %v", uidl, err)
			continue
		}
		popIDs[ls[0].Message] = true
		ws := popDiffers(want, got)
		if len(ws) > 0 {
			exceptionIDs[ls[0].Message] = true
		}
		for _, w := range ws {
			why[w]++
		}
		if len(ws) == 1 && ws[0] == "differs" {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Errorf("UID %d (%s): POP3 delivered %d bytes, IMAP %d; first difference at byte %d: %q vs %q",
				uid, files[uid-1], len(got), len(want), i, short(got[i:]), short(want[i:]))
		}
	}
	if len(seenUID) != len(bodies) || len(bodies) != len(files) {
		t.Errorf("%d of the server's %d messages archived, %d files", len(seenUID), len(bodies), len(files))
	}
	for _, w := range []string{"NUL", "no final line ending"} {
		t.Logf("%d of %d messages differ between POP3 and IMAP: %s", why[w], len(files), w)
		if why[w] != predicted[w] {
			t.Errorf("%d messages differ by %q, but %d files call for it", why[w], w, predicted[w])
		}
	}

	// An unchanged re-run downloads nothing.
	if m := inbox(t, fetchtest.RunOK(t, arc, src)); m.Seen != 0 || m.Archived != len(files) {
		t.Errorf("re-run: report = %+v, want nothing fetched", *m)
	}

	// The same INBOX over IMAP, into the same archive: one object per
	// message, plus one for each exception (the POP3 variant).
	imapAcct := fetchtest.DovecotAccount(s, s.Addr(dovecottest.IMAP), fetch.None)
	imapAcct.Name, imapAcct.Include = "acct-imap", []string{"INBOX"}
	rep = fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, imap.New(imapAcct, imap.Options{}))
	if !rep.OK() {
		t.Fatalf("IMAP run: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
	}
	imapIDs := map[archive.ID]bool{}
	for _, b := range bodies {
		imapIDs[id(b)] = true
	}
	popOnly := 0
	for i := range popIDs {
		if !imapIDs[i] {
			popOnly++
		}
	}
	st, err := arc.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if popOnly != len(exceptionIDs) || st.Messages != int64(len(imapIDs)+len(exceptionIDs)) {
		t.Errorf("after POP3 and IMAP: %d objects, want %d (IMAP's distinct messages) + %d (POP3 variants of the exceptions); %d POP3 objects are not IMAP's",
			st.Messages, len(imapIDs), len(exceptionIDs), popOnly)
	}
	t.Logf("one archive, both protocols: %d objects for %d messages (%d distinct, %d POP3 variants)", st.Messages, len(bodies), len(imapIDs), len(exceptionIDs))
}

// TestDovecotTLS: POP3S and STLS with the test CA, and a wrong password:
// permanent, one attempt.
func TestDovecotTLS(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	msgs := [][]byte{testMessage(1, "one"), testMessage(2, "two")}
	fetchtest.Deliver(t, s, "INBOX", msgs...)
	for _, tc := range fetchtest.TLSListeners(t, dovecottest.POP3) {
		t.Run(tc.Name, func(t *testing.T) {
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunOK(t, arc, NewSource(fetchtest.DovecotAccount(s, s.Addr(tc.P), tc.Sec)))
			if m := inbox(t, rep); m.New != 2 {
				t.Errorf("report = %+v", *m)
			}
			for _, raw := range msgs {
				if ok, err := arc.Has(context.Background(), id(raw)); !ok || err != nil {
					t.Errorf("message not archived: %v", err)
				}
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		acct := fetchtest.DovecotAccount(s, s.Addr(dovecottest.POP3S), fetch.TLS)
		acct.Password = func(context.Context) (string, error) { return "not-the-Passw0rd", nil }
		arc := fetchtest.OpenArchive(t, nil)
		rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: fetchtest.InstantBackoff(5)}, NewSource(acct))
		a := rep.Accounts[0]
		if !a.Permanent || !strings.Contains(a.Error, "authentication failed") || strings.Contains(a.Error, "not-the-Passw0rd") {
			t.Errorf("account = %+v, want a permanent authentication error without the password", a)
		}
		if n := strings.Count(s.Log(), "auth failed"); n > 1 {
			t.Errorf("Dovecot logged %d failed logins, want 1", n)
		}
		t.Logf("error: %s", a.Error)
	})
}

// TestDovecotCut breaks the connection to Dovecot in the middle of the
// run, with delete = after-archive: the run retries, every message is
// archived once and deleted from the server, and nothing was deleted that
// was not archived first.
func TestDovecotCut(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	var msgs [][]byte
	for i := range 200 {
		msgs = append(msgs, testMessage(i, strings.Repeat(fmt.Sprintf("line %d of a longer body\r\n", i), 40)))
	}
	s.DeliverMaildir(t, "INBOX", msgs)
	p := dovecottest.NewProxy(t, s.Addr(dovecottest.POP3))
	p.CutAfter(100_000) // well inside the bodies
	acct := fetchtest.DovecotAccount(s, p.Addr(), fetch.None)
	acct.Delete = fetch.DeleteAfterArchive
	var left int
	backoff := fetch.Backoff{Attempts: 3, Sleep: func(ctx context.Context, d time.Duration) error {
		left = len(s.Bodies(t, "INBOX"))
		p.CutAfter(-1)
		return nil
	}}
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: backoff}, NewSourceOptions(acct, SourceOptions{BatchMessages: 30}))
	if !rep.OK() || p.Cuts() == 0 {
		t.Fatalf("run: %s (cuts %d)\n%s", rep.Summary(), p.Cuts(), strings.Join(rep.Details(), "\n"))
	}
	if left != len(msgs) {
		t.Errorf("after the cut the server had %d messages, want all %d (no QUIT, no deletion)", left, len(msgs))
	}
	if m := inbox(t, rep); m.New != len(msgs) || m.Deleted != len(msgs) {
		t.Errorf("report = %+v, want %d new and deleted", *m, len(msgs))
	}
	if n := len(s.Bodies(t, "INBOX")); n != 0 {
		t.Errorf("%d messages left on the server", n)
	}
	for _, raw := range msgs {
		if b, err := arc.ReadAll(id(raw)); err != nil || !bytes.Equal(b, raw) {
			t.Errorf("message not archived byte-exact: %v", err)
		}
	}
}
