package imap

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// TestIncremental walks one mailbox through its life: first run, an
// unchanged re-run, new mail, flag changes, expunges.
func TestIncremental(t *testing.T) {
	s := newMemServer(t)
	arc := fetchtest.OpenArchive(t, nil)
	src := New(s.account(), Options{BatchMessages: 4})

	msgs := testMessages(0, 10)
	want := mapOf(s.deliver("INBOX", msgs...), msgs)
	s.commands()

	t.Run("first run archives everything", func(t *testing.T) {
		rep := fetchtest.RunOK(t, arc, src)
		m := box(t, rep, "INBOX")
		if m.New != 10 || m.Seen != 10 || m.OnServer != 10 || m.Archived != 10 {
			t.Errorf("report = %+v, want 10 new, seen, on server and archived", *m)
		}
		checkArchived(t, arc, "acct", "INBOX", want)
		if got := fetchedUIDs(s.commands()); len(got) != 3 { // 4+4+2
			t.Errorf("body fetches = %q, want 3 batches", got)
		}
	})

	t.Run("unchanged re-run fetches no body", func(t *testing.T) {
		rep := fetchtest.RunOK(t, arc, src)
		m := box(t, rep, "INBOX")
		if m.New != 0 || m.Seen != 0 || m.Archived != 10 || m.Gone != 0 || m.FlagsChanged != 0 {
			t.Errorf("report = %+v, want nothing new, 10 archived", *m)
		}
		if got := bodyFetches(s.commands()); len(got) > 0 {
			t.Errorf("unchanged re-run sent %q", got)
		}
	})

	t.Run("new mail", func(t *testing.T) {
		more := testMessages(100, 3)
		uids := s.deliver("INBOX", more...)
		for uid, m := range mapOf(uids, more) {
			want[uid] = m
		}
		rep := fetchtest.RunOK(t, arc, src)
		if m := box(t, rep, "INBOX"); m.New != 3 || m.Seen != 3 || m.Archived != 13 {
			t.Errorf("report = %+v, want 3 new of 13", *m)
		}
		if got := fetchedUIDs(s.commands()); !slices.Equal(got, []string{"11:13"}) {
			t.Errorf("body fetches asked for %q, want only 11:13", got)
		}
		checkArchived(t, arc, "acct", "INBOX", want)
	})

	t.Run("flags", func(t *testing.T) {
		s.store("INBOX", 2, goimap.StoreFlagsAdd, goimap.FlagFlagged, "$Label1")
		s.store("INBOX", 12, goimap.StoreFlagsAdd, goimap.FlagSeen)
		rep := fetchtest.RunOK(t, arc, src)
		if m := box(t, rep, "INBOX"); m.FlagsChanged != 2 || m.Seen != 0 {
			t.Errorf("report = %+v, want 2 flag changes and nothing fetched", *m)
		}
		if got := bodyFetches(s.commands()); len(got) > 0 {
			t.Errorf("flag sync sent %q", got)
		}
		locs := liveLocations(t, arc, "INBOX")
		if got, want := locs[2].Flags, s.flags("INBOX")[2]; len(want) != 2 || !slices.Equal(got, want) {
			t.Errorf("flags of UID 2 = %q, server has %q", got, want)
		}
		if got := locs[12].Flags; !slices.Equal(got, []string{`\Seen`}) {
			t.Errorf("flags of UID 12 = %q", got)
		}
	})

	t.Run("expunged messages are marked gone and kept", func(t *testing.T) {
		s.expunge("INBOX", 3, 13)
		rep := fetchtest.RunOK(t, arc, src)
		if m := box(t, rep, "INBOX"); m.Gone != 2 || m.Archived != 11 || m.OnServer != 11 {
			t.Errorf("report = %+v, want 2 gone, 11 archived", *m)
		}
		locs, err := arc.MailboxLocations(context.Background(), "acct", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locs {
			if gone := !l.GoneSince.IsZero(); gone != (l.UID == 3 || l.UID == 13) {
				t.Errorf("UID %d gone = %v", l.UID, gone)
			}
		}
		for _, uid := range []uint32{3, 13} {
			if _, err := arc.ReadAll(id(want[uid])); err != nil {
				t.Errorf("expunged UID %d no longer in the archive: %v", uid, err)
			}
		}
		// And a further run changes nothing.
		rep = fetchtest.RunOK(t, arc, src)
		if m := box(t, rep, "INBOX"); m.Gone != 0 || m.New != 0 || m.Archived != 11 {
			t.Errorf("run after expunge: report = %+v", *m)
		}
	})
}

// liveLocations returns a mailbox's current locations by UID.
func liveLocations(t testing.TB, arc *archive.Archive, mailbox string) map[uint32]archive.Location {
	t.Helper()
	locs, err := arc.MailboxLocations(context.Background(), "acct", mailbox)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]archive.Location{}
	for _, l := range locs {
		if l.GoneSince.IsZero() && !l.Superseded {
			out[l.UID] = l
		}
	}
	return out
}

