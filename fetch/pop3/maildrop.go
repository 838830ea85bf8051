package pop3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailkeep/mailkeep/fetch"
)

// message is one message of the maildrop as this session numbers it.
type message struct {
	num  int
	uidl string // "" on a server without UIDL
	size int64  // LIST size; -1 when not listed
	dup  bool   // another message of the maildrop has the same UIDL

	id     fetch.ID // once stored
	stored bool     // in this attempt's current batch
}

// known is what the archive recorded of one UIDL of the account.
type known struct {
	live      bool // some location of it is not gone
	gone      []fetch.Location
	firstSeen time.Time // earliest first sighting
	sizes     map[int64]bool
}

// session is one attempt: one connection, one look at the maildrop.
type session struct {
	*run
	c       *Client
	acct    fetch.Account
	msgs    []*message
	known   map[string]*known
	deleted []*message // marked with DELE in this session
	noUIDL  bool
	// archived counts the maildrop's messages known to be archived.
	archived int
	prog     progress
}

// progress counts the transfer of one attempt.
type progress struct {
	msgs, total       int
	bytes, totalBytes int64
}

// attempt connects and archives the maildrop once.
func (r *run) attempt(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close() // without QUIT: nothing marked with DELE is deleted
	s := &session{run: r, c: c, acct: r.src.acct}
	err = s.sync(ctx)
	r.report()
	r.s.Update(Mailbox, func(m *fetch.MailboxReport) { m.Archived = s.archived })
	return err
}

func (s *session) sync(ctx context.Context) error {
	count, _, err := s.c.Stat(ctx)
	if err != nil {
		return s.connErr(ctx, err)
	}
	s.s.Update(Mailbox, func(m *fetch.MailboxReport) { m.OnServer = count })
	if err := s.listMessages(ctx, count); err != nil {
		return err
	}
	if err := s.load(ctx); err != nil {
		return err
	}
	// Failures of an earlier attempt count only while the server has the
	// message; the sorting below forgets those that are archived now.
	keys := make(map[string]bool, len(s.msgs))
	for _, m := range s.msgs {
		keys[s.key(m)] = true
	}
	for _, reasons := range []map[string]string{s.failed, s.skipped} {
		for k := range reasons {
			if !keys[k] {
				delete(reasons, k)
			}
		}
	}

	// Sort the maildrop: archived already, to download, over the limit.
	var todo, pre []*message
	revive := s.s.NewBatch()
	defer revive.Discard()
	for _, m := range s.msgs {
		if k := s.known[m.uidl]; m.uidl != "" && !m.dup && k != nil {
			if m.size < 0 || len(k.sizes) == 0 || k.sizes[m.size] || k.sizes[0] {
				s.archived++
				pre = append(pre, m)
				delete(s.failed, m.uidl)
				delete(s.skipped, m.uidl)
				if !k.live {
					// The UIDL is back on the server: its location lives again.
					for _, l := range k.gone {
						revive.AddLocation(l.Message, fetch.Location{LocationKey: l.LocationKey, Size: l.Size})
					}
					k.live = true
				}
				continue
			}
			s.s.Log().Warn("UIDL archived with another size; downloading it again", "uidl", m.uidl, "size", m.size)
		}
		if limit := s.acct.MaxMessageSize; limit > 0 && m.size > limit {
			s.skipped[s.key(m)] = fmt.Sprintf("%s, over the size limit of %s", fetch.HumanBytes(m.size), fetch.HumanBytes(limit))
			continue
		}
		delete(s.skipped, s.key(m))
		todo = append(todo, m)
	}
	// Messages no longer on the server (by UIDL: without UIDL, see below).
	gone := 0
	if !s.noUIDL {
		onServer := make(map[string]bool, len(s.msgs))
		for _, m := range s.msgs {
			onServer[m.uidl] = true
		}
		for uidl, k := range s.known {
			if k.live && !onServer[uidl] {
				revive.MarkGone(s.locKey(uidl), s.s.Now())
				gone++
			}
		}
	}
	if err := s.commit(ctx, revive); err != nil {
		return err
	}
	if gone > 0 {
		s.s.Update(Mailbox, func(m *fetch.MailboxReport) { m.Gone += gone })
	}

	// What was archived before may go now.
	for _, m := range pre {
		if s.deletable(s.known[m.uidl].firstSeen) {
			if err := s.dele(ctx, m); err != nil {
				return err
			}
		}
	}

	if err := s.download(ctx, todo); err != nil {
		return err
	}
	if s.noUIDL {
		if err := s.goneWithoutUIDL(ctx); err != nil {
			return err
		}
	}
	return s.quit(ctx)
}

