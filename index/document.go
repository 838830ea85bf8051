package index

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2/document"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/message"
)

const (
	optText     = bindex.IndexField | bindex.IncludeTermVectors
	optStored   = bindex.StoreField
	optKeyword  = bindex.IndexField
	optKeywordD = bindex.IndexField | bindex.DocValues
)

// facts is what a document is made of: the catalog's Info and locations and
// the parsed message (nil when the object could not be read).
type facts struct {
	info archive.Info
	locs []archive.Location
	msg  *message.Message
}

// buildDoc makes the Bleve document of one message (see mapping.go).
func buildDoc(f *facts, an *textAnalyzer) *document.Document {
	id := f.info.ID.String()
	d := document.NewDocument(id)
	m := f.msg
	if m == nil {
		m = &message.Message{}
	}
	text := func(name string, pos []uint64, v string, opts bindex.FieldIndexingOptions) {
		if v == "" {
			return
		}
		d.AddField(document.NewTextFieldCustom(name, pos, []byte(v), opts, an))
	}
	keyword := func(name string, v string, opts bindex.FieldIndexingOptions) {
		d.AddField(document.NewTextFieldCustom(name, nil, []byte(v), opts, nil))
	}

	subject := m.Subject
	if subject == "" {
		subject = f.info.Subject
	}
	if subject != "" {
		text(fSubject, nil, subject, optText|optStored)
	}
	addrs := func(name string, list []message.Address) {
		for i, a := range list {
			text(name, []uint64{uint64(i)}, strings.TrimSpace(a.Name+" "+a.Addr), optText)
		}
	}
	addrs(fFrom, m.From)
	if len(m.From) == 0 && f.info.From != "" {
		text(fFrom, nil, f.info.From, optText)
	}
	addrs(fTo, m.To)
	addrs(fCc, m.Cc)
	text(fBody, nil, m.Text, optText)
	for i, a := range m.Attachments {
		text(fFilename, []uint64{uint64(i)}, a.Filename, optText)
	}

	if p := preview(m.Text); p != "" {
		keyword(fPreview, p, optStored)
	}

	sender := f.info.From
	if len(m.From) > 0 {
		sender = m.From[0].String()
	}
	if sender != "" {
		keyword(fSender, sender, optStored)
	}
	seenAddr := map[string]bool{}
	for _, a := range m.From {
		if v := strings.ToLower(a.Addr); v != "" && !seenAddr[v] {
			seenAddr[v] = true
			keyword(fFromAddr, v, optKeywordD)
		}
	}

	// Locations: every one not superseded by a renumbering.
	mailboxes := map[string]bool{}
	accounts := map[string]bool{}
	locs := map[string]bool{}
	seen, flags := false, map[string]bool{}
	var arrival time.Time
	for _, l := range f.locs {
		if l.Superseded {
			continue
		}
		full := l.Account + "/" + l.Mailbox
		if !locs[full] {
			locs[full] = true
			keyword(fLoc, full, optKeywordD|optStored)
		}
		for _, v := range []string{fold(full), fold(l.Mailbox)} {
			if !mailboxes[v] {
				mailboxes[v] = true
				keyword(fMailbox, v, optKeyword)
			}
		}
		if a := fold(l.Account); !accounts[a] {
			accounts[a] = true
			keyword(fAccount, a, optKeyword)
		}
		for _, fl := range l.Flags {
			v := flagKeyword(fl)
			if v == "seen" {
				seen = true
			}
			if v != "" && !flags[v] {
				flags[v] = true
				keyword(fFlag, v, optKeyword)
			}
		}
		if arrival.IsZero() || (!l.InternalDate.IsZero() && l.InternalDate.Before(arrival)) {
			arrival = l.InternalDate
		}
	}
	if !seen {
		keyword(fFlag, "unread", optKeyword)
	}

	d.AddField(document.NewBooleanFieldWithIndexingOptions(fAtt, nil, m.HasAttachment, bindex.IndexField|bindex.StoreField))

	date := messageDate(f, arrival)
	if df, err := document.NewDateTimeFieldWithIndexingOptions(fDate, nil, date, time.RFC3339, bindex.IndexField|bindex.StoreField); err == nil {
		d.AddField(df)
	}
	keyword(fTS, sortKey(date), optKeywordD)
	keyword(fYear, strconv.Itoa(date.UTC().Year()), optKeywordD)
	keyword(fMonth, date.UTC().Format("2006-01"), optKeyword)
	d.AddField(document.NewNumericFieldWithIndexingOptions(fSize, nil, float64(f.info.Size), bindex.IndexField))

	mid := m.MessageID
	if mid == "" {
		mid = f.info.MessageID
	}
	if mid = strings.Trim(strings.TrimSpace(mid), "<>"); mid != "" {
		keyword(fMsgID, mid, optKeyword)
	}
	refs := map[string]bool{mid: true}
	for _, r := range append(append([]string{}, m.References...), m.InReplyTo...) {
		if r = strings.Trim(strings.TrimSpace(r), "<>"); !refs[r] {
			refs[r] = true
			keyword(fRefs, r, optKeyword)
		}
	}
	return d
}

// minDate and maxDate bound the dates Bleve can hold (nanoseconds in an
// int64) and that make sense for mail.
var (
	minDate = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// messageDate is the Date header, else the catalog's date, else the
// earliest arrival at the server, else when it was archived.
func messageDate(f *facts, arrival time.Time) time.Time {
	var header time.Time
	if f.msg != nil {
		header = f.msg.Date
	}
	for _, t := range []time.Time{header, f.info.Date, arrival, f.info.Added} {
		if !t.IsZero() && !t.Before(minDate) && t.Before(maxDate) {
			return t
		}
	}
	return minDate
}

// flagKeyword maps an IMAP flag to its keyword: system flags without the
// backslash, keywords folded. \Recent says nothing lasting and is dropped.
func flagKeyword(fl string) string {
	switch strings.ToLower(fl) {
	case `\seen`:
		return "seen"
	case `\flagged`:
		return "flagged"
	case `\answered`:
		return "answered"
	case `\draft`:
		return "draft"
	case `\deleted`:
		return "deleted"
	case `\recent`, "":
		return ""
	}
	return fold(fl)
}

// sortKey is the ts field of a date: Unix seconds as 10 hex digits, so
// that keys sort like dates. (A datetime field's doc values hold all its
// prefix-coded terms, several times the bytes to read per sorted hit.)
func sortKey(t time.Time) string {
	return fmt.Sprintf("%010x", max(t.Unix(), 0))
}

// previewLen is how many characters of the body the index stores.
const previewLen = 300

// preview returns the first previewLen characters of text with white space
// collapsed, and "…" when there is more.
func preview(text string) string {
	var b strings.Builder
	n := 0
	space := true
	for i, r := range text {
		if n == previewLen {
			if strings.TrimSpace(text[i:]) != "" {
				b.WriteString("…")
			}
			break
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			if !space {
				b.WriteByte(' ')
				space = true
				n++
			}
			continue
		}
		b.WriteRune(r)
		space = false
		n++
	}
	return strings.TrimRight(b.String(), " ")
}
