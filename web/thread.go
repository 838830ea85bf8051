package web

import (
	"bufio"
	"context"
	"io"
	"net/textproto"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/index"
)

// Limits of the thread view.
const (
	maxThreadRefs       = 50 // Message-IDs of References looked up
	maxThreadCandidates = 30 // messages of the same subject checked for replies
	maxThread           = 100
	maxThreadHeader     = 256 << 10 // bytes of a header read
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

// thread finds the conversation of d: the messages it refers to
// (References, In-Reply-To, looked up by Message-ID in the catalog), and
// the messages of the same subject that refer to any message of the
// conversation (replies; the index has no References field, so the
// subject finds candidates and their headers decide). It returns nil when
// d is alone. A lookup that fails leaves a message out, never the page.
func (s *Server) thread(ctx context.Context, d *index.Detail, link func(id string) string) []threadItem {
	mids := map[string]bool{}
	if d.MessageID != "" {
		mids[d.MessageID] = true
	}
	members := map[string]bool{d.ID: true}
	refs := append(append([]string{}, d.References...), d.InReplyTo...)
	if len(refs) > maxThreadRefs {
		refs = refs[len(refs)-maxThreadRefs:]
	}
	for _, mid := range refs {
		mid = strings.Trim(mid, "<> ")
		if mid == "" || mids[mid] {
			continue
		}
		mids[mid] = true
		ids, err := s.arc.ByMessageID(ctx, mid)
		if err != nil {
			s.log.Warn("thread: look up message id", "err", err)
			continue
		}
		for _, id := range ids {
			members[id.String()] = true
		}
	}
	if subj := threadSubject(d.Subject); subj != "" && len(mids) > 0 {
		res, err := s.idx.Search(ctx, index.Request{Query: `subject:"` + subj + `"`, Limit: maxThreadCandidates, Sort: "date"})
		if err != nil {
			s.log.Warn("thread: search subject", "err", err)
		} else {
			// Two passes: a reply to a reply found in the first.
			for range 2 {
				for _, h := range res.Hits {
					if members[h.ID] {
						continue
					}
					id, err := archive.ParseID(h.ID)
					if err != nil {
						continue
					}
					mid, parents := s.threadHeaders(id)
					for _, p := range parents {
						if mids[p] {
							members[h.ID] = true
							if mid != "" {
								mids[mid] = true
							}
							break
						}
					}
				}
			}
		}
	}
	if len(members) < 2 {
		return nil
	}
	var out []threadItem
	for id := range members {
		aid, err := archive.ParseID(id)
		if err != nil {
			continue
		}
		in, err := s.arc.Info(ctx, aid)
		if err != nil {
			continue
		}
		out = append(out, threadItem{ID: id, URL: link(id), Date: in.Date, From: in.From, Subject: in.Subject, Current: id == d.ID})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Date.Equal(out[j].Date) {
			return out[i].Date.Before(out[j].Date)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > maxThread {
		out = out[:maxThread]
	}
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
			for _, m := range msgIDPattern.FindAllStringSubmatch(v, -1) {
				parents = append(parents, m[1])
			}
		}
	}
	return mid, parents
}

var msgIDPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// replyPrefix matches the reply and forward markers of several languages.
var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|sv|vs|wg|tr|rif|r|odp|antw|ответ|отв|απ|σχετ|回复|答复|转发)\s*(\[\d+\])?\s*[:：]\s*)+`)

// threadSubject is a subject without reply markers, usable in a phrase
// ("" when it is empty or cannot be one).
func threadSubject(s string) string {
	s = strings.TrimSpace(replyPrefix.ReplaceAllString(s, ""))
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