// TestReadOnly checks that the source never changes the server: no
// SELECT, STORE or EXPUNGE, no BODY[] without PEEK, \Seen not set.
func TestReadOnly(t *testing.T) {
	s := newMemServer(t)
	s.create("Archive")
	s.deliver("INBOX", testMessages(0, 5)...)
	s.deliver("Archive", testMessages(10, 5)...)
	before := map[string]map[uint32][]string{"INBOX": s.flags("INBOX"), "Archive": s.flags("Archive")}
	arc := fetchtest.OpenArchive(t, nil)
	fetchtest.RunOK(t, arc, New(s.account(), Options{}))
	s.expunge("INBOX", 1) // a run with gone messages and flags to compare
	s.store("Archive", 2, goimap.StoreFlagsAdd, goimap.FlagAnswered)
	before = map[string]map[uint32][]string{"INBOX": s.flags("INBOX"), "Archive": s.flags("Archive")}
	fetchtest.RunOK(t, arc, New(s.account(), Options{}))

	cmds := s.commands()
	bad := regexp.MustCompile(`(?i)^\S+ (UID )?(SELECT|STORE|EXPUNGE|CLOSE|APPEND|COPY|MOVE|DELETE|CREATE|RENAME)\b|BODY\[|RFC822([ )]|$)`)
	var sawExamine, sawPeek bool
	for _, c := range cmds {
		if bad.MatchString(c) {
			t.Errorf("source sent %q", c)
		}
		sawExamine = sawExamine || strings.Contains(strings.ToUpper(c), " EXAMINE ")
		sawPeek = sawPeek || strings.Contains(strings.ToUpper(c), "BODY.PEEK[]")
	}
	if !sawExamine || !sawPeek {
		t.Errorf("no EXAMINE or no BODY.PEEK[] among %q", cmds)
	}
	for mbox, flags := range before {
		if after := s.flags(mbox); fmt.Sprint(after) != fmt.Sprint(flags) {
			t.Errorf("flags of %s changed by the source: %v, were %v", mbox, after, flags)
		}
	}
	for uid, flags := range s.flags("INBOX") {
		if slices.Contains(flags, `\Seen`) {
			t.Errorf("INBOX UID %d is \\Seen after the fetch", uid)
		}
	}
}