// listMessages learns the maildrop: UIDL, and LIST when sizes are needed
// (something to download, or deletions to check).
func (s *session) listMessages(ctx context.Context, count int) error {
	if count == 0 {
		return nil
	}
	uidls, err := s.c.UIDL(ctx)
	switch {
	case errors.Is(err, ErrNoUIDL):
		s.noUIDL = true
		s.warnOnce("nouidl", "the server does not support UIDL, so every message is downloaded on every run "+
			"(the archive stores each only once); a server with UIDL is much faster to archive")
	case err != nil:
		return s.connErr(ctx, err)
	}
	seen := map[string]int{}
	for _, u := range uidls {
		s.msgs = append(s.msgs, &message{num: u.Num, uidl: u.UIDL, size: -1})
		seen[u.UIDL]++
	}
	dups := 0
	for _, m := range s.msgs {
		if seen[m.uidl] > 1 {
			m.dup = true
			dups++
		}
	}
	if dups > 0 {
		s.warnOnce("dup", fmt.Sprintf("the server gives %d messages a UIDL that another message has too; "+
			"they are downloaded on every run (the archive stores each only once) and never told apart by UIDL", dups))
	}
	return nil
}

// listSizes runs LIST and fills in the sizes (and, without UIDL, the
// messages themselves).
func (s *session) listSizes(ctx context.Context) error {
	list, err := s.c.List(ctx)
	if err != nil {
		return s.connErr(ctx, err)
	}
	if s.noUIDL {
		for _, e := range list {
			s.msgs = append(s.msgs, &message{num: e.Num, size: e.Size})
		}
		return nil
	}
	byNum := make(map[int]int64, len(list))
	for _, e := range list {
		byNum[e.Num] = e.Size
	}
	for _, m := range s.msgs {
		if size, ok := byNum[m.num]; ok {
			m.size = size
		}
	}
	return nil
}

// load reads what the archive recorded of the account's maildrop, and
// lists sizes when they are needed.
func (s *session) load(ctx context.Context) error {
	locs, err := s.s.Locations(ctx, Mailbox)
	if err != nil {
		return fetch.Permanent(err)
	}
	s.known = map[string]*known{}
	for _, l := range locs {
		if l.UIDL == "" || l.UID != 0 || l.Superseded {
			continue
		}
		k := s.known[l.UIDL]
		if k == nil {
			k = &known{sizes: map[int64]bool{}}
			s.known[l.UIDL] = k
		}
		if l.GoneSince.IsZero() {
			k.live = true
		} else {
			k.gone = append(k.gone, l)
		}
		if k.firstSeen.IsZero() || l.FirstSeen.Before(k.firstSeen) {
			k.firstSeen = l.FirstSeen
		}
		k.sizes[l.Size] = true
	}
	need := s.noUIDL || s.deleting()
	for _, m := range s.msgs {
		if need {
			break
		}
		need = m.dup || s.known[m.uidl] == nil
	}
	if need && len(s.msgs) > 0 || s.noUIDL {
		return s.listSizes(ctx)
	}
	return nil
}

// deleting reports whether the account deletes from the server at all.
func (s *session) deleting() bool {
	return s.acct.Delete == fetch.DeleteAfterArchive || s.acct.Delete == fetch.DeleteOlderThan
}

