package imap

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailkeep/mailkeep/fetch"
)

// boxRun is what a mailbox's sync learnt, kept across connection attempts
// so that a retry neither loses nor repeats a report entry.
type boxRun struct {
	failed  map[uint32]string
	skipped map[uint32]string
}

func (r *run) box(name string) *boxRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	br := r.boxes[name]
	if br == nil {
		br = &boxRun{failed: map[uint32]string{}, skipped: map[uint32]string{}}
		r.boxes[name] = br
	}
	return br
}

// boxSync is one sync of one mailbox over one connection.
type boxSync struct {
	*run
	cn     *conn
	name   string
	pre    *prefetcher // has the archived side of the mailbox
	br     *boxRun
	sel    *goimap.SelectData
	uv     uint32
	modseq uint64          // HIGHESTMODSEQ to store; 0 without CONDSTORE
	st     fetch.SyncState // as committed
	stored bool            // st was in the archive
	// pending is the state the batch being built sets, st once committed.
	pending *fetch.SyncState
	// live holds the archived locations under the current UIDVALIDITY
	// that are not gone: UID → sorted flags. It is read only when the
	// mailbox may have changed (see unchanged).
	live map[uint32][]string
	// archived is how many live locations the archive held under the
	// current UIDVALIDITY when loaded (counted is true once it is known);
	// while wrote is false (no batch of this mailbox went to the archive)
	// it is still true, and the report needs no second read.
	archived int
	counted  bool
	wrote    bool
	prog     progress
	inflight *inflight // the batch being committed
}

// entry is one new message as the listing described it.
type entry struct {
	uid   uint32
	size  int64
	flags []string
	date  time.Time
}

// syncMailbox archives one mailbox (see the package documentation for the
// steps). Errors of type *goimap.Error concern this mailbox only.
func (r *run) syncMailbox(ctx context.Context, cn *conn, name string, pre *prefetcher) error {
	start := r.s.Now()
	bs := &boxSync{run: r, cn: cn, name: name, br: r.box(name), pre: pre}
	quiet := cn.condstore && bs.quiet(ctx)
	if !quiet {
		sel, serr := cn.c.Select(name, &goimap.SelectOptions{ReadOnly: true, CondStore: cn.condstore}).Wait()
		if serr != nil {
			return fmt.Errorf("EXAMINE %s: %w", name, serr)
		}
		if sel.UIDValidity == 0 {
			return &goimap.Error{Type: goimap.StatusResponseTypeNo, Text: "EXAMINE " + name + ": the server sent no UIDVALIDITY"}
		}
		bs.sel, bs.uv, bs.modseq = sel, sel.UIDValidity, 0
		if cn.condstore {
			bs.modseq = sel.HighestModSeq // 0 when the mailbox has NOMODSEQ
		}
	}
	r.s.Update(name, func(m *fetch.MailboxReport) { m.OnServer = int(bs.sel.NumMessages) })
	var err error
	if !quiet {
		err = bs.sync(ctx)
	}
	if rerr := bs.report(ctx); err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	var m fetch.MailboxReport
	r.s.Update(name, func(mr *fetch.MailboxReport) { m = *mr })
	lvl := r.s.Log().Debug
	if m.Seen > 0 || m.Gone > 0 || m.FlagsChanged > 0 || len(m.Failed) > 0 || len(m.Skipped) > 0 || m.UIDValidityChanged {
		lvl = r.s.Log().Info // one line per mailbox with work
	}
	lvl("mailbox synced", "mailbox", name, "on_server", m.OnServer, "archived", m.Archived, "new", m.New, "seen", m.Seen,
		"bytes", m.Bytes, "gone", m.Gone, "flags_changed", m.FlagsChanged, "failed", len(m.Failed), "skipped", len(m.Skipped),
		"uidvalidity_changed", m.UIDValidityChanged, "dur", r.s.Now().Sub(start).Round(time.Millisecond))
	return nil
}

