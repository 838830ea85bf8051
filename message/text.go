package message

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// segment is the text of one part (or the header summary of an enclosed
// message) on its way into Message.Text.
type segment struct {
	text string
	html bool // converted from HTML
}

// textBufs recycles the buffers that gather a text part's bytes until they
// are decoded into a string: without them every part's bytes were copied
// into a slice grown by doubling, the most a parse allocated.
var textBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledText is the largest buffer kept for reuse.
const maxPooledText = 256 << 10

// collector keeps the first max bytes written to it and counts them all.
type collector struct {
	b    []byte
	max  int
	n    int64
	over bool
}

func (c *collector) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if room := c.max - len(c.b); room > 0 {
		if len(p) > room {
			c.b = append(c.b, p[:room]...)
			c.over = true
		} else {
			c.b = append(c.b, p...)
		}
	} else if len(p) > 0 {
		c.over = true
	}
	return len(p), nil
}

// counter counts bytes.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// cleanText normalises body text for Message.Text: LF line endings, no NULs
// or other control characters but tab and newline, no zero-width or BOM
// characters, no-break spaces as spaces, invalid UTF-8 replaced, trailing
// blanks removed, at most two blank lines in a row.
func cleanText(s string) string {
	var out strings.Builder
	out.Grow(len(s))
	newlines := 0
	var blanks []byte // pending spaces and tabs, written before the next character
	for i := 0; i < len(s); {
		c := s[i]
		var r rune
		if c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else {
			var n int
			r, n = utf8.DecodeRuneInString(s[i:])
			i += n
		}
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			r = '\n'
		case r == 0xA0:
			r = ' '
		case r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\uFEFF' || r == '\u00AD' || r == '\u034F' || r == '\u2060':
			continue
		}
		switch {
		case r == '\n':
			blanks = blanks[:0]
			newlines++
			continue
		case r == ' ' || r == '\t':
			if len(blanks) < 64 {
				blanks = append(blanks, byte(r))
			}
			continue
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xA0):
			continue
		}
		if newlines > 0 {
			if out.Len() > 0 {
				out.WriteString("\n\n"[:min(newlines, 2)])
			}
			newlines = 0
		}
		if len(blanks) > 0 {
			out.Write(blanks)
			blanks = blanks[:0]
		}
		if r < utf8.RuneSelf {
			out.WriteByte(byte(r))
		} else {
			out.WriteRune(r)
		}
	}
	return out.String()
}

// cutUTF8 returns at most n bytes of s, not splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