// deletable reports whether a durable message first archived at
// firstSeen may be deleted from the server now.
func (s *session) deletable(firstSeen time.Time) bool {
	switch s.acct.Delete {
	case fetch.DeleteAfterArchive:
		return true
	case fetch.DeleteOlderThan:
		return !firstSeen.IsZero() && !firstSeen.After(s.s.Now().Add(-s.acct.DeleteOlderThan))
	}
	return false
}

// key names a message in the report: its UIDL, or its number.
func (s *session) key(m *message) string {
	if m.uidl == "" {
		return fmt.Sprintf("message %d", m.num)
	}
	return m.uidl
}

// locKey is the location key of a UIDL in the account's maildrop.
func (s *session) locKey(uidl string) fetch.LocationKey {
	return fetch.LocationKey{Account: s.acct.Name, Mailbox: Mailbox, UIDL: uidl}
}

// commit makes b durable.
func (s *session) commit(ctx context.Context, b *fetch.Batch) error {
	if b.Empty() {
		return nil
	}
	if _, err := s.s.Commit(ctx, Mailbox, b); err != nil {
		return fetch.Permanent(err)
	}
	return nil
}

// dele marks a durable message for deletion. The server deletes it only
// when QUIT succeeds.
func (s *session) dele(ctx context.Context, m *message) error {
	if err := s.c.Dele(ctx, m.num); err != nil {
		var se *ServerError
		if errors.As(err, &se) {
			s.s.Log().Warn("server refused to delete a message; it stays on the server", "uidl", s.key(m), "err", err)
			return nil
		}
		return s.connErr(ctx, err)
	}
	s.deleted = append(s.deleted, m)
	return nil
}

// goneWithoutUIDL marks as gone what a server without UIDL no longer has:
// the archived messages that were not among this session's downloads. It
// does so only when every message was downloaded, since a message that
// failed or was skipped may be one of them.
func (s *session) goneWithoutUIDL(ctx context.Context) error {
	if len(s.failed) > 0 || len(s.skipped) > 0 {
		return nil
	}
	have := map[string]bool{}
	for _, m := range s.msgs {
		if m.id != (fetch.ID{}) {
			have[uidlPrefix+m.id.String()] = true
		}
	}
	b := s.s.NewBatch()
	defer b.Discard()
	gone := 0
	for uidl, k := range s.known {
		if k.live && len(uidl) > len(uidlPrefix) && uidl[:len(uidlPrefix)] == uidlPrefix && !have[uidl] {
			b.MarkGone(s.locKey(uidl), s.s.Now())
			gone++
		}
	}
	if err := s.commit(ctx, b); err != nil {
		return err
	}
	s.s.Update(Mailbox, func(m *fetch.MailboxReport) { m.Gone += gone })
	return nil
}

// quit ends the session with QUIT, which makes the deletions happen, and
// records them: their locations stay in the archive, marked gone.
func (s *session) quit(ctx context.Context) error {
	err := s.c.Quit(ctx)
	if len(s.deleted) == 0 {
		if err != nil && ctx.Err() == nil {
			s.s.Log().Debug("QUIT failed", "err", err)
		}
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.warnOnce("quit", fmt.Sprintf("%d messages were to be deleted from the server, but QUIT failed (%v): "+
			"some or all may still be there; they are archived and the next run deletes them", len(s.deleted), err))
		return nil
	}
	b := s.s.NewBatch()
	defer b.Discard()
	now := s.s.Now()
	for _, m := range s.deleted {
		uidl := m.uidl
		if uidl == "" {
			uidl = uidlPrefix + m.id.String()
		}
		b.MarkGone(s.locKey(uidl), now)
	}
	n := len(s.deleted)
	s.s.Update(Mailbox, func(m *fetch.MailboxReport) { m.Deleted += n })
	s.s.Log().Info("deleted from the server", "mailbox", Mailbox, "n", n)
	return s.commit(ctx, b)
}