func (bs *boxSync) sync(ctx context.Context) (err error) {
	defer func() {
		if werr := bs.waitCommit(); err == nil {
			err = werr
		}
	}()
	if err := bs.load(ctx); err != nil {
		return err
	}
	if bs.unchanged() {
		return nil // this EXAMINE was all it cost
	}
	if err := bs.readLive(ctx); err != nil {
		return err
	}
	st, sel := bs.st, bs.sel
	newPossible := sel.UIDNext == 0 || uint32(sel.UIDNext) > st.LastUID+1

	var listed []entry
	if newPossible && sel.NumMessages > 0 {
		var err error
		if listed, err = bs.listNew(); err != nil {
			return err
		}
	}

	b := bs.s.NewBatch()
	gone, changed, missing, err := bs.flagsAndGone(b, listed)
	if err != nil {
		return err
	}
	// Messages below LastUID that the archive lacks: skipped for their
	// size (the limit may have grown since) or lost from the catalog.
	var below []entry
	if len(missing) > 0 {
		if below, err = bs.list(missing, 1); err != nil {
			return err
		}
	}

	adv := newAdvance(st.LastUID, listed, uint32(sel.UIDNext))
	var todo []entry
	for _, e := range slices.Concat(below, listed) {
		switch flags, ok := bs.live[e.uid]; {
		case ok:
			if !slices.Equal(flags, e.flags) {
				b.SetFlags(bs.key(e.uid), e.flags)
				changed++
			}
			adv.mark(e.uid)
		case bs.src.acct.MaxMessageSize > 0 && e.size > bs.src.acct.MaxMessageSize:
			bs.br.skipped[e.uid] = fmt.Sprintf("%s, over the size limit of %s",
				fetch.HumanBytes(e.size), fetch.HumanBytes(bs.src.acct.MaxMessageSize))
			adv.mark(e.uid)
		default:
			todo = append(todo, e)
		}
	}
	bs.setState(b, adv.lastUID())
	if err := bs.commit(ctx, b, gone, changed); err != nil {
		return err
	}

	if len(todo) > 0 {
		bs.busy()
	}
	bs.prog = progress{total: len(todo)}
	for _, e := range todo {
		bs.prog.totalBytes += e.size
	}
	for len(todo) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, size := 0, int64(0)
		for n < len(todo) && n < bs.src.opts.BatchMessages && (n == 0 || size+todo[n].size <= bs.src.opts.BatchBytes) {
			size += todo[n].size
			n++
		}
		if err := bs.fetchBatch(ctx, todo[:n], adv); err != nil {
			return err
		}
		todo = todo[n:]
	}
	return nil
}

// load takes the sync state and the location counts read ahead, and
// starts over when the server has a new UIDVALIDITY.
func (bs *boxSync) load(ctx context.Context) error {
	a := bs.pre.get(ctx, bs.name)
	if a.err != nil {
		return fetch.Permanent(a.err)
	}
	st := a.st
	if !bs.take(a) {
		return nil
	}
	// The server renumbered the mailbox: what was archived stays, its
	// locations are superseded, and the mailbox is listed anew.
	bs.s.Log().Warn("UIDVALIDITY changed: archiving the mailbox again (messages already stored cost nothing)",
		"mailbox", bs.name, "old", st.UIDValidity, "new", bs.uv)
	bs.s.Update(bs.name, func(m *fetch.MailboxReport) { m.UIDValidityChanged = true })
	b := bs.s.NewBatch()
	b.Supersede(bs.key(0))
	bs.st = fetch.SyncState{Account: bs.src.acct.Name, Mailbox: bs.name, UIDValidity: bs.uv}
	bs.pending = &bs.st
	b.SetState(bs.st)
	return bs.commit(ctx, b, 0, 0)
}

// take sets what the archive holds of the mailbox from a, and reports
// whether the server renumbered the mailbox since (UIDVALIDITY in bs.uv).
func (bs *boxSync) take(a boxArchive) (renumbered bool) {
	st, ok := a.st, a.ok
	renumbered = ok && st.UIDValidity != bs.uv
	bs.archived = 0
	for _, c := range a.counts {
		if c.UIDValidity != bs.uv {
			renumbered = true // also when the state was lost
		} else {
			bs.archived = c.Live
		}
	}
	bs.st, bs.stored, bs.counted = st, ok, true
	if !renumbered {
		bs.st.UIDValidity = bs.uv
	}
	return renumbered
}

// quiet asks STATUS whether the mailbox is as the last sync left it (see
// unchanged), which spares an unchanged mailbox the EXAMINE: the server
// answers STATUS from its index, where EXAMINE opens the mailbox (some
// 20 ms for 10,000 messages in Dovecot, against 5). Only with CONDSTORE:
// without it a flag change leaves no trace. Anything STATUS cannot tell
// is left to EXAMINE.
func (bs *boxSync) quiet(ctx context.Context) bool {
	st, err := bs.cn.c.Status(bs.name, &goimap.StatusOptions{
		NumMessages: true, UIDNext: true, UIDValidity: true, HighestModSeq: true}).Wait()
	if err != nil || st.NumMessages == nil || st.UIDValidity == 0 || st.HighestModSeq == 0 {
		return false
	}
	a := bs.pre.get(ctx, bs.name)
	if a.err != nil {
		return false
	}
	bs.sel = &goimap.SelectData{NumMessages: *st.NumMessages, UIDNext: st.UIDNext,
		UIDValidity: st.UIDValidity, HighestModSeq: st.HighestModSeq}
	bs.uv, bs.modseq = st.UIDValidity, st.HighestModSeq
	return !bs.take(a) && bs.unchanged()
}

// unchanged reports whether EXAMINE's answer shows the mailbox as the
// last sync left it, so that its locations need not be read. It takes
// a stored state of this UIDVALIDITY (load saw to that); a UIDNEXT that
// shows no UID given above LastUID since; as many messages as the
// archive has live under this UIDVALIDITY (an expunge leaves fewer: all
// the server's messages are at most LastUID, and each of those is
// archived or was skipped, which keeps the counts apart for good); and
// the HIGHESTMODSEQ stored then (a flag change raises it). Without
// CONDSTORE a flag change leaves no other trace, so the flags are
// fetched every run. Whatever is not known (no UIDNEXT, NOMODSEQ, no
// state) counts as a change.
func (bs *boxSync) unchanged() bool {
	st, sel := bs.st, bs.sel
	return bs.stored && st.UIDValidity == bs.uv &&
		sel.UIDNext != 0 && uint32(sel.UIDNext) <= st.LastUID+1 &&
		int(sel.NumMessages) == bs.archived &&
		bs.modseq != 0 && st.ModSeq == bs.modseq
}

