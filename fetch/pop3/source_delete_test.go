package pop3

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// durabilityCheck fails t whenever the server receives "DELE n" for a
// message that the archive does not hold yet (object and catalog row
// under the message's UIDL). view is the maildrop as the session sees it.
func durabilityCheck(t *testing.T, arc *archive.Archive, rec *recorder, view func() []pop3test.Message) *int {
	var (
		mu    sync.Mutex
		count int
	)
	rec.setHook(func(line string) {
		n, ok := strings.CutPrefix(line, "DELE ")
		if !ok {
			return
		}
		i, _ := strconv.Atoi(n)
		msgs := view()
		if i < 1 || i > len(msgs) {
			t.Errorf("%s: no such message", line)
			return
		}
		m := msgs[i-1]
		want := id(served(m.Data))
		has, err := arc.Has(context.Background(), want)
		locs := locations(t, arc)[m.UIDL]
		if err != nil || !has || !slices.ContainsFunc(locs, func(l archive.Location) bool { return l.Message == want }) {
			t.Errorf("%s (UIDL %s) sent before the archive held it: Has = %v, %v; locations %v", line, m.UIDL, has, err, locs)
		}
		mu.Lock()
		count++
		mu.Unlock()
	})
	return &count
}

// TestDeleteAfterArchive: DELE for a message only once the archive holds
// it, never for what failed or was skipped; QUIT makes the deletions
// happen; they are counted and their locations marked gone.
func TestDeleteAfterArchive(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 10)
	bad := pop3test.Message{UIDL: "bad", Data: testMessage(50, "refused"), RetrError: "cannot read"}
	big := pop3test.Message{UIDL: "big", Data: testMessage(51, strings.Repeat("x", 5000))}
	all := append(slices.Clone(msgs[:4]), bad)
	all = append(all, msgs[4:7]...)
	all = append(all, big)
	all = append(all, msgs[7:]...)
	s, rec := sourceServer(t, pop3test.Options{}, all...)
	arc := fetchtest.OpenArchive(t, nil)

	// Three are archived before deletion is turned on.
	s.SetMessages(testUser, msgs[:3])
	fetchtest.RunOK(t, arc, NewSource(account(s.Addr())))
	s.SetMessages(testUser, all)

	acct := account(s.Addr())
	acct.Delete = fetch.DeleteAfterArchive
	acct.MaxMessageSize = 2000
	deles := durabilityCheck(t, arc, rec, func() []pop3test.Message { return all })
	rec.take()
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, NewSourceOptions(acct, SourceOptions{BatchMessages: 3}))
	m := inbox(t, rep)
	if m.Deleted != 10 || m.New != 7 || len(m.Failed) != 1 || len(m.Skipped) != 1 || m.Archived != 10 {
		t.Errorf("report = %+v, want 10 deleted, 7 new, 1 failed, 1 skipped", *m)
	}
	if *deles != 10 {
		t.Errorf("%d DELE sent, want 10", *deles)
	}
	cmds := rec.take()
	// Deletions of what was archived before come first, then each
	// batch's once its commit is done, which runs while the next batch
	// downloads.
	var order []string
	for _, c := range cmds {
		if f := strings.Fields(c); len(f) > 0 && (f[0] == "RETR" || f[0] == "DELE") {
			order = append(order, c)
		}
	}
	want := []string{"DELE 1", "DELE 2", "DELE 3", "RETR 4", "RETR 5", "RETR 6", "RETR 7", "RETR 8", "RETR 10",
		"DELE 4", "DELE 6", "RETR 11", "RETR 12", "DELE 7", "DELE 8", "DELE 10", "DELE 11", "DELE 12"}
	if !slices.Equal(order, want) {
		t.Errorf("RETR and DELE in the order %q, want %q", order, want)
	}
	left := s.Messages(testUser)
	if len(left) != 2 || left[0].UIDL != "bad" || left[1].UIDL != "big" {
		t.Errorf("server keeps %d messages, want only the failed and the skipped one", len(left))
	}
	checkArchivedGone(t, arc, msgs)

	// The next run: nothing to delete, nothing gone twice.
	rec.setHook(nil)
	rep = fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, NewSource(acct))
	if m := inbox(t, rep); m.Deleted != 0 || m.Gone != 0 || m.OnServer != 2 {
		t.Errorf("next run: report = %+v", *m)
	}
}

