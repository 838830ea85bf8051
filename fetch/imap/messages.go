package imap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailkeep/mailkeep/fetch"
)

// listNew lists the messages above LastUID, without their bodies:
// UID FETCH last+1:* (UID RFC822.SIZE FLAGS INTERNALDATE).
func (bs *boxSync) listNew() ([]entry, error) {
	last := bs.st.LastUID
	var set goimap.UIDSet
	set.AddRange(goimap.UID(last+1), 0)
	cmd := bs.cn.c.Fetch(set, &goimap.FetchOptions{UID: true, RFC822Size: true, Flags: true, InternalDate: true})
	var out []entry
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return nil, fmt.Errorf("list new messages of %s: %w", bs.name, err)
		}
		// "n:*" always includes the highest UID, even when it is below n.
		if uint32(buf.UID) <= last {
			continue
		}
		out = append(out, entry{uid: uint32(buf.UID), size: buf.RFC822Size, flags: flagStrings(buf.Flags), date: buf.InternalDate})
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("list new messages of %s: %w", bs.name, err)
	}
	slices.SortFunc(out, func(a, b entry) int { return cmp.Compare(a.uid, b.uid) })
	out = slices.CompactFunc(out, func(a, b entry) bool { return a.uid == b.uid })
	return out, nil
}

// flagsAndGone brings the archived locations up to date with the server:
// new flags (SetFlags) and messages expunged there (MarkGone), into b.
// listed is what listNew found above LastUID.
func (bs *boxSync) flagsAndGone(b *fetch.Batch, listed []entry) (gone, changed int, err error) {
	last := bs.st.LastUID
	liveLow := 0
	for uid := range bs.live {
		if uid <= last {
			liveLow++
		}
	}
	var exists goimap.UIDSet // UIDs up to last that the server still has
	existsKnown := false
	if liveLow > 0 {
		var all goimap.UIDSet
		all.AddRange(1, goimap.UID(last))
		opts := &goimap.FetchOptions{UID: true, Flags: true}
		full := bs.modseq == 0 || bs.st.ModSeq == 0 || bs.st.ModSeq > bs.modseq
		if !full {
			opts.ChangedSince = bs.st.ModSeq
		}
		if full || bs.st.ModSeq != bs.modseq {
			// Without CONDSTORE a flag change leaves no other trace, so
			// this pass (a few dozen bytes per message) runs every time.
			cmd := bs.cn.c.Fetch(all, opts)
			for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
				buf, err := msg.Collect()
				if err != nil {
					cmd.Close()
					return 0, 0, fmt.Errorf("fetch flags of %s: %w", bs.name, err)
				}
				uid := uint32(buf.UID)
				if uid == 0 || uid > last {
					continue
				}
				exists.AddNum(buf.UID)
				if old, ok := bs.live[uid]; ok && buf.Flags != nil {
					if flags := flagStrings(buf.Flags); !slices.Equal(old, flags) {
						b.SetFlags(bs.key(uid), flags)
						changed++
					}
				}
			}
			if err := cmd.Close(); err != nil {
				return 0, 0, fmt.Errorf("fetch flags of %s: %w", bs.name, err)
			}
			existsKnown = full
		}
		// With CONDSTORE, expunges show in the count: the server's
		// messages up to last against what is archived of them.
		serverLow := int(bs.sel.NumMessages) - len(listed)
		if !existsKnown && serverLow != liveLow {
			data, err := bs.cn.c.UIDSearch(&goimap.SearchCriteria{UID: []goimap.UIDSet{all}},
				&goimap.SearchOptions{ReturnAll: bs.cn.esearch}).Wait()
			if err != nil {
				return 0, 0, fmt.Errorf("search UIDs of %s: %w", bs.name, err)
			}
			if set, ok := data.All.(goimap.UIDSet); ok {
				exists = set
			}
			existsKnown = true
		}
	}
	inList := make(map[uint32]bool, len(listed))
	for _, e := range listed {
		inList[e.uid] = true
	}
	now := bs.s.Now()
	for uid := range bs.live {
		if (uid <= last && existsKnown && !exists.Contains(goimap.UID(uid))) || (uid > last && !inList[uid]) {
			b.MarkGone(bs.key(uid), now)
			delete(bs.live, uid)
			gone++
		}
	}
	return gone, changed, nil
}

