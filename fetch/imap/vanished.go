package imap

import (
	"context"
	"fmt"

	"github.com/mailkeep/mailkeep/fetch"
)

// markVanished handles mailboxes deleted on the server: every location of
// a mailbox that the archive holds live messages of, that the account's
// include and exclude patterns select, and that the server's LIST (boxes,
// the selectable mailboxes) no longer has is marked gone. The messages
// stay in the archive; the run reports the mailbox with its count of gone
// messages and a warning. A LIST without INBOX, which every server has,
// is not trusted to tell what is missing.
func (r *run) markVanished(ctx context.Context, boxes []mailbox) error {
	listed := map[string]bool{}
	delim := rune(0)
	for _, mb := range boxes {
		listed[mb.name] = true
		if mb.delim != 0 {
			delim = mb.delim
		}
	}
	if !listed["INBOX"] {
		r.s.Log().Warn("the server's LIST has no INBOX: not looking for deleted mailboxes")
		return nil
	}
	known, err := r.s.LiveMailboxes(ctx)
	if err != nil {
		return fetch.Permanent(err)
	}
	a := r.src.acct
	now := r.s.Now()
	for _, name := range known {
		if listed[name] || !selected(name, delim, a.Include, a.Exclude) {
			continue
		}
		locs, err := r.s.Locations(ctx, name)
		if err != nil {
			return fetch.Permanent(err)
		}
		b := r.s.NewBatch()
		gone := 0
		for _, l := range locs {
			if l.UID != 0 && l.UIDL == "" && l.GoneSince.IsZero() && !l.Superseded {
				b.MarkGone(l.LocationKey, now)
				gone++
			}
		}
		if gone == 0 {
			b.Discard()
			continue
		}
		if _, err := r.s.Commit(ctx, name, b); err != nil {
			return fetch.Permanent(err)
		}
		r.s.Update(name, func(m *fetch.MailboxReport) { m.Gone += gone })
		r.s.Warn(fmt.Sprintf("mailbox %s is no longer on the server: its %d messages are marked gone (they stay in the archive)", name, gone))
	}
	return nil
}
