package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// corpusBoxes are the folders the corpus is spread over.
var corpusBoxes = []string{"INBOX", "Входящие", "Αρχείο/2019", "Archive/Lists & more", "Spam"}

// TestDovecotCorpus delivers every single-message file of the corpus into
// Dovecot folders (non-ASCII names too), archives them, and compares each
// archived message with what Dovecot serves; flags on the server stay as
// they were, and a second run fetches nothing.
func TestDovecotCorpus(t *testing.T) {
	t.Parallel()
	files := testenv.CorpusMessages(t, false)
	s := dovecottest.Start(t, dovecottest.Options{})
	per := map[string][][]byte{}
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b := corpusBoxes[i%len(corpusBoxes)]
		per[b] = append(per[b], raw)
	}
	for _, b := range corpusBoxes {
		s.DeliverMaildir(t, b, per[b])
	}
	// Some messages with flags and keywords, delivered with APPEND.
	for i := range 20 {
		flags := [][]string{{`\Seen`}, {`\Flagged`, "$Label1"}, {`\Answered`, `\Seen`, "Work"}, nil}[i%4]
		s.Deliver(t, "Flagged", testMessage(i, "flagged"), flags...)
	}
	boxes := append(slices.Clone(corpusBoxes), "Flagged")
	before := map[string]map[uint32][]string{}
	for _, b := range boxes {
		before[b] = s.Flags(t, b)
	}

	arc := fetchtest.OpenArchive(t, nil)
	src := New(fetchtest.DovecotAccount(s, s.Addr(dovecottest.IMAP), fetch.None), Options{})
	start := time.Now()
	rep := fetchtest.RunOK(t, arc, src)
	tot := rep.Totals()
	t.Logf("%d files: %s; %.0f msg/s", len(files), rep.Summary(), float64(tot.Seen)/time.Since(start).Seconds())
	if tot.Seen != len(files)+20 || tot.Mailboxes != len(boxes) {
		t.Errorf("totals = %+v, want %d messages in %d mailboxes", tot, len(files)+20, len(boxes))
	}
	for _, b := range boxes {
		checkArchived(t, arc, "acct", b, s.Bodies(t, b))
		if after := s.Flags(t, b); fmt.Sprint(after) != fmt.Sprint(before[b]) {
			t.Errorf("%s: flags on the server changed by archiving", b)
		}
		if box(t, rep, b).Archived != len(before[b]) {
			t.Errorf("%s: report = %+v, want %d archived", b, *box(t, rep, b), len(before[b]))
		}
	}
	locs := liveLocations(t, arc, "Flagged")
	for uid, want := range before["Flagged"] {
		if got := locs[uid].Flags; !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("Flagged UID %d recorded with flags %q, server has %q", uid, got, want)
		}
	}

	rep = fetchtest.RunOK(t, arc, src)
	if tot := rep.Totals(); tot.Seen != 0 || tot.New != 0 || tot.Gone != 0 {
		t.Errorf("second run: %s, want nothing fetched", rep.Summary())
	}
}

// recorder is a loopback proxy that records what the client sends.
type recorder struct {
	*dovecottest.Proxy
	mu   sync.Mutex
	sent bytes.Buffer
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	r := &recorder{}
	r.Proxy = dovecottest.NewWatchingProxy(t, target, func(p []byte) bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sent.Write(p)
		return true
	})
	return r
}

func (r *recorder) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(r.sent.String(), "\r\n", "\n")), "\n")
	r.sent.Reset()
	return lines
}

// inboxChanger changes Dovecot's INBOX behind the source's back, with a
// client of the test's own that has it selected read-write.
type inboxChanger struct {
	t *testing.T
	c *imapclient.Client
}

func newInboxChanger(t *testing.T, s *dovecottest.Server) *inboxChanger {
	t.Helper()
	ch := &inboxChanger{t: t, c: s.Dial(t)}
	if _, err := ch.c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	return ch
}

// store adds flags to the message with UID uid.
func (ch *inboxChanger) store(uid uint32, flags ...goimap.Flag) {
	ch.t.Helper()
	if err := ch.c.Store(goimap.UIDSetNum(goimap.UID(uid)), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Flags: flags, Silent: true}, nil).Close(); err != nil {
		ch.t.Fatal(err)
	}
}

// expunge removes the messages flagged \Deleted.
func (ch *inboxChanger) expunge() {
	ch.t.Helper()
	if err := ch.c.Expunge().Close(); err != nil {
		ch.t.Fatal(err)
	}
}

