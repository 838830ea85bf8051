package web

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net/textproto"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/index"
)

// Limits of the thread view.
const (
	maxThread       = 100
	maxThreadHeader = 256 << 10 // bytes of a header read
)

// threadItem is one message of a conversation.
type threadItem struct {
	ID      string
	URL     string
	Date    time.Time
	From    string
	Subject string
	Current bool
}

// thread finds the conversation of d in the index: the messages its
// References and In-Reply-To name and the messages that name it or them
// (replies, whatever their subject); then once more with the Message-IDs
// that the messages found name, for replies to replies that only carry
// In-Reply-To. It returns nil when d is alone. A failed lookup leaves the
// thread out, never the page.
func (s *Server) thread(ctx context.Context, d *index.Detail, link func(id string) string) []threadItem {
	mids := map[string]bool{}
	add := func(ids ...string) (grew bool) {
		for _, m := range ids {
			if m = strings.Trim(strings.TrimSpace(m), "<>"); m != "" && !mids[m] && len(mids) < index.MaxConversation {
				mids[m] = true
				grew = true
			}
		}
		return grew
	}
	add(d.MessageID)
	add(d.References...)
	add(d.InReplyTo...)
	if len(mids) == 0 {
		return nil
	}
	var hits []index.Hit
	for round := range 2 {
		var err error
		if hits, err = s.idx.Conversation(ctx, slices.Collect(maps.Keys(mids)), maxThread); err != nil {
			s.log.Warn("thread: look up message ids", "err", err)
			return nil
		}
		grew := false
		for _, h := range hits {
			if id, err := archive.ParseID(h.ID); round == 0 && err == nil && h.ID != d.ID {
				mid, parents := s.threadHeaders(id)
				grew = add(mid) || grew
				grew = add(parents...) || grew
			}
		}
		if !grew {
			break
		}
	}
	var out []threadItem
	current := false
	for _, h := range hits {
		current = current || h.ID == d.ID
		out = append(out, threadItem{ID: h.ID, URL: link(h.ID), Date: h.Date, From: h.From, Subject: h.Subject, Current: h.ID == d.ID})
	}
	if !current {
		it := threadItem{ID: d.ID, URL: link(d.ID), From: d.From, Subject: d.Subject, Current: true}
		if d.Date != nil {
			it.Date = *d.Date
		}
		out = append(out, it)
	}
	if len(out) < 2 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// threadHeaders reads a message's Message-ID and the IDs its References
// and In-Reply-To name.
func (s *Server) threadHeaders(id archive.ID) (mid string, parents []string) {
	rc, err := s.arc.Open(id)
	if err != nil {
		return "", nil
	}
	defer rc.Close()
	hdr, _ := textproto.NewReader(bufio.NewReader(io.LimitReader(rc, maxThreadHeader))).ReadMIMEHeader()
	mid = strings.Trim(strings.TrimSpace(hdr.Get("Message-Id")), "<>")
	for _, k := range []string{"References", "In-Reply-To"} {
		for _, v := range hdr.Values(k) {
			for _, m := range msgIDPattern().FindAllStringSubmatch(v, -1) {
				parents = append(parents, m[1])
			}
		}
	}
	return mid, parents
}

var msgIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<([^<>\s]+)>`) })

// replyPrefix matches the reply and forward markers of several languages.
var replyPrefix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|sv|vs|wg|tr|rif|r|odp|antw|ответ|отв|απ|σχετ|回复|答复|转发)\s*(\[\d+\])?\s*[:：]\s*)+`)
})

// threadSubject is a subject without reply markers, usable in a phrase
// ("" when it is empty or cannot be one).
func threadSubject(s string) string {
	s = strings.TrimSpace(replyPrefix().ReplaceAllString(s, ""))
	s = strings.Map(func(r rune) rune {
		if r == '"' || r == '(' || r == ')' || r < 0x20 {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return ""
	}
	return s
}
