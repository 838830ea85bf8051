package index

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"
)

// Column widths of WriteTable, in terminal cells; with the two-space gaps
// they make 100.
const (
	colDate    = 10
	colFrom    = 20
	colSubject = 36
	colMailbox = 14
	colID      = 12
)

// WriteTable writes hits as a table that fits 100 columns: date, sender,
// subject, mailbox (the first; "+N" when there are more) and the short id
// (which show and the web UI accept), then one line with which hits these
// are of how many (offset is the request's) and the search's time. Wide
// (CJK) characters count as two cells; long values are cut with "…".
func WriteTable(w io.Writer, r *Result, offset int) error {
	var b strings.Builder
	row := func(cols ...string) {
		widths := []int{colDate, colFrom, colSubject, colMailbox, colID}
		line := ""
		for i, c := range cols {
			if i > 0 {
				line += "  "
			}
			if i == len(cols)-1 {
				line += fit(c, widths[i], false)
			} else {
				line += fit(c, widths[i], true)
			}
		}
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	if len(r.Hits) > 0 {
		row("DATE", "FROM", "SUBJECT", "MAILBOX", "ID")
	}
	for _, h := range r.Hits {
		date := ""
		if !h.Date.IsZero() {
			date = h.Date.Format("2006-01-02")
		}
		mbox := ""
		if len(h.Mailboxes) > 0 {
			mbox = h.Mailboxes[0]
			if n := len(h.Mailboxes) - 1; n > 0 {
				more := " +" + strconv.Itoa(n)
				mbox = fit(mbox, colMailbox-len(more), false) + more
			}
		}
		id := h.ID
		if len(id) > colID {
			id = id[:colID]
		}
		subject := h.Subject
		if subject == "" {
			subject = "(no subject)"
		}
		row(date, displayName(h.From), subject, mbox, id)
	}
	switch {
	case r.Total == 0:
		b.WriteString("no messages found")
	case len(r.Hits) == 0:
		fmt.Fprintf(&b, "%d messages found; --offset %d skips them all", r.Total, offset)
	case len(r.Hits) < r.Total:
		fmt.Fprintf(&b, "messages %d–%d of %d", offset+1, offset+len(r.Hits), r.Total)
	case r.Total == 1:
		b.WriteString("1 message")
	default:
		fmt.Fprintf(&b, "%d messages", r.Total)
	}
	if r.Took > 0 {
		fmt.Fprintf(&b, " (%s)", r.Took.Round(10*time.Microsecond))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// displayName returns the name of `Name <addr>` (unquoted), or the
// address when there is no name.
func displayName(from string) string {
	from = strings.TrimSpace(from)
	if i := strings.LastIndex(from, " <"); i > 0 && strings.HasSuffix(from, ">") {
		name := strings.TrimSpace(from[:i])
		if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
			if u, err := strconv.Unquote(name); err == nil {
				name = u
			} else {
				name = name[1 : len(name)-1]
			}
		}
		if name != "" {
			return name
		}
		return strings.Trim(from[i+1:], "<>")
	}
	return from
}

// cells is how many terminal cells r takes.
func cells(r rune) int {
	switch {
	case r == 0 || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// fit cuts s to n cells (ending in "…" when cut), with control characters
// as spaces, and pads it to exactly n cells when pad is set.
func fit(s string, n int, pad bool) string {
	var b strings.Builder
	used := 0
	total := 0
	for _, r := range s {
		total += cells(r)
	}
	cut := total > n
	limit := n
	if cut {
		limit = n - 1 // room for "…"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		c := cells(r)
		if used+c > limit {
			break
		}
		b.WriteRune(r)
		used += c
	}
	if cut {
		b.WriteString("…")
		used++
	}
	if pad && used < n {
		b.WriteString(strings.Repeat(" ", n-used))
	}
	return b.String()
}
