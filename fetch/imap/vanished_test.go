package imap

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// TestMailboxDeleted: a mailbox deleted on the server has its messages
// marked gone, once, and kept; a mailbox only left out by exclude, and
// the mailboxes still there, are untouched.
func TestMailboxDeleted(t *testing.T) {
	s := newMemServer(t)
	for _, name := range []string{"Lists", "Trash", "Old/2019"} {
		s.create(name)
	}
	s.deliver("INBOX", testMessages(0, 2)...)
	s.deliver("Lists", testMessages(10, 3)...)
	s.deliver("Trash", testMessages(20, 2)...)
	s.deliver("Old/2019", testMessages(30, 4)...)
	arc := fetchtest.OpenArchive(t, nil)
	acct := s.account()
	fetchtest.RunOK(t, arc, New(acct, Options{}))

	for _, name := range []string{"Lists", "Old/2019"} {
		if err := s.user.Delete(name); err != nil {
			t.Fatal(err)
		}
	}
	// Trash is still on the server but no longer wanted.
	acct.Exclude = []string{"Trash", "Lists"}
	rep := fetchtest.RunOK(t, arc, New(acct, Options{}))
	if m := box(t, rep, "Old/2019"); m.Gone != 4 {
		t.Errorf("Old/2019: report %+v, want 4 gone", *m)
	}
	for _, m := range rep.Accounts[0].Mailboxes {
		if m.Mailbox != "Old/2019" && m.Gone != 0 {
			t.Errorf("%s: %d gone, want none", m.Mailbox, m.Gone)
		}
	}
	if !slices.ContainsFunc(rep.Accounts[0].Warnings, func(w string) bool {
		return strings.Contains(w, "Old/2019 is no longer on the server") && strings.Contains(w, "4 messages")
	}) {
		t.Errorf("warnings %q do not tell about Old/2019", rep.Accounts[0].Warnings)
	}
	gone := func(mailbox string) (n, all int) {
		t.Helper()
		locs, err := arc.MailboxLocations(context.Background(), "acct", mailbox)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locs {
			if !l.GoneSince.IsZero() {
				n++
			}
		}
		return n, len(locs)
	}
	for _, tc := range []struct {
		mailbox   string
		gone, all int
	}{{"Old/2019", 4, 4}, {"Lists", 0, 3}, {"Trash", 0, 2}, {"INBOX", 0, 2}} {
		if n, all := gone(tc.mailbox); n != tc.gone || all != tc.all {
			t.Errorf("%s: %d of %d locations gone, want %d of %d", tc.mailbox, n, all, tc.gone, tc.all)
		}
	}
	if st, err := arc.Stats(context.Background()); err != nil || st.Messages != 11 {
		t.Errorf("archive holds %d messages (%v), want all 11", st.Messages, err)
	}

	// Lists selected again: it is gone too. Old/2019 is not counted twice.
	acct.Exclude = []string{"Trash"}
	rep = fetchtest.RunOK(t, arc, New(acct, Options{}))
	if m := box(t, rep, "Lists"); m.Gone != 3 {
		t.Errorf("Lists: report %+v, want 3 gone", *m)
	}
	if n, _ := gone("Old/2019"); n != 4 {
		t.Errorf("Old/2019: %d gone after a second run, want 4", n)
	}
	for _, m := range rep.Accounts[0].Mailboxes {
		if m.Mailbox == "Old/2019" {
			t.Errorf("Old/2019 reported again: %+v", m)
		}
	}
}