// checkArchivedGone fails unless msgs are archived with their locations
// marked gone.
func checkArchivedGone(t *testing.T, arc *archive.Archive, msgs []pop3test.Message) {
	t.Helper()
	locs := locations(t, arc)
	for _, m := range msgs {
		l := locs[m.UIDL]
		if len(l) != 1 || l[0].GoneSince.IsZero() || l[0].Message != id(served(m.Data)) {
			t.Errorf("UIDL %s: locations %+v, want one, gone", m.UIDL, l)
		}
		if _, err := arc.ReadAll(id(served(m.Data))); err != nil {
			t.Errorf("UIDL %s deleted from the server but not archived: %v", m.UIDL, err)
		}
	}
}

// TestDeleteCommitFails: when the commit fails (the objects directory is
// replaced by a file, so no object can be put in place) no DELE is sent
// and the server keeps everything; once the archive is repaired, a run
// archives and deletes.
func TestDeleteCommitFails(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 5)
	s, rec := sourceServer(t, pop3test.Options{}, msgs...)
	arc := fetchtest.OpenArchive(t, nil)
	objects := filepath.Join(arc.Dir(), "objects")
	if err := os.Rename(objects, objects+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(objects, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	acct := account(s.Addr())
	acct.Delete = fetch.DeleteAfterArchive
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, NewSource(acct))
	if a := rep.Accounts[0]; a.Error == "" || !a.Permanent {
		t.Errorf("account = %+v, want a permanent store error", a)
	}
	if got := verb(rec.take(), "DELE"); len(got) > 0 {
		t.Errorf("DELE sent although nothing was stored: %q", got)
	}
	if left := s.Messages(testUser); len(left) != 5 {
		t.Errorf("server keeps %d messages, want 5", len(left))
	}

	if err := os.Remove(objects); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(objects+".away", objects); err != nil {
		t.Fatal(err)
	}
	if m := inbox(t, fetchtest.RunOK(t, arc, NewSource(acct))); m.Deleted != 5 || m.New != 5 {
		t.Errorf("after the repair: %+v, want 5 new and deleted", *m)
	}
	checkArchivedGone(t, arc, msgs)
}

// TestDeleteOlderThan: with older-than:30d a message is deleted once it
// was first archived 30 days ago, by the injected clock, not before.
func TestDeleteOlderThan(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		now = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	msgs := testMessages(0, 4)
	s, rec := sourceServer(t, pop3test.Options{}, msgs[:3]...)
	arc := fetchtest.OpenArchive(t, clock)
	acct := account(s.Addr())
	acct.Delete, acct.DeleteOlderThan = fetch.DeleteOlderThan, 30*24*time.Hour
	src := NewSource(acct)
	run := func() *fetch.MailboxReport {
		t.Helper()
		rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Now: clock}, src)
		if !rep.OK() {
			t.Fatalf("run: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
		}
		return inbox(t, rep)
	}

	if m := run(); m.New != 3 || m.Deleted != 0 {
		t.Errorf("first run: %+v, want 3 new, none deleted", *m)
	}
	advance(20 * 24 * time.Hour)
	s.Add(testUser, msgs[3])
	if m := run(); m.New != 1 || m.Deleted != 0 {
		t.Errorf("day 20: %+v, want 1 new, none deleted", *m)
	}
	advance(9*24*time.Hour + 23*time.Hour)
	if m := run(); m.Deleted != 0 || len(verb(rec.take(), "DELE")) != 0 {
		t.Errorf("day 29: %+v, want none deleted", *m)
	}
	advance(time.Hour)
	if m := run(); m.Deleted != 3 {
		t.Errorf("day 30: %+v, want the first 3 deleted", *m)
	}
	if left := s.Messages(testUser); len(left) != 1 || left[0].UIDL != msgs[3].UIDL {
		t.Errorf("server keeps %v, want only the message first seen on day 20", left)
	}
	checkArchivedGone(t, arc, msgs[:3])
	advance(20 * 24 * time.Hour)
	if m := run(); m.Deleted != 1 || len(s.Messages(testUser)) != 0 {
		t.Errorf("day 50: %+v, want the last one deleted", *m)
	}
}