// TestUIDValidityChange recreates a mailbox: nothing archived is lost or
// duplicated, old locations are superseded, the report says so.
func TestUIDValidityChange(t *testing.T) {
	s := newMemServer(t)
	s.create("Lists")
	old := testMessages(0, 4)
	s.deliver("Lists", old...)
	arc := fetchtest.OpenArchive(t, nil)
	src := New(s.account(), Options{})
	fetchtest.RunOK(t, arc, src)

	if err := s.user.Delete("Lists"); err != nil {
		t.Fatal(err)
	}
	s.create("Lists")
	again := append(old[1:], testMessage(50, "new"))
	uids := s.deliver("Lists", again...)

	rep := fetchtest.RunOK(t, arc, src)
	m := box(t, rep, "Lists")
	if !m.UIDValidityChanged || m.New != 1 || m.Seen != 4 || m.Archived != 4 {
		t.Errorf("report = %+v, want UIDVALIDITY changed, 1 new, 4 seen and archived", *m)
	}
	if !slices.ContainsFunc(rep.Details(), func(s string) bool { return strings.Contains(s, "UIDVALIDITY changed") }) {
		t.Errorf("details do not mention the change: %q", rep.Details())
	}
	checkArchived(t, arc, "acct", "Lists", mapOf(uids, again))
	locs, err := arc.MailboxLocations(context.Background(), "acct", "Lists")
	if err != nil {
		t.Fatal(err)
	}
	superseded := 0
	for _, l := range locs {
		if l.Superseded {
			superseded++
		}
	}
	if superseded != 4 {
		t.Errorf("%d superseded locations, want the 4 old ones", superseded)
	}
	st, err := arc.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 5 {
		t.Errorf("archive holds %d messages, want 5 (4 old + 1 new, no duplicates)", st.Messages)
	}
	// Stable afterwards.
	rep = fetchtest.RunOK(t, arc, src)
	if m := box(t, rep, "Lists"); m.UIDValidityChanged || m.Seen != 0 {
		t.Errorf("run after the change: report = %+v", *m)
	}
}

// TestMailboxSelection: include/exclude patterns, \Noselect, non-ASCII
// names (stored decoded, with the server's delimiter).
func TestMailboxSelection(t *testing.T) {
	s := newMemServer(t)
	for _, name := range []string{"Archive", "Archive/2019", "Archive/2019/Q1", "Archive/2020", "Trash", "Входящие", "Αρχείο/2019"} {
		s.create(name)
	}
	n := 0
	for _, name := range []string{"INBOX", "Archive", "Archive/2019", "Archive/2019/Q1", "Archive/2020", "Trash", "Входящие", "Αρχείο/2019"} {
		s.deliver(name, testMessage(n, name))
		n++
	}
	tests := []struct {
		name             string
		include, exclude []string
		want             []string
	}{
		{"all", nil, nil, []string{"Archive", "Archive/2019", "Archive/2019/Q1", "Archive/2020", "INBOX", "Trash", "Αρχείο/2019", "Входящие"}},
		{"exclude", nil, []string{"Trash", "Archive/*"}, []string{"Archive", "INBOX", "Αρχείο/2019", "Входящие"}},
		{"children", []string{"inbox", "Archive/*"}, []string{"Archive/2019/*"}, []string{"Archive/2019", "Archive/2020", "INBOX"}},
		{"one level", []string{"Archive/%"}, nil, []string{"Archive/2019", "Archive/2020"}},
		{"non-ASCII", []string{"Входящие", "Αρχείο/*"}, nil, []string{"Αρχείο/2019", "Входящие"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := s.account()
			acct.Include, acct.Exclude = tt.include, tt.exclude
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunOK(t, arc, New(acct, Options{}))
			var got []string
			for _, m := range rep.Accounts[0].Mailboxes {
				got = append(got, m.Mailbox)
				if m.New != 1 {
					t.Errorf("%s: %d new, want 1", m.Mailbox, m.New)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("include %q exclude %q archived %q, want %q", tt.include, tt.exclude, got, tt.want)
			}
		})
	}
}

// TestDuplicates: the same message in two mailboxes is stored once with
// two locations.
func TestDuplicates(t *testing.T) {
	s := newMemServer(t)
	s.create("[Gmail]/All Mail")
	m := testMessage(1, "dup")
	s.deliver("INBOX", m)
	s.deliver("[Gmail]/All Mail", m)
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunOK(t, arc, New(s.account(), Options{}))
	if tot := rep.Totals(); tot.New != 1 || tot.Seen != 2 {
		t.Errorf("totals = %+v, want 1 new, 2 seen", tot)
	}
	locs, err := arc.Locations(context.Background(), id(m))
	if err != nil || len(locs) != 2 {
		t.Errorf("Locations = %v, %v; want 2", locs, err)
	}
}

// TestWrongPassword: a permanent error wrapping fetch.ErrAuth, one LOGIN,
// and the password appears nowhere.
func TestWrongPassword(t *testing.T) {
	s := newMemServer(t)
	acct := s.account()
	acct.Password = func(context.Context) (string, error) { return "wrong-Pa55word", nil }

	_, err := dial(context.Background(), acct)
	if !errors.Is(err, fetch.ErrAuth) || !fetch.IsPermanent(err) {
		t.Fatalf("dial with a wrong password = %v, want a permanent error wrapping fetch.ErrAuth", err)
	}
	s.commands()

	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: fetchtest.InstantBackoff(5)}, New(acct, Options{}))
	a := rep.Accounts[0]
	if a.Error == "" || !a.Permanent {
		t.Fatalf("account report = %+v, want a permanent error", a)
	}
	logins := 0
	for _, c := range s.commands() {
		if f := strings.Fields(c); len(f) > 1 && (strings.EqualFold(f[1], "LOGIN") || strings.EqualFold(f[1], "AUTHENTICATE")) {
			logins++
		}
	}
	if logins != 1 {
		t.Errorf("%d login attempts, want exactly 1", logins)
	}
	if strings.Contains(a.Error, "wrong-Pa55word") {
		t.Errorf("error shows the password: %s", a.Error)
	}
	t.Logf("error: %s", a.Error)
}

