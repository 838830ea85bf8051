package imap

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailkeep/mailkeep/fetch"
)

// listNew lists the messages above LastUID, without their bodies:
// UID FETCH last+1:* (UID RFC822.SIZE FLAGS INTERNALDATE).
func (bs *boxSync) listNew() ([]entry, error) {
	var set goimap.UIDSet
	set.AddRange(goimap.UID(bs.st.LastUID+1), 0)
	return bs.list(set, bs.st.LastUID+1)
}

// list describes the messages of set with a UID of at least min.
func (bs *boxSync) list(set goimap.UIDSet, min uint32) ([]entry, error) {
	cmd := bs.cn.c.Fetch(set, &goimap.FetchOptions{UID: true, RFC822Size: true, Flags: true, InternalDate: true})
	var out []entry
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return nil, fmt.Errorf("list messages of %s: %w", bs.name, err)
		}
		// "n:*" always includes the highest UID, even when it is below n.
		if uint32(buf.UID) < min {
			continue
		}
		out = append(out, entry{uid: uint32(buf.UID), size: buf.RFC822Size, flags: flagStrings(buf.Flags), date: buf.InternalDate})
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", bs.name, err)
	}
	slices.SortFunc(out, func(a, b entry) int { return cmp.Compare(a.uid, b.uid) })
	out = slices.CompactFunc(out, func(a, b entry) bool { return a.uid == b.uid })
	return out, nil
}

// flagsAndGone brings the archived locations up to date with the server:
// new flags (SetFlags) and messages expunged there (MarkGone), into b.
// listed is what listNew found above LastUID. When it learnt which UIDs
// up to LastUID the server has, it returns those the archive lacks
// (skipped for their size, or lost from the catalog) as missing.
func (bs *boxSync) flagsAndGone(b *fetch.Batch, listed []entry) (gone, changed int, missing goimap.UIDSet, err error) {
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
					return 0, 0, nil, fmt.Errorf("fetch flags of %s: %w", bs.name, err)
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
				return 0, 0, nil, fmt.Errorf("fetch flags of %s: %w", bs.name, err)
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
				return 0, 0, nil, fmt.Errorf("search UIDs of %s: %w", bs.name, err)
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
	if existsKnown && len(exists) > 0 {
		for _, r := range exists {
			if r.Stop == 0 { // "n:*" would be a server bug
				continue
			}
			for uid := uint32(r.Start); uid <= uint32(r.Stop) && uid != 0; uid++ {
				if _, ok := bs.live[uid]; !ok {
					missing.AddNum(goimap.UID(uid))
				}
			}
		}
	}
	return gone, changed, missing, nil
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
