package mailfile

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/mailkeep/mailkeep/internal/headerscan"
)

// mboxHeader is what an mbox reader learns from a message's header section.
type mboxHeader struct {
	flags  []string
	labels []string
	date   time.Time
}

// parseMboxHeader reads the header fields that carry mbox flags (Status,
// X-Status, X-Mozilla-Status, X-Mozilla-Keys, X-Keywords), Gmail labels
// (X-Gmail-Labels) and the Date, from the start of a message. It is lenient:
// it stops at the first blank line or the end of b and skips what it does
// not understand.
func parseMboxHeader(b []byte, needDate bool) mboxHeader {
	var (
		h     mboxHeader
		flags flagSet
		kw    flagSet
	)
	headerscan.Fields(b, mboxFields, func(name string, value []byte) {
		switch name {
		case "status":
			if bytes.IndexByte(value, 'R') >= 0 {
				flags.add(FlagSeen)
			}
		case "x-status":
			for _, c := range value {
				switch c {
				case 'A':
					flags.add(FlagAnswered)
				case 'F':
					flags.add(FlagFlagged)
				case 'T':
					flags.add(FlagDraft)
				case 'D':
					flags.add(FlagDeleted)
				}
			}
		case "x-mozilla-status":
			v, ok := parseHex(bytes.TrimSpace(value))
			if !ok {
				return
			}
			for _, f := range mozillaFlags {
				if v&f.bit != 0 {
					flags.add(f.flag)
				}
			}
		case "x-mozilla-keys", "x-keywords":
			for _, k := range bytes.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }) {
				if validKeyword(string(k)) {
					kw.add(string(k))
				}
			}
		case "x-gmail-labels":
			for _, l := range splitLabels(string(value)) {
				mbox, flag := gmailLabel(l)
				if flag != "" {
					flags.add(flag)
				}
				if mbox != "" {
					h.labels = append(h.labels, mbox)
				}
			}
		case "date":
			if needDate && h.date.IsZero() {
				if t, err := mail.ParseDate(string(bytes.TrimSpace(value))); err == nil {
					h.date = t
				}
			}
		}
	})
	for _, k := range kw {
		flags.add(k)
	}
	if len(flags) > 0 {
		h.flags = flags
	}
	if len(h.labels) > 0 {
		h.labels = dedupe(h.labels)
	}
	return h
}

// Thunderbird's X-Mozilla-Status bits (nsMsgMessageFlags).
var mozillaFlags = []struct {
	bit  uint32
	flag string
}{{0x1, FlagSeen}, {0x2, FlagAnswered}, {0x4, FlagFlagged}, {0x8, FlagDeleted}, {0x1000, FlagForwarded}}

func parseHex(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	var v uint32
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint32(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			v = v<<4 | uint32(c|0x20-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// mboxFields are the header fields parseMboxHeader looks at.
var mboxFields = []string{"status", "x-status", "x-mozilla-status", "x-mozilla-keys", "x-keywords", "x-gmail-labels", "date"}

// splitLabels splits an X-Gmail-Labels value at commas outside double
// quotes, unquotes the labels and decodes RFC 2047 encoded words.
func splitLabels(v string) []string {
	var (
		out     []string
		cur     strings.Builder
		inQuote bool
	)
	emit := func() {
		l := strings.TrimSpace(cur.String())
		cur.Reset()
		if strings.Contains(l, "=?") {
			if d, err := new(mime.WordDecoder).DecodeHeader(l); err == nil {
				l = d
			}
		}
		if l != "" {
			out = append(out, l)
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(v):
			i++
			cur.WriteByte(v[i])
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			emit()
		default:
			cur.WriteByte(c)
		}
	}
	emit()
	return out
}

// gmailLabel maps a Gmail label to a mailbox name or a flag (or neither,
// for labels that are neither: "Unread", "Archived", "Category …").
func gmailLabel(l string) (mailbox, flag string) {
	switch low := strings.ToLower(l); {
	case low == "inbox":
		return "INBOX", ""
	case low == "opened":
		return "", FlagSeen
	case low == "starred":
		return "", FlagFlagged
	case low == "important":
		return "", FlagImportant
	case low == "drafts" || low == "draft":
		return l, FlagDraft
	case low == "unread", low == "archived", strings.HasPrefix(low, "category "):
		return "", ""
	}
	return l, ""
}

// validKeyword reports whether k can be an IMAP keyword (an atom that is
// not a system flag).
func validKeyword(k string) bool {
	if k == "" || k[0] == '\\' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

func dedupe(s []string) []string {
	var out flagSet
	for _, v := range s {
		out.add(v)
	}
	return out
}