// readLocations is Session.Locations; overridden by tests.
var readLocations = (*fetch.Session).Locations

// readLive reads the archived locations under the current UIDVALIDITY
// that are not gone into live.
func (bs *boxSync) readLive(ctx context.Context) error {
	locs, err := readLocations(bs.s, ctx, bs.name)
	if err != nil {
		return fetch.Permanent(err)
	}
	bs.live = map[uint32][]string{}
	for _, l := range locs {
		if l.UIDL == "" && l.UID != 0 && l.UIDValidity == bs.uv && !l.Superseded && l.GoneSince.IsZero() {
			bs.live[l.UID] = l.Flags
		}
	}
	bs.archived = len(bs.live)
	return nil
}

// key names a UID's location in this mailbox.
func (bs *boxSync) key(uid uint32) fetch.LocationKey {
	return fetch.LocationKey{Account: bs.src.acct.Name, Mailbox: bs.name, UIDValidity: bs.uv, UID: uid}
}

// setState adds the state with LastUID last to b, if it changed.
func (bs *boxSync) setState(b *fetch.Batch, last uint32) {
	st := bs.st
	st.LastUID, st.ModSeq = max(last, st.LastUID), bs.modseq
	if bs.stored && st == bs.st {
		return
	}
	b.SetState(st)
	bs.pending = &st
}

// commit makes b durable, then counts it and takes its state as the
// committed one. The read deadline rests meanwhile: a commit may take
// longer than the network timeout.
func (bs *boxSync) commit(ctx context.Context, b *fetch.Batch, gone, changed int) error {
	if err := bs.waitCommit(); err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	bs.cn.tc.pause()
	defer bs.cn.tc.resume()
	bs.wrote = true
	if _, err := bs.s.Commit(ctx, bs.name, b); err != nil {
		return fetch.Permanent(err)
	}
	bs.commits.Add(1)
	if bs.pending != nil {
		bs.st, bs.stored, bs.pending = *bs.pending, true, nil
	}
	if gone > 0 || changed > 0 {
		bs.s.Update(bs.name, func(m *fetch.MailboxReport) {
			m.Gone += gone
			m.FlagsChanged += changed
		})
	}
	return nil
}

// report writes what is known of the mailbox into the run's report:
// failures, skipped messages, and how many of the server's messages the
// archive holds now (counted again only when this sync wrote to it).
func (bs *boxSync) report(ctx context.Context) error {
	archived := bs.archived
	if bs.wrote || !bs.counted {
		counts, err := bs.s.UIDCounts(ctx, bs.name)
		if err != nil {
			return fetch.Permanent(err)
		}
		archived = 0
		for _, c := range counts {
			if c.UIDValidity == bs.uv {
				archived = c.Live
			}
		}
	}
	bs.s.Update(bs.name, func(m *fetch.MailboxReport) {
		m.Archived = archived
		m.Failed = failures(bs.br.failed)
		m.Skipped = failures(bs.br.skipped)
	})
	return nil
}

func failures(m map[uint32]string) []fetch.Failure {
	var out []fetch.Failure
	for uid, why := range m {
		out = append(out, fetch.Failure{UID: uid, Reason: why})
	}
	slices.SortFunc(out, func(a, b fetch.Failure) int { return cmp.Compare(a.UID, b.UID) })
	return out
}

// advance tracks how far LastUID may go: to just below the first listed
// message that is not done, or, once all are, to UIDNEXT-1.
type advance struct {
	uids []uint32 // listed UIDs, ascending
	done []bool
	at   map[uint32]int
	i    int // uids[:i] are done
	last uint32
	end  uint32
}

func newAdvance(last uint32, listed []entry, uidNext uint32) *advance {
	a := &advance{last: last, end: last, at: make(map[uint32]int, len(listed))}
	if uidNext > 0 {
		a.end = max(a.end, uidNext-1)
	}
	for i, e := range listed {
		a.uids = append(a.uids, e.uid)
		a.at[e.uid] = i
		a.end = max(a.end, e.uid)
	}
	a.done = make([]bool, len(a.uids))
	return a
}

func (a *advance) mark(uid uint32) {
	if i, ok := a.at[uid]; ok {
		a.done[i] = true
	}
}

func (a *advance) lastUID() uint32 {
	for a.i < len(a.uids) && a.done[a.i] {
		a.i++
	}
	if a.i == len(a.uids) {
		return a.end
	}
	return max(a.last, a.uids[a.i]-1)
}

// progress counts one mailbox's transfer.
type progress struct {
	msgs, total       int
	bytes, totalBytes int64
}