// TestMissingMessage: a message the server leaves out of the FETCH
// response (OK, but no data) is asked for once more, then reported as
// failed, and fetched by the next run.
func TestMissingMessage(t *testing.T) {
	s := newMemServer(t)
	msgs := testMessages(0, 6)
	uids := s.deliver("INBOX", msgs...)
	const bad = 5
	var asked []string
	s.setHook(func(inner imapserver.Session, w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error {
		asked = append(asked, set.String())
		nums, _ := set.(goimap.UIDSet).Nums()
		var rest goimap.UIDSet
		for _, n := range nums {
			if n != bad {
				rest.AddNum(n)
			}
		}
		if len(rest) == 0 {
			return nil
		}
		return inner.Fetch(w, rest, opts)
	})
	arc := fetchtest.OpenArchive(t, nil)
	src := New(s.account(), Options{})
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, src)
	m := box(t, rep, "INBOX")
	if len(m.Failed) != 1 || m.Failed[0].UID != bad || m.New != 5 {
		t.Fatalf("report = %+v, want UID %d failed and 5 new", *m, bad)
	}
	if !slices.Equal(asked, []string{"1:6", "5"}) {
		t.Errorf("body fetches %q, want the batch then UID 5 alone", asked)
	}
	if st, _, _ := arc.State(context.Background(), "acct", "INBOX"); st.LastUID != bad-1 {
		t.Errorf("LastUID = %d, want %d", st.LastUID, bad-1)
	}
	s.setHook(nil)
	rep = fetchtest.RunOK(t, arc, src)
	if m := box(t, rep, "INBOX"); m.New != 1 || m.Archived != 6 {
		t.Errorf("second run: report = %+v", *m)
	}
	checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
}

// TestStarQuirk: "UID FETCH n:*" returns the highest message even when
// its UID is below n; it must not be taken for a new one.
func TestStarQuirk(t *testing.T) {
	s := newMemServer(t)
	s.deliver("INBOX", testMessages(0, 3)...)
	arc := fetchtest.OpenArchive(t, nil)
	src := New(s.account(), Options{})
	fetchtest.RunOK(t, arc, src)
	// UIDNEXT moves on, but the mailbox ends with UID 3 again.
	s.deliver("INBOX", testMessage(50, ""))
	s.expunge("INBOX", 4)
	s.commands()
	rep := fetchtest.RunOK(t, arc, src)
	if m := box(t, rep, "INBOX"); m.Seen != 0 || m.Gone != 0 || m.Archived != 3 {
		t.Errorf("report = %+v, want nothing fetched or gone", *m)
	}
	if got := bodyFetches(s.commands()); len(got) > 0 {
		t.Errorf("sent %q", got)
	}
	if st, _, _ := arc.State(context.Background(), "acct", "INBOX"); st.LastUID != 4 {
		t.Errorf("LastUID = %d, want 4 (UIDNEXT-1)", st.LastUID)
	}
}