// TestDeleteConnectionLostBeforeQuit: the connection drops when QUIT is
// sent, so the server never gets it: it keeps every message (POP3's
// guarantee), nothing is counted as deleted, and the next run deletes
// them.
func TestDeleteConnectionLostBeforeQuit(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 6)
	s, rec := sourceServer(t, pop3test.Options{}, msgs...)
	q := newQuitCutter(t, s.Addr())
	acct := account(q.Addr())
	acct.Delete = fetch.DeleteAfterArchive
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunOK(t, arc, NewSourceOptions(acct, SourceOptions{BatchMessages: 4}))
	m := inbox(t, rep)
	if q.count() != 1 || len(verb(rec.take(), "DELE")) != 6 {
		t.Fatalf("the test did not cut QUIT after 6 DELE")
	}
	if m.Deleted != 0 || m.New != 6 {
		t.Errorf("report = %+v, want 6 new and none deleted", *m)
	}
	if w := rep.Accounts[0].Warnings; len(w) != 1 || !strings.Contains(w[0], "QUIT") {
		t.Errorf("warnings = %q, want one about QUIT", w)
	}
	if left := s.Messages(testUser); len(left) != 6 {
		t.Errorf("server keeps %d messages after a lost QUIT, want 6", len(left))
	}
	checkArchived(t, arc, msgs)

	acct = account(s.Addr())
	acct.Delete = fetch.DeleteAfterArchive
	rep = fetchtest.RunOK(t, arc, NewSource(acct))
	if m := inbox(t, rep); m.Deleted != 6 || m.Seen != 0 {
		t.Errorf("next run: %+v, want 6 deleted, nothing fetched", *m)
	}
	if left := s.Messages(testUser); len(left) != 0 {
		t.Errorf("server keeps %d messages", len(left))
	}
}

// TestDeleteAfterDisconnect: the connection breaks in the middle of a
// RETR after some messages were committed and marked with DELE: the
// server deletes nothing of that session; the retry deletes what is
// archived, and all of it in the end.
func TestDeleteAfterDisconnect(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 8)
	for i := range msgs {
		msgs[i].Data = testMessage(i, strings.Repeat(fmt.Sprintf("line of message %d\r\n", i), 200))
	}
	cut := slices.Clone(msgs)
	cut[5].CutAfter = 1000
	s, rec := sourceServer(t, pop3test.Options{}, cut...)
	var left []pop3test.Message
	backoff := fetch.Backoff{Attempts: 2, Sleep: func(ctx context.Context, d time.Duration) error {
		left = s.Messages(testUser)
		s.SetMessages(testUser, msgs)
		return nil
	}}
	acct := account(s.Addr())
	acct.Delete = fetch.DeleteAfterArchive
	arc := fetchtest.OpenArchive(t, nil)
	view := cut
	deles := durabilityCheck(t, arc, rec, func() []pop3test.Message { return view })
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: backoff}, NewSourceOptions(acct, SourceOptions{BatchMessages: 2}))
	if !rep.OK() {
		t.Fatalf("run: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
	}
	if len(left) != 8 {
		t.Errorf("after the broken session the server kept %d messages, want 8", len(left))
	}
	if m := inbox(t, rep); m.Deleted != 8 || m.New != 8 || m.Seen != 8 {
		t.Errorf("report = %+v, want 8 new, seen once, deleted", *m)
	}
	// Batches of 2: the broken session marked 1 and 2 (once 3 and 4 were
	// downloaded) and broke in 6; the second marked all 8.
	if *deles != 2+8 {
		t.Errorf("%d DELE, want 10", *deles)
	}
	if n := len(s.Messages(testUser)); n != 0 {
		t.Errorf("server keeps %d messages", n)
	}
	checkArchivedGone(t, arc, msgs)
}
