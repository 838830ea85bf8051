package archive

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/mailkeep/mailkeep/internal/headerscan"
)

// headerMeta is what the catalog records of a message's header. The full
// decoding (bodies, attachments, every charset trick) is the message
// package's job; the catalog keeps enough to list and identify messages.
type headerMeta struct {
	date      time.Time
	messageID string
	from      string
	subject   string
	status    string // "ok", or what could not be read
}

const maxMetaLen = 1000

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}}

// parseHeaderMeta reads Date, Message-ID, From and Subject from the first
// bytes of a message, leniently: it never fails, and says in status what it
// could not read.
func parseHeaderMeta(prefix []byte) headerMeta {
	var m headerMeta
	var problems []string
	end := headerEnd(prefix)
	if end < 0 {
		problems = append(problems, "no end of header")
		end = len(prefix)
	}
	f, ok := scanHeader(bytes.TrimLeft(prefix[:end], " \t\r\n\ufeff"))
	if !ok {
		problems = append(problems, "unreadable header")
	}
	if d := clean(f[fieldDate]); d != "" {
		if t, err := parseDate(d); err == nil {
			m.date = t
		} else {
			problems = append(problems, "bad date")
		}
	}
	m.messageID = strings.Trim(strings.TrimSpace(clean(f[fieldMessageID])), "<>")
	m.from = decodeWords(clean(f[fieldFrom]))
	if a, err := mail.ParseAddress(m.from); err == nil {
		if a.Name != "" {
			m.from = a.Name + " <" + a.Address + ">"
		} else {
			m.from = a.Address
		}
	}
	m.subject = decodeWords(clean(f[fieldSubject]))
	m.messageID, m.from, m.subject = limit(m.messageID), limit(m.from), limit(m.subject)
	m.status = "ok"
	if len(problems) > 0 {
		m.status = strings.Join(problems, "; ")
	}
	return m
}

// The header fields the catalog keeps, as scanHeader returns them.
const (
	fieldDate = iota
	fieldMessageID
	fieldFrom
	fieldSubject
	numFields
)

var fieldNames = []string{"date", "message-id", "from", "subject"}

// scanHeader returns the first Date, Message-ID, From and Subject fields
// of head (a message's header without the blank line), unfolded, and
// whether head had any field at all (see headerscan.Fields).
func scanHeader(head []byte) (f [numFields]string, ok bool) {
	var seen [numFields]bool
	ok = headerscan.Fields(head, fieldNames, func(name string, value []byte) {
		i := slices.Index(fieldNames, name)
		if !seen[i] {
			seen[i] = true
			f[i] = string(value)
		}
	})
	return f, ok
}

// headerEnd returns the offset of the blank line ending the header (where
// the first "\r\n\r\n" or "\n\n" starts), or -1. One pass: a message
// without the other kind of line ending is not scanned to its end.
func headerEnd(b []byte) int {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		j += i
		switch {
		case j+1 < len(b) && b[j+1] == '\n':
			return j
		case j > 0 && b[j-1] == '\r' && j+2 < len(b) && b[j+1] == '\r' && b[j+2] == '\n':
			return j - 1
		}
		i = j + 1
	}
	return -1
}

func decodeWords(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return clean(d)
	}
	return s
}

// clean makes header text safe to store and show: valid UTF-8 (8-bit bytes
// that are not UTF-8 are read as windows-1252), no NULs or control
// characters, no folding.
func clean(s string) string {
	if !utf8.ValidString(s) {
		if d, err := htmlindex.Get("windows-1252"); err == nil {
			if out, err := d.NewDecoder().String(s); err == nil {
				s = out
			}
		}
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func limit(s string) string {
	if len(s) <= maxMetaLen {
		return s
	}
	s = s[:maxMetaLen]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// parseDate is mail.ParseDate with a first try of the layout nearly all
// mail uses: mail.ParseDate tries its layouts in turn and makes an error
// for each that does not fit.
func parseDate(d string) (time.Time, error) {
	if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", d); err == nil {
		return t, nil
	}
	return mail.ParseDate(d)
}