// TestMailboxError: a mailbox the server cannot open is a warning; the
// others are archived over the same connections (one login each).
func TestMailboxError(t *testing.T) {
	s := newMemServer(t)
	for _, b := range []string{"A", "B", "C"} {
		s.create(b)
		s.deliver(b, testMessage(len(b), b))
	}
	s.mu.Lock()
	s.selectFail = map[string]bool{"B": true}
	s.mu.Unlock()
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, New(s.account(), Options{}))
	a := rep.Accounts[0]
	if a.Error != "" || len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0], "B") || !strings.Contains(a.Warnings[0], "corrupt") {
		t.Errorf("account report = %+v, want one warning about B", a)
	}
	if tot := rep.Totals(); tot.New != 2 { // INBOX is empty
		t.Errorf("totals = %+v, want A and C archived", tot)
	}
	if logins := logins(s.commands()); logins != 2 {
		t.Errorf("%d logins, want two connections (the default) for all mailboxes", logins)
	}
}

// TestConnections: the mailboxes are shared out over Account.Connections
// connections working at once, and every message is archived once.
func TestConnections(t *testing.T) {
	for _, conns := range []int{0, 1, 3} {
		t.Run(strconv.Itoa(conns), func(t *testing.T) {
			s := newMemServer(t)
			want := map[string]map[uint32][]byte{}
			for i, b := range []string{"INBOX", "A", "B", "C", "D"} {
				if b != "INBOX" {
					s.create(b)
				}
				msgs := testMessages(100*i, 20)
				want[b] = mapOf(s.deliver(b, msgs...), msgs)
			}
			// Slow bodies down, so that connections overlap.
			s.setHook(func(inner imapserver.Session, w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error {
				time.Sleep(20 * time.Millisecond)
				return inner.Fetch(w, set, opts)
			})
			acct := s.account()
			acct.Connections = conns
			var asked atomic.Int32
			acct.Password = func(context.Context) (string, error) {
				asked.Add(1)
				return testPassword, nil
			}
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunOK(t, arc, New(acct, Options{BatchMessages: 5}))
			if n := asked.Load(); n != 1 {
				t.Errorf("password source ran %d times, want once per run", n)
			}
			if tot := rep.Totals(); tot.New != 100 || tot.Seen != 100 {
				t.Errorf("totals = %+v, want 100 new", tot)
			}
			for b, m := range want {
				checkArchived(t, arc, "acct", b, m)
			}
			wantPeak := map[int]int{0: 2, 1: 1, 3: 3}[conns]
			if got := s.peakSessions(); got != wantPeak {
				t.Errorf("at most %d sessions at once, want %d", got, wantPeak)
			}
			s.commands()
			if rep := fetchtest.RunOK(t, arc, New(acct, Options{})); rep.Totals().Seen != 0 {
				t.Errorf("re-run: %s", rep.Summary())
			}
			if n := logins(s.commands()); n != 1 {
				t.Errorf("re-run without news logged in %d times, want once", n)
			}
		})
	}
}

// TestConnectionLimit: a server that refuses a second connection is used
// over the first one alone, without a warning.
func TestConnectionLimit(t *testing.T) {
	s := newMemServerOpts(t, memOptions{maxConns: 1})
	for i, b := range []string{"A", "B", "C"} {
		s.create(b)
		s.deliver(b, testMessages(10*i, 3)...)
	}
	// Slow bodies down, so that mailboxes are left when the further
	// connections are tried.
	s.setHook(func(inner imapserver.Session, w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error {
		time.Sleep(20 * time.Millisecond)
		return inner.Fetch(w, set, opts)
	})
	acct := s.account()
	acct.Connections = 4
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunOK(t, arc, New(acct, Options{}))
	if tot := rep.Totals(); tot.New != 9 {
		t.Errorf("totals = %+v, want 9 new", tot)
	}
	if a := rep.Accounts[0]; len(a.Warnings) != 0 || a.Error != "" {
		t.Errorf("account report = %+v, want no warning", a)
	}
	if got := s.peakSessions(); got != 1 {
		t.Errorf("%d sessions at once, want 1", got)
	}
	if logins := logins(s.commands()); logins != 4 { // the first and three refused; more would be a retry of the run
		t.Errorf("%d logins, want 4 (three refused)", logins)
	}
}

// TestManyMailboxes: more mailboxes than are read from the archive ahead
// of their sync, some of which the server refuses to open, in runs that
// archive, change nothing, and archive what was refused before.
func TestManyMailboxes(t *testing.T) {
	s := newMemServer(t)
	var names []string
	want := map[string]map[uint32][]byte{}
	for i := range 12 {
		name := fmt.Sprintf("box%02d", i)
		names = append(names, name)
		s.create(name)
		msgs := testMessages(100*i, i%3+1)
		want[name] = mapOf(s.deliver(name, msgs...), msgs)
	}
	refused := map[string]bool{"box03": true, "box04": true, "box05": true, "box11": true}
	s.mu.Lock()
	s.selectFail = refused
	s.mu.Unlock()
	arc := fetchtest.OpenArchive(t, nil)
	src := New(s.account(), Options{})
	check := func(t *testing.T, rep *fetch.Report, refused map[string]bool) {
		t.Helper()
		if a := rep.Accounts[0]; a.Error != "" || len(a.Warnings) != len(refused) {
			t.Errorf("account report = %+v, want %d warnings", a, len(refused))
		}
		for _, name := range names {
			if refused[name] {
				continue
			}
			if m := box(t, rep, name); m.Archived != len(want[name]) || m.OnServer != len(want[name]) {
				t.Errorf("%s: report = %+v, want %d archived", name, *m, len(want[name]))
			}
			checkArchived(t, arc, "acct", name, want[name])
		}
	}

	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, src)
	check(t, rep, refused)
	rep = fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, src)
	check(t, rep, refused)
	if tot := rep.Totals(); tot.New != 0 || tot.Seen != 0 {
		t.Errorf("unchanged re-run: totals = %+v, want nothing new", tot)
	}
	s.mu.Lock()
	s.selectFail = nil
	s.mu.Unlock()
	more := testMessages(5000, 2)
	for uid, m := range mapOf(s.deliver("box07", more...), more) {
		want["box07"][uid] = m
	}
	rep = fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, src)
	check(t, rep, nil)
	if tot := rep.Totals(); tot.New != 2+len(want["box03"])+len(want["box04"])+len(want["box05"])+len(want["box11"]) {
		t.Errorf("totals = %+v, want the refused mailboxes and 2 new messages", tot)
	}
}