// fetchBatch fetches the bodies of es into one batch and commits it with
// the state advanced as far as it may go. Messages the server does not
// deliver are asked for once more one by one, then reported as failed.
// After a broken connection what was complete is committed before the
// error returns.
func (bs *boxSync) fetchBatch(ctx context.Context, es []entry, adv *advance) error {
	b := bs.s.NewBatch()
	defer b.Discard()
	got := map[uint32]bool{}
	_, err := bs.fetchBodies(b, es, got)
	if err == nil {
		for _, e := range es {
			if got[e.uid] {
				continue
			}
			var serr *goimap.Error
			serr, err = bs.fetchBodies(b, []entry{e}, got)
			if err != nil {
				break
			}
			if !got[e.uid] {
				why := "the server sent no data for it"
				if serr != nil {
					why = "the server said: " + cleanText(serr.Error())
				}
				bs.br.failed[e.uid] = why
				bs.s.Log().Warn("message not delivered by the server; retried next run", "mailbox", bs.name, "uid", e.uid, "reason", why)
			}
		}
	}
	for uid := range got {
		adv.mark(uid)
		delete(bs.br.failed, uid)
	}
	bs.setState(b, adv.lastUID())
	if cerr := bs.commit(ctx, b, 0, 0); cerr != nil {
		return cerr
	}
	bs.s.Log().Debug("batch", "mailbox", bs.name, "n", len(got), "asked", len(es), "last_uid", bs.st.LastUID)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// fetchBodies streams the bodies of es into b (UID FETCH set (UID
// BODY.PEEK[])) and notes what arrived in got. A NO from the server is
// returned as serr; err is a broken connection or a failed store.
func (bs *boxSync) fetchBodies(b *fetch.Batch, es []entry, got map[uint32]bool) (serr *goimap.Error, err error) {
	want := make(map[uint32]*entry, len(es))
	var set goimap.UIDSet
	for i := range es {
		set.AddNum(goimap.UID(es[i].uid))
		want[es[i].uid] = &es[i]
	}
	cmd := bs.cn.c.Fetch(set, &goimap.FetchOptions{UID: true, BodySection: []*goimap.FetchItemBodySection{{Peek: true}}})
	for msg := cmd.Next(); msg != nil && err == nil; msg = cmd.Next() {
		err = bs.readBody(b, msg, want, got)
	}
	cerr := cmd.Close()
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		if errors.As(cerr, &serr) {
			return serr, nil
		}
		return nil, fetch.ConnLost(fmt.Errorf("fetch from %s: %w", bs.name, cerr))
	}
	return nil, nil
}

// readBody stores one message of a FETCH response. The body goes from
// the connection into the archive without being held in memory.
func (bs *boxSync) readBody(b *fetch.Batch, msg *imapclient.FetchMessageData, want map[uint32]*entry, got map[uint32]bool) error {
	var uid uint32
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = uint32(it.UID)
		case imapclient.FetchItemDataBodySection:
			e := want[uid]
			if e == nil || got[uid] || it.Literal == nil || len(it.Section.Part) > 0 || it.Section.Specifier != goimap.PartSpecifierNone {
				continue // the client discards it
			}
			r := &exactReader{r: it.Literal, want: it.Literal.Size()}
			loc := fetch.Location{LocationKey: bs.key(uid), Flags: e.flags, InternalDate: e.date, Size: e.size}
			if _, err := b.Add(r, loc); err != nil {
				if r.err != nil {
					return fetch.ConnLost(fmt.Errorf("read UID %d of %s: %w", uid, bs.name, r.err))
				}
				return fetch.Permanent(fmt.Errorf("store UID %d of %s: %w", uid, bs.name, err))
			}
			got[uid] = true
			bs.prog.msgs++
			bs.prog.bytes += r.n
			bs.s.Progress(bs.name, bs.prog.msgs, bs.prog.total, bs.prog.bytes, bs.prog.totalBytes)
		}
	}
	return nil
}

// exactReader reads a literal and fails unless it gets every byte the
// literal announced: go-imap's literal reader ends with io.EOF when the
// connection does, which would store a truncated message.
type exactReader struct {
	r    io.Reader
	want int64
	n    int64
	err  error // the read error, if reading failed
}

func (e *exactReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	switch {
	case err == io.EOF && e.n != e.want:
		err = fmt.Errorf("connection ended %d bytes into a %d-byte message: %w", e.n, e.want, io.ErrUnexpectedEOF)
	case err == nil && e.n > e.want:
		err = fmt.Errorf("literal longer than announced")
	}
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// flagStrings returns flags sorted, without \Recent (which belongs to a
// session, not to the message).
func flagStrings(flags []goimap.Flag) []string {
	out := []string{}
	for _, f := range flags {
		if strings.EqualFold(string(f), `\Recent`) {
			continue
		}
		out = append(out, string(f))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