// TestDovecotIncremental checks the CONDSTORE path against Dovecot: an
// unchanged mailbox costs one STATUS, flag changes come through
// CHANGEDSINCE, expunges are marked gone, new mail is fetched alone.
func TestDovecotIncremental(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	msgs := testMessages(0, 30)
	uids := fetchtest.Deliver(t, s, "INBOX", msgs...)
	s.Deliver(t, "Other", testMessage(99, "other"))
	rec := newRecorder(t, s.Addr(dovecottest.IMAP))
	acct := fetchtest.DovecotAccount(s, rec.Addr(), fetch.None)
	arc := fetchtest.OpenArchive(t, nil)
	src := New(acct, Options{BatchMessages: 7})
	fetchtest.RunOK(t, arc, src)
	checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
	rec.commands()

	rep := fetchtest.RunOK(t, arc, src)
	var perBox []string
	for _, c := range rec.commands() {
		f := strings.Fields(strings.ToUpper(c))
		if len(f) > 1 && !slices.Contains([]string{"LOGIN", "CAPABILITY", "LIST", "LOGOUT"}, f[1]) {
			perBox = append(perBox, c)
		}
	}
	if len(perBox) != 2 || !strings.Contains(perBox[0], "STATUS") || !strings.Contains(perBox[1], "STATUS") {
		t.Errorf("unchanged re-run sent %q, want one STATUS per mailbox", perBox)
	}
	if tot := rep.Totals(); tot.Seen != 0 {
		t.Errorf("unchanged re-run: %s", rep.Summary())
	}

	inbox := newInboxChanger(t, s)
	inbox.store(uids[4], goimap.FlagFlagged)
	inbox.store(uids[5], "$Important")
	inbox.store(uids[6], goimap.FlagDeleted)
	inbox.store(uids[7], goimap.FlagDeleted)
	inbox.expunge()
	more := testMessages(200, 2)
	var moreUIDs []uint32
	for _, m := range more {
		moreUIDs = append(moreUIDs, s.Deliver(t, "INBOX", m))
	}
	rep = fetchtest.RunOK(t, arc, src)
	m := box(t, rep, "INBOX")
	// Flag changes: two stores, plus \Deleted on the two expunged ones
	// only if the server reports them before the expunge (it does not).
	if m.New != 2 || m.Gone != 2 || m.FlagsChanged != 2 || m.Archived != 30 || m.OnServer != 30 {
		t.Errorf("report = %+v, want 2 new, 2 gone, 2 flags changed, 30 archived", *m)
	}
	cmds := rec.commands()
	if !slices.ContainsFunc(cmds, func(c string) bool { return strings.Contains(strings.ToUpper(c), "CHANGEDSINCE") }) {
		t.Errorf("no CHANGEDSINCE among %q", cmds)
	}
	if got := fetchedUIDs(cmds); !slices.Equal(got, []string{fmt.Sprintf("%d:%d", moreUIDs[0], moreUIDs[1])}) {
		t.Errorf("bodies fetched: %q, want only the two new ones", got)
	}
	locs := liveLocations(t, arc, "INBOX")
	if !slices.Contains(locs[uids[4]].Flags, `\Flagged`) || !slices.Contains(locs[uids[5]].Flags, "$Important") {
		t.Errorf("flags not recorded: %q, %q", locs[uids[4]].Flags, locs[uids[5]].Flags)
	}
	if _, ok := locs[uids[6]]; ok {
		t.Errorf("expunged UID %d still live", uids[6])
	}
}

// TestDovecotTLS: IMAPS and STARTTLS with the test CA; a wrong CA gives
// the clear, permanent error.
func TestDovecotTLS(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	msgs := testMessages(0, 5)
	uids := fetchtest.Deliver(t, s, "INBOX", msgs...)
	_, otherRoots := testCA(t)
	for _, tt := range fetchtest.TLSListeners(t, dovecottest.IMAP) {
		t.Run(tt.Name, func(t *testing.T) {
			arc := fetchtest.OpenArchive(t, nil)
			fetchtest.RunOK(t, arc, New(fetchtest.DovecotAccount(s, s.Addr(tt.P), tt.Sec), Options{}))
			checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
		})
		t.Run(tt.Name+" wrong CA", func(t *testing.T) {
			acct := fetchtest.DovecotAccount(s, s.Addr(tt.P), tt.Sec)
			acct.TLSConfig = &tls.Config{RootCAs: otherRoots}
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, New(acct, Options{}))
			a := rep.Accounts[0]
			if !a.Permanent || !strings.Contains(a.Error, "127.0.0.1") || !strings.Contains(a.Error, "tls_ca_file") {
				t.Errorf("account report = %+v, want a permanent error naming the host and tls_ca_file", a)
			}
		})
	}
}