// TestSeveralAccounts: two accounts (two servers) in one run.
func TestSeveralAccounts(t *testing.T) {
	s1, s2 := newMemServer(t), newMemServer(t)
	shared := testMessage(1, "in both")
	u1 := s1.deliver("INBOX", shared, testMessage(2, "one"))
	u2 := s2.deliver("INBOX", shared, testMessage(3, "two"))
	a1, a2 := s1.account(), s2.account()
	a1.Name, a2.Name = "one", "two"
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, New(a1, Options{}), New(a2, Options{}))
	if !rep.OK() || len(rep.Accounts) != 2 {
		t.Fatalf("run: %s", rep.Summary())
	}
	if tot := rep.Totals(); tot.New != 3 || tot.Seen != 4 {
		t.Errorf("totals = %+v, want 3 new of 4", tot)
	}
	checkArchived(t, arc, "one", "INBOX", mapOf(u1, [][]byte{shared, testMessage(2, "one")}))
	checkArchived(t, arc, "two", "INBOX", mapOf(u2, [][]byte{shared, testMessage(3, "two")}))
}

// TestFailedMessage: a message the server refuses (NO for its UID) is
// reported by UID, the others are stored, the state stays below it, and
// the next run fetches it (and only it).
func TestFailedMessage(t *testing.T) {
	s := newMemServer(t)
	msgs := testMessages(0, 10)
	uids := s.deliver("INBOX", msgs...)
	const bad = 3
	s.setHook(func(inner imapserver.Session, w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error {
		us := set.(goimap.UIDSet)
		if !us.Contains(bad) {
			return inner.Fetch(w, set, opts)
		}
		nums, _ := us.Nums()
		var rest goimap.UIDSet
		for _, n := range nums {
			if n != bad {
				rest.AddNum(n)
			}
		}
		if len(rest) > 0 {
			if err := inner.Fetch(w, rest, opts); err != nil {
				return err
			}
		}
		return &goimap.Error{Type: goimap.StatusResponseTypeNo, Text: "cannot read message file"}
	})
	arc := fetchtest.OpenArchive(t, nil)
	src := New(s.account(), Options{BatchMessages: 4})
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, src)
	m := box(t, rep, "INBOX")
	if len(m.Failed) != 1 || m.Failed[0].UID != bad || !strings.Contains(m.Failed[0].Reason, "cannot read message file") {
		t.Fatalf("Failed = %+v, want UID %d with the server's reason", m.Failed, bad)
	}
	if rep.OK() || m.New != 9 || m.Archived != 9 {
		t.Errorf("report = %+v (OK %v), want 9 new and archived, not OK", *m, rep.OK())
	}
	if st, _, _ := arc.State(context.Background(), "acct", "INBOX"); st.LastUID != bad-1 {
		t.Errorf("LastUID = %d after UID %d failed, want %d", st.LastUID, bad, bad-1)
	}
	if !slices.ContainsFunc(rep.Details(), func(s string) bool { return strings.Contains(s, "UID 3") }) {
		t.Errorf("details do not name UID 3: %q", rep.Details())
	}

	s.setHook(nil)
	s.commands()
	rep = fetchtest.RunOK(t, arc, src)
	if m := box(t, rep, "INBOX"); m.New != 1 || m.Seen != 1 || len(m.Failed) != 0 || m.Archived != 10 {
		t.Errorf("second run: report = %+v, want UID 3 alone fetched", *m)
	}
	if got := fetchedUIDs(s.commands()); !slices.Equal(got, []string{"3"}) {
		t.Errorf("second run fetched %q, want only UID 3", got)
	}
	if st, _, _ := arc.State(context.Background(), "acct", "INBOX"); st.LastUID != 10 {
		t.Errorf("LastUID = %d, want 10", st.LastUID)
	}
	checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
}

