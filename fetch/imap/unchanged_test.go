package imap

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// countReads counts, per mailbox, the reads of the full locations until
// the test ends. The test must not be parallel.
func countReads(t *testing.T) func() map[string]int {
	var mu sync.Mutex
	reads := map[string]int{}
	readLocations = func(ss *fetch.Session, ctx context.Context, mailbox string) ([]fetch.Location, error) {
		mu.Lock()
		reads[mailbox]++
		mu.Unlock()
		return ss.Locations(ctx, mailbox)
	}
	t.Cleanup(func() { readLocations = (*fetch.Session).Locations })
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := reads
		reads = map[string]int{}
		return out
	}
}

// TestDovecotUnchanged checks the CONDSTORE shortcut against Dovecot: a
// mailbox EXAMINE shows unchanged has its locations counted, not read,
// and is still reported right; an expunge alone, a flag change alone and
// a new UIDVALIDITY (the same number of messages, the same UIDs) are
// each seen, and each reads the locations.
func TestDovecotUnchanged(t *testing.T) {
	s := dovecottest.Start(t, dovecottest.Options{})
	msgs := testMessages(0, 10)
	uids := fetchtest.Deliver(t, s, "INBOX", msgs...)
	s.Deliver(t, "Other", testMessage(50, "other"))
	s.Deliver(t, "Other", testMessage(51, "other"))
	reads := countReads(t)
	arc := fetchtest.OpenArchive(t, nil)
	src := New(fetchtest.DovecotAccount(s, s.Addr(dovecottest.IMAP), fetch.None), Options{})
	run := func(step string, wantReads map[string]int) *fetch.Report {
		t.Helper()
		reads()
		rep := fetchtest.RunOK(t, arc, src)
		got := reads()
		for _, name := range []string{"INBOX", "Other"} {
			if got[name] != wantReads[name] {
				t.Errorf("%s: locations of %s read %d times, want %d", step, name, got[name], wantReads[name])
			}
		}
		return rep
	}
	check := func(step string, rep *fetch.Report, name string, onServer, archived, gone, flags int) {
		t.Helper()
		m := box(t, rep, name)
		if m.OnServer != onServer || m.Archived != archived || m.Gone != gone || m.FlagsChanged != flags || m.Seen != 0 {
			t.Errorf("%s: report of %s = %+v, want %d on server, %d archived, %d gone, %d flags changed, none fetched",
				step, name, *m, onServer, archived, gone, flags)
		}
	}

	run("first run", map[string]int{"INBOX": 1, "Other": 1})
	rep := run("unchanged", nil)
	check("unchanged", rep, "INBOX", 10, 10, 0, 0)
	check("unchanged", rep, "Other", 2, 2, 0, 0)

	inbox := newInboxChanger(t, s)
	// The last message: UIDNEXT stays, only the count tells.
	inbox.store(uids[9], goimap.FlagDeleted)
	inbox.expunge()
	check("expunge alone", run("expunge alone", map[string]int{"INBOX": 1}), "INBOX", 9, 9, 1, 0)
	if _, ok := liveLocations(t, arc, "INBOX")[uids[9]]; ok {
		t.Errorf("expunged UID %d still live", uids[9])
	}
	check("unchanged after the expunge", run("unchanged after the expunge", nil), "INBOX", 9, 9, 0, 0)

	inbox.store(uids[2], "$Important")
	check("flag change alone", run("flag change alone", map[string]int{"INBOX": 1}), "INBOX", 9, 9, 0, 1)
	if got := liveLocations(t, arc, "INBOX")[uids[2]].Flags; !slices.Contains(got, "$Important") {
		t.Errorf("flags of UID %d = %q, want $Important", uids[2], got)
	}
	check("unchanged after the flag change", run("unchanged after the flag change", nil), "INBOX", 9, 9, 0, 0)

	// A new UIDVALIDITY: Other deleted and made again with as many
	// messages, so UIDNEXT and the count are as before.
	uidValidity := func() uint32 {
		t.Helper()
		sel, err := inbox.c.Select("Other", &goimap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		return sel.UIDValidity
	}
	before := uidValidity()
	if _, err := inbox.c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := inbox.c.Delete("Other").Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		s.Deliver(t, "Other", testMessage(60+i, "other, again"))
	}
	if after := uidValidity(); after == before {
		t.Skipf("Dovecot gave the new Other the same UIDVALIDITY %d", after)
	}
	rep = run("new UIDVALIDITY", map[string]int{"Other": 1})
	if m := box(t, rep, "Other"); !m.UIDValidityChanged || m.New != 2 || m.OnServer != 2 || m.Archived != 2 {
		t.Errorf("new UIDVALIDITY: report of Other = %+v, want it changed, 2 new of 2", *m)
	}
	checkArchived(t, arc, "acct", "Other", s.Bodies(t, "Other"))
	check("unchanged after the new UIDVALIDITY", run("unchanged after the new UIDVALIDITY", nil), "Other", 2, 2, 0, 0)
}

