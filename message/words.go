package message

import (
	"strings"
	"unicode/utf8"
)

// encodedWord is one parsed RFC 2047 encoded-word.
type encodedWord struct {
	charset string // label, language tag removed
	data    []byte // decoded bytes, still in charset
	end     int    // index after "?="
}

// parseEncodedWord parses an encoded-word at the start of s ("=?cs?Q?...?=").
// It is lenient: the charset may carry an RFC 2231 language tag, Q text may
// hold spaces, B text may lack padding.
func parseEncodedWord(s string) (encodedWord, bool) {
	if !strings.HasPrefix(s, "=?") {
		return encodedWord{}, false
	}
	i := 2
	for i < len(s) && s[i] != '?' {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '=' || i > 80 {
			return encodedWord{}, false
		}
		i++
	}
	if i == 2 || i+3 > len(s) || s[i+2] != '?' {
		return encodedWord{}, false
	}
	charset := s[2:i]
	if k := strings.IndexByte(charset, '*'); k >= 0 {
		charset = charset[:k]
	}
	enc := s[i+1] | 0x20
	if enc != 'b' && enc != 'q' {
		return encodedWord{}, false
	}
	text := s[i+3:]
	j := strings.Index(text, "?=")
	if j < 0 {
		return encodedWord{}, false
	}
	text = text[:j]
	if strings.ContainsAny(text, "\r\n") {
		return encodedWord{}, false
	}
	w := encodedWord{charset: charset, end: i + 3 + j + 2}
	if enc == 'b' {
		w.data = decodeBase64Lenient([]byte(text))
	} else {
		w.data = decodeQWord(text)
	}
	return w, true
}

func decodeQWord(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(s):
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, h<<4|l)
				i += 2
			} else {
				b = append(b, c)
			}
		default:
			b = append(b, c)
		}
	}
	return b
}

// decodeHeader decodes a header value: encoded-words anywhere (between
// words, glued to text, inside quoted strings), whitespace between adjacent
// encoded-words dropped, the bytes of adjacent words in the same charset
// joined before decoding (mailers split multi-byte characters), and raw
// 8-bit text decoded as UTF-8 when valid, else in hint or windows-1252.
func decodeHeader(s, hint string) string {
	if !strings.Contains(s, "=?") {
		return rawToUTF8(s, hint)
	}
	var out strings.Builder
	var pend []byte // bytes of the current run of same-charset words
	pendCS := ""
	flush := func() {
		if pend != nil {
			t, _ := toUTF8(pend, pendCS, hint)
			out.WriteString(t)
			pend, pendCS = nil, ""
		}
	}
	lit := 0           // start of literal text not yet written
	afterWord := false // last thing written was an encoded-word
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], "=?")
		if k < 0 {
			break
		}
		k += i
		w, ok := parseEncodedWord(s[k:])
		if !ok {
			i = k + 2
			continue
		}
		gap := s[lit:k]
		if !(afterWord && strings.Trim(gap, " \t\r\n") == "") {
			flush()
			out.WriteString(rawToUTF8(gap, hint))
		}
		if pend != nil && !strings.EqualFold(pendCS, w.charset) {
			flush()
		}
		if pend == nil {
			pendCS = w.charset
			pend = []byte{}
		}
		pend = append(pend, w.data...)
		afterWord = true
		i = k + w.end
		lit = i
	}
	flush()
	out.WriteString(rawToUTF8(s[lit:], hint))
	return out.String()
}

// rawToUTF8 decodes header text that is not an encoded-word.
func rawToUTF8(s, hint string) string {
	if isASCII([]byte(s)) {
		if strings.Contains(s, "+") && normalizeLabel(hint) == "utf-7" {
			// Outlook 2000 wrote raw UTF-7 headers in UTF-7 messages.
			return decodeUTF7([]byte(s))
		}
		return s
	}
	if utf8.ValidString(s) {
		if t := latin1Mojibake(s, hint); t != "" {
			return t
		}
		return s
	}
	t, _ := toUTF8([]byte(s), "", hint)
	return t
}

// cleanLine makes a decoded single-line header value presentable: controls
// and NULs removed, runs of white space (folding) collapsed to one space.
func cleanLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == 0xA0:
			space = true
			continue
		case r < ' ' || r == 0x7f || r == 0xFEFF:
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