// TestSizeLimit: a message over MaxMessageSize is skipped, reported as
// such (not failed) on every run, and the state passes it; once the limit
// grows, the next run fetches it.
func TestSizeLimit(t *testing.T) {
	s := newMemServer(t)
	small := testMessages(0, 3)
	big := testMessage(9, strings.Repeat("x", 20000))
	uids := s.deliver("INBOX", small[0], big, small[1], small[2])
	acct := s.account()
	acct.MaxMessageSize = 10000
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunOK(t, arc, New(acct, Options{}))
	m := box(t, rep, "INBOX")
	if len(m.Skipped) != 1 || m.Skipped[0].UID != uids[1] || len(m.Failed) != 0 || m.New != 3 {
		t.Errorf("report = %+v, want UID %d skipped, 3 new", *m, uids[1])
	}
	if st, _, _ := arc.State(context.Background(), "acct", "INBOX"); st.LastUID != uids[3] {
		t.Errorf("LastUID = %d, want %d", st.LastUID, uids[3])
	}

	s.commands()
	rep = fetchtest.RunOK(t, arc, New(acct, Options{}))
	if m := box(t, rep, "INBOX"); len(m.Skipped) != 1 || m.Seen != 0 {
		t.Errorf("second run: report = %+v, want the big one skipped again, nothing fetched", *m)
	}
	if got := bodyFetches(s.commands()); len(got) > 0 {
		t.Errorf("second run sent %q", got)
	}

	acct.MaxMessageSize = 0
	rep = fetchtest.RunOK(t, arc, New(acct, Options{}))
	if m := box(t, rep, "INBOX"); len(m.Skipped) != 0 || m.New != 1 || m.Archived != 4 {
		t.Errorf("run without limit: report = %+v, want the big one fetched", *m)
	}
	checkArchived(t, arc, "acct", "INBOX", mapOf(uids, [][]byte{small[0], big, small[1], small[2]}))
}

