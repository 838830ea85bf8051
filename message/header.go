package message

import (
	"bytes"
	"strings"
)

// field is one unfolded header field. The value keeps its raw bytes (which
// may be 8-bit in any charset); decoding happens when it is used.
type field struct {
	name  string // lower case
	value string
}

// header is a header block in order of appearance.
type header []field

// get returns the first value of the named field (name in lower case).
func (h header) get(name string) string {
	for _, f := range h {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// all returns every value of the named field.
func (h header) all(name string) []string {
	var vs []string
	for _, f := range h {
		if f.name == name {
			vs = append(vs, f.value)
		}
	}
	return vs
}

func (h header) count(name string) int {
	n := 0
	for _, f := range h {
		if f.name == name {
			n++
		}
	}
	return n
}

// headerBuilder accumulates header lines within MaxHeaderBytes and
// MaxFieldBytes.
type headerBuilder struct {
	h         header
	size      int
	cur       []byte // value of the field being read
	name      string
	open      bool
	truncated bool // fields beyond MaxHeaderBytes dropped
	cutField  bool // a field value cut at MaxFieldBytes
}

// fieldName returns the name of a field line ("Name: value"), and whether
// the line is one. NULs are dropped from the name; a name holding spaces
// or controls is not a name.
func fieldName(line []byte) (name string, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return "", nil, false
	}
	raw := bytes.TrimRight(line[:i], " \t")
	var b strings.Builder
	for _, c := range raw {
		switch {
		case c == 0:
		case c <= ' ' || c == 0x7f:
			return "", nil, false
		default:
			b.WriteByte(c)
		}
	}
	return strings.ToLower(b.String()), line[i+1:], true
}

// start begins a new field; the previous one is finished.
func (hb *headerBuilder) start(name string, value []byte) {
	hb.finish()
	if hb.size+len(name)+len(value) > MaxHeaderBytes {
		hb.truncated = true
		return
	}
	hb.name = name
	hb.cur = append(hb.cur[:0], value...)
	hb.size += len(name) + len(value)
	hb.open = true
}

// cont appends a continuation (or a fragment of an over-long line) to the
// open field.
func (hb *headerBuilder) cont(b []byte) {
	if !hb.open {
		return
	}
	if hb.size+len(b) > MaxHeaderBytes || len(hb.cur)+len(b) > MaxFieldBytes {
		if hb.size+len(b) > MaxHeaderBytes {
			hb.truncated = true
		} else {
			hb.cutField = true
		}
		room := min(MaxHeaderBytes-hb.size, MaxFieldBytes-len(hb.cur))
		if room <= 0 {
			return
		}
		b = b[:room]
	}
	hb.cur = append(hb.cur, b...)
	hb.size += len(b)
}

func (hb *headerBuilder) finish() {
	if !hb.open {
		return
	}
	v := hb.cur
	if len(v) > MaxFieldBytes {
		v = v[:MaxFieldBytes]
		hb.cutField = true
	}
	hb.h = append(hb.h, field{name: hb.name, value: strings.TrimSpace(string(v))})
	hb.open = false
}

// params holds the parameters of a structured field such as Content-Type,
// with RFC 2231 continuations and charsets already resolved.
type params map[string]string

// parseStructured splits a Content-Type or Content-Disposition value into
// its lower-case value and parameters. It never fails: junk is skipped,
// the first of duplicate parameters wins (dup reports the duplicates).
func parseStructured(v string) (value string, p params, dup []string) {
	p = params{}
	v = stripComments(v)
	i := strings.IndexByte(v, ';')
	if i < 0 {
		return strings.ToLower(strings.Trim(v, " \t\"'")), p, nil
	}
	value = strings.ToLower(strings.Trim(v[:i], " \t\"'"))
	type piece struct {
		name   string
		idx    int // -1 when no continuation number
		ext    bool
		val    string
		quoted bool
	}
	var pieces []piece
	rest := v[i+1:]
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			// A name without a value: skip it.
			if eq < 0 {
				break
			}
			rest = rest[eq:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		quoted := false
		if strings.HasPrefix(rest, `"`) {
			quoted = true
			var b strings.Builder
			j := 1
			for ; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) && (rest[j+1] == '"' || rest[j+1] == '\\') {
					// Only \" and \\ are taken as escapes: mailers put
					// Windows paths in quotes unescaped.
					j++
					b.WriteByte(rest[j])
					continue
				}
				if c == '"' {
					break
				}
				b.WriteByte(c)
			}
			val = b.String()
			if j < len(rest) {
				j++
			}
			rest = rest[j:]
			// Anything up to the next ';' after a closing quote is junk.
			if k := strings.IndexByte(rest, ';'); k >= 0 {
				rest = rest[k:]
			} else {
				rest = ""
			}
		} else {
			k := strings.IndexByte(rest, ';')
			if k < 0 {
				k = len(rest)
			}
			val = strings.TrimSpace(rest[:k])
			rest = rest[k:]
		}
		if name == "" {
			continue
		}
		pc := piece{name: name, idx: -1, val: val, quoted: quoted}
		if strings.HasSuffix(pc.name, "*") {
			pc.ext = true
			pc.name = strings.TrimSuffix(pc.name, "*")
		}
		if k := strings.LastIndexByte(pc.name, '*'); k >= 0 {
			if n, ok := atoiSmall(pc.name[k+1:]); ok {
				pc.idx = n
				pc.name = pc.name[:k]
			}
		}
		pieces = append(pieces, pc)
	}

	// Simple parameters first; then RFC 2231 ones, which win over a plain
	// value of the same name (mailers send both for compatibility).
	seen := map[string]bool{}
	for _, pc := range pieces {
		if pc.idx >= 0 || pc.ext {
			continue
		}
		if seen[pc.name] {
			if p[pc.name] != pc.val {
				dup = append(dup, pc.name)
			}
			continue
		}
		seen[pc.name] = true
		p[pc.name] = pc.val
	}
	type cont struct {
		charset string
		parts   map[int]piece
		max     int
	}
	conts := map[string]*cont{}
	var order []string
	for _, pc := range pieces {
		if pc.idx < 0 && !pc.ext {
			continue
		}
		c := conts[pc.name]
		if c == nil {
			c = &cont{parts: map[int]piece{}, max: -1}
			conts[pc.name] = c
			order = append(order, pc.name)
		}
		idx := max(pc.idx, 0)
		if idx > 1000 {
			continue
		}
		if _, ok := c.parts[idx]; ok {
			dup = append(dup, pc.name)
			continue
		}
		c.parts[idx] = pc
		c.max = max(c.max, idx)
	}
	for _, name := range order {
		c := conts[name]
		var raw []byte
		charset := ""
		for i := 0; i <= c.max; i++ {
			pc, ok := c.parts[i]
			if !ok {
				break
			}
			val := pc.val
			if pc.ext {
				if i == 0 {
					// charset'language'value
					if a := strings.IndexByte(val, '\''); a >= 0 {
						if b := strings.IndexByte(val[a+1:], '\''); b >= 0 {
							charset = val[:a]
							val = val[a+1+b+1:]
						}
					}
				}
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		s, _ := toUTF8(raw, charset, "")
		p[name] = s
	}
	return value, p, dup
}

func atoiSmall(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// stripComments removes RFC 5322 comments (parenthesized, nestable)
// outside quoted strings.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (inQuote || depth > 0):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case inQuote:
			if c == '"' {
				inQuote = false
			}
			b.WriteByte(c)
		case c == '"' && depth == 0:
			inQuote = true
			b.WriteByte(c)
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mediaType returns the Content-Type of an entity as a lower-case type and
// its parameters, defaulting as RFC 2045 says (dflt for a missing or
// unusable value).
func mediaType(h header, dflt string) (string, params, []string) {
	v := h.get("content-type")
	t, p, dup := parseStructured(v)
	if !strings.Contains(t, "/") {
		// "text", missing subtype, or junk.
		switch t {
		case "text":
			t = "text/plain"
		case "multipart":
			t = "multipart/mixed"
		default:
			t = dflt
		}
	}
	if i := strings.IndexAny(t, " \t"); i >= 0 {
		t = t[:i]
	}
	return t, p, dup
}

// transferEncoding normalises a Content-Transfer-Encoding value: "base64",
// "quoted-printable", "" for identity, or the unknown value.
func transferEncoding(v string) string {
	v = strings.ToLower(strings.TrimSpace(stripComments(v)))
	if i := strings.IndexAny(v, "; \t"); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(v, "\"'")
	switch v {
	case "base64", "quoted-printable":
		return v
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit", "7bits", "8bits", "7_bit", "8_bit", "plain", "none", "text", "7", "8":
		return ""
	case "qp", "quotedprintable", "quoted_printable":
		return "quoted-printable"
	case "b64", "x-base64":
		return "base64"
	}
	return v
}