// TestDovecotCut cuts the connection mid-fetch with the loopback proxy:
// the run retries and completes, every message once and byte-exact.
func TestDovecotCut(t *testing.T) {
	t.Parallel()
	s := dovecottest.Start(t, dovecottest.Options{})
	var msgs [][]byte
	for i := range 300 {
		msgs = append(msgs, testMessage(i, strings.Repeat(fmt.Sprintf("line %d of a longer body\r\n", i), 40)))
	}
	s.DeliverMaildir(t, "INBOX", msgs)
	p := dovecottest.NewProxy(t, s.Addr(dovecottest.IMAP))
	p.CutAfter(150_000) // well inside the bodies
	acct := fetchtest.DovecotAccount(s, p.Addr(), fetch.None)
	backoff := fetch.Backoff{Attempts: 3, Sleep: func(ctx context.Context, d time.Duration) error {
		p.CutAfter(-1)
		return nil
	}}
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: backoff}, New(acct, Options{BatchMessages: 50}))
	if !rep.OK() || p.Cuts() == 0 {
		t.Fatalf("run: %s (cuts %d)\n%s", rep.Summary(), p.Cuts(), strings.Join(rep.Details(), "\n"))
	}
	checkArchived(t, arc, "acct", "INBOX", s.Bodies(t, "INBOX"))
	if st, err := arc.Stats(context.Background()); err != nil || st.Messages != 300 {
		t.Errorf("Stats = %+v, %v; want 300 messages", st, err)
	}
}

// TestDovecotNUL: Dovecot serves a NUL byte as 0x80; the archive holds
// what the server served.
func TestDovecotNUL(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	raw := []byte("From: a@example.org\r\nSubject: nul\r\n\r\nbefore\x00after\r\n")
	uid := s.Deliver(t, "INBOX", raw)
	served := s.Bodies(t, "INBOX")[uid]
	if bytes.Equal(served, raw) || !bytes.Contains(served, []byte("before\x80after")) {
		t.Fatalf("Dovecot served %q; the test assumes NUL becomes 0x80", served)
	}
	arc := fetchtest.OpenArchive(t, nil)
	fetchtest.RunOK(t, arc, New(fetchtest.DovecotAccount(s, s.Addr(dovecottest.IMAP), fetch.None), Options{}))
	checkArchived(t, arc, "acct", "INBOX", map[uint32][]byte{uid: served})
}

// TestDovecotSizeLimit: over the CONDSTORE path, a skipped message is
// reported on every run and fetched once the limit allows it.
func TestDovecotSizeLimit(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	small, big := testMessage(1, "small"), testMessage(2, strings.Repeat("big body line\r\n", 2000))
	u1, u2 := s.Deliver(t, "INBOX", small), s.Deliver(t, "INBOX", big)
	rec := newRecorder(t, s.Addr(dovecottest.IMAP))
	acct := fetchtest.DovecotAccount(s, rec.Addr(), fetch.None)
	acct.MaxMessageSize = 10000
	arc := fetchtest.OpenArchive(t, nil)
	for run := range 2 {
		rep := fetchtest.RunOK(t, arc, New(acct, Options{}))
		if m := box(t, rep, "INBOX"); len(m.Skipped) != 1 || m.Skipped[0].UID != u2 || m.Seen != 1-run {
			t.Errorf("run %d: report = %+v, want UID %d skipped", run, *m, u2)
		}
	}
	if got := fetchedUIDs(rec.commands()); !slices.Equal(got, []string{fmt.Sprint(u1)}) {
		t.Errorf("bodies fetched %q, want only UID %d", got, u1)
	}
	acct.MaxMessageSize = 0
	rep := fetchtest.RunOK(t, arc, New(acct, Options{}))
	if m := box(t, rep, "INBOX"); len(m.Skipped) != 0 || m.New != 1 {
		t.Errorf("without limit: report = %+v, want the big one fetched", *m)
	}
	checkArchived(t, arc, "acct", "INBOX", s.Bodies(t, "INBOX"))
}

// TestDovecotConnectionLimit: Dovecot with mail_max_userip_connections = 2,
// one of them the test's own (dovecottest keeps its connection open),
// turns the fetch's further connections away; the run archives
// everything over the one it has, without a warning or a retry.
func TestDovecotConnectionLimit(t *testing.T) {
	t.Parallel()
	s := dovecottest.Start(t, dovecottest.Options{Config: "protocol imap {\n  mail_max_userip_connections = 2\n}\n"})
	want := map[string]map[uint32][]byte{}
	for i, b := range []string{"INBOX", "A", "B"} {
		msgs := testMessages(10*i, 4)
		want[b] = mapOf(fetchtest.Deliver(t, s, b, msgs...), msgs)
	}
	acct := fetchtest.DovecotAccount(s, s.Addr(dovecottest.IMAP), fetch.None)
	acct.Connections = 3
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: fetchtest.InstantBackoff(1)}, New(acct, Options{}))
	if a := rep.Accounts[0]; !rep.OK() || len(a.Warnings) != 0 || rep.Totals().New != 12 {
		t.Errorf("report: %s %+v, want 12 new and no warning", rep.Summary(), a)
	}
	for b, m := range want {
		checkArchived(t, arc, "acct", b, m)
	}
	if log := s.Log(); !strings.Contains(log, "Maximum number of connections") {
		t.Errorf("Dovecot did not refuse a connection; its log:\n%s", log)
	}
}