// TestCancel cancels a run in the middle of a batch: what was committed
// stays, the state is consistent, and the next run completes with every
// message exactly once.
func TestCancel(t *testing.T) {
	s := newMemServer(t)
	msgs := testMessages(0, 20)
	uids := s.deliver("INBOX", msgs...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu    sync.Mutex
		calls int
	)
	s.setHook(func(inner imapserver.Session, w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 3 {
			cancel() // the third batch hangs until the client gives up
			time.Sleep(100 * time.Millisecond)
		}
		return inner.Fetch(w, set, opts)
	})
	arc := fetchtest.OpenArchive(t, nil)
	src := New(s.account(), Options{BatchMessages: 4})
	rep := fetchtest.RunSources(t, ctx, arc, fetch.Options{}, src)
	a := rep.Accounts[0]
	if !strings.Contains(a.Error, "interrupted") {
		t.Errorf("account error = %q, want an interruption", a.Error)
	}
	st, _, err := arc.State(context.Background(), "acct", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	live := liveLocations(t, arc, "INBOX")
	if st.LastUID != 8 || len(live) != 8 {
		t.Errorf("after cancel: LastUID %d and %d archived, want 8 and 8", st.LastUID, len(live))
	}
	for uid := range live {
		if uid > st.LastUID {
			t.Errorf("UID %d archived above LastUID %d", uid, st.LastUID)
		}
	}

	s.setHook(nil)
	rep = fetchtest.RunOK(t, arc, src)
	if m := box(t, rep, "INBOX"); m.New != 12 || m.Archived != 20 {
		t.Errorf("resumed run: report = %+v, want 12 new", *m)
	}
	checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
	vr, err := arc.Verify(context.Background(), 1, nil)
	if err != nil || !vr.OK() {
		t.Errorf("Verify = %+v, %v", vr, err)
	}
}

// TestTimeout: a server that stops answering mid-fetch costs one Timeout,
// then the run retries and completes.
func TestTimeout(t *testing.T) {
	s := newMemServer(t)
	msgs := testMessages(0, 6)
	uids := s.deliver("INBOX", msgs...)
	release := make(chan struct{})
	defer close(release)
	var once sync.Once
	s.setHook(func(inner imapserver.Session, w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error {
		hang := false
		once.Do(func() { hang = true })
		if hang {
			<-release
		}
		return inner.Fetch(w, set, opts)
	})
	acct := s.account()
	acct.Timeout = 300 * time.Millisecond
	arc := fetchtest.OpenArchive(t, nil)
	start := time.Now()
	fetchtest.RunOK(t, arc, New(acct, Options{}))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %v with a 300ms timeout", d)
	}
	checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
}

// TestPlaintextRefused: security none to a non-loopback host needs
// AllowPlaintext; the error is permanent and says what to do.
func TestPlaintextRefused(t *testing.T) {
	acct := fetch.Account{Name: "remote", Host: "192.0.2.1", Port: 143, Security: fetch.None, Username: "u",
		Password: func(context.Context) (string, error) { t.Error("password asked for"); return "", nil }}
	_, err := dial(context.Background(), acct)
	if !fetch.IsPermanent(err) || !strings.Contains(err.Error(), "allow_plaintext") || !strings.Contains(err.Error(), "192.0.2.1") {
		t.Errorf("dial = %v, want a permanent error naming the host and allow_plaintext", err)
	}
}

// logins counts the LOGIN commands among cmds.
func logins(cmds []string) int {
	n := 0
	for _, c := range cmds {
		if strings.Contains(c, " LOGIN ") {
			n++
		}
	}
	return n
}