// TestUnchangedCounts runs against a scripted CONDSTORE server whose
// HIGHESTMODSEQ does not move on an expunge: the message count alone
// must tell the mailbox changed, and a UID SEARCH finds what went.
func TestUnchangedCounts(t *testing.T) {
	arc := fetchtest.OpenArchive(t, nil)
	ctx := context.Background()
	b := arc.NewBatch()
	for uid := uint32(1); uid <= 3; uid++ {
		loc := archive.Location{LocationKey: archive.LocationKey{Account: "acct", Mailbox: "INBOX", UIDValidity: 5, UID: uid}}
		if _, err := b.Add(strings.NewReader(string(testMessage(int(uid), ""))), loc); err != nil {
			t.Fatal(err)
		}
	}
	b.SetState(archive.SyncState{Account: "acct", Mailbox: "INBOX", UIDValidity: 5, LastUID: 3, ModSeq: 9})
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	reads := countReads(t)
	server := func(exists int) (fetch.Account, chan string) {
		caps := "IMAP4rev1 CONDSTORE"
		addr, got := scripted(t, "* OK [CAPABILITY "+caps+"] ready", map[string]string{
			"CAPABILITY": "* CAPABILITY " + caps + "\r\nTAG OK done",
			"LOGIN":      "TAG OK [CAPABILITY " + caps + "] logged in",
			"LIST":       `* LIST () "/" INBOX` + "\r\nTAG OK done",
			"EXAMINE": fmt.Sprintf("* %d EXISTS\r\n* OK [UIDVALIDITY 5] ok\r\n* OK [UIDNEXT 4] ok\r\n* OK [HIGHESTMODSEQ 9] ok\r\n"+
				"TAG OK [READ-ONLY] done", exists),
			"UID":    "* SEARCH 1 3\r\nTAG OK done",
			"LOGOUT": "* BYE bye\r\nTAG OK done",
		})
		return fetchtest.Account(addr, "alice", "pw", 10*time.Second), got
	}
	sent := func(got chan string) []string {
		var out []string
		for {
			select {
			case l := <-got:
				out = append(out, l)
			default:
				return out
			}
		}
	}

	acct, got := server(3)
	rep := fetchtest.RunOK(t, arc, New(acct, Options{}))
	if m := box(t, rep, "INBOX"); m.OnServer != 3 || m.Archived != 3 || m.Gone != 0 {
		t.Errorf("unchanged: report = %+v, want 3 on server and archived", *m)
	}
	if n := reads()["INBOX"]; n != 0 {
		t.Errorf("unchanged: locations read %d times, want none", n)
	}
	if cmds := sent(got); slices.ContainsFunc(cmds, func(c string) bool { return strings.Contains(c, "UID ") }) {
		t.Errorf("unchanged: sent %q, want no UID command", cmds)
	}

	acct, _ = server(2)
	rep = fetchtest.RunOK(t, arc, New(acct, Options{}))
	if m := box(t, rep, "INBOX"); m.OnServer != 2 || m.Archived != 2 || m.Gone != 1 {
		t.Errorf("one expunged: report = %+v, want 1 gone, 2 on server and archived", *m)
	}
	if n := reads()["INBOX"]; n != 1 {
		t.Errorf("one expunged: locations read %d times, want once", n)
	}
	if l, ok := liveLocations(t, arc, "INBOX")[2]; ok {
		t.Errorf("expunged UID 2 still live: %+v", l)
	}
}
