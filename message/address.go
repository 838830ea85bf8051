package message

import (
	"io"
	"mime"
	"net/mail"
	"strings"
)

// wordDecoder lets net/mail decode encoded-words in any charset this
// package knows; it never fails on a charset.
var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		s, _ := toUTF8(b, charset, "")
		return strings.NewReader(s), nil
	},
}

// parseAddressList parses an address field leniently: net/mail first,
// then, for what it rejects, a split at top-level commas with each piece
// parsed on its own or taken apart by hand. Names are decoded with the
// lenient RFC 2047 decoder; raw 8-bit bytes are decoded first.
func parseAddressList(v, hint string) []Address {
	v = strings.TrimSpace(rawToUTF8(v, hint))
	if v == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(v); err == nil {
		out := make([]Address, 0, min(len(list), MaxAddresses))
		for _, a := range list {
			if len(out) == MaxAddresses {
				break
			}
			out = append(out, Address{Name: cleanName(a.Name, hint), Addr: cleanLine(a.Address)})
		}
		return out
	}
	var out []Address
	for _, piece := range splitAddresses(v) {
		if len(out) == MaxAddresses {
			break
		}
		piece = strings.TrimSpace(piece)
		if piece == "" {
			continue
		}
		if a, err := p.Parse(piece); err == nil {
			out = append(out, Address{Name: cleanName(a.Name, hint), Addr: cleanLine(a.Address)})
			continue
		}
		if a, ok := looseAddress(piece, hint); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddresses splits at commas outside quotes, angle brackets, comments
// and encoded-words, and drops group syntax ("name:" and ";"). A quote
// that is never closed is not taken as one.
func splitAddresses(v string) []string {
	if parts, ok := splitAddressesQuoted(v, true); ok {
		return parts
	}
	parts, _ := splitAddressesQuoted(v, false)
	return parts
}

func splitAddressesQuoted(v string, quotes bool) ([]string, bool) {
	var parts []string
	depth, angle := 0, false
	quote := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quote || depth > 0):
			i++
		case quote:
			if c == '"' {
				quote = false
			}
		case c == '"' && quotes:
			quote = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == '=' && i+1 < len(v) && v[i+1] == '?':
			if w, ok := parseEncodedWord(v[i:]); ok {
				i += w.end - 1
			}
		case (c == ',' || c == ';') && !angle:
			parts = append(parts, v[start:i])
			start = i + 1
		case c == ':' && !angle:
			// A group name, unless it is part of an address.
			if !strings.Contains(v[start:i], "@") {
				start = i + 1
			}
		}
	}
	return append(parts, v[start:]), !quote
}

// looseAddress takes apart what net/mail rejects: `name <addr>`, a bare
// token with '@' and the rest as name, or just a name.
func looseAddress(s, hint string) (Address, bool) {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		j := strings.IndexByte(s[i:], '>')
		addr := s[i+1:]
		if j >= 0 {
			addr = s[i+1 : i+j]
		}
		name := s[:i]
		if j >= 0 {
			name += " " + s[i+j+1:]
		}
		return Address{Name: cleanName(name, hint), Addr: cleanAddr(addr)}, true
	}
	fields := strings.Fields(s)
	for k, f := range fields {
		if strings.Contains(f, "@") && !strings.HasPrefix(f, "=?") {
			name := strings.Join(append(append([]string(nil), fields[:k]...), fields[k+1:]...), " ")
			return Address{Name: cleanName(name, hint), Addr: cleanAddr(f)}, true
		}
	}
	name := cleanName(s, hint)
	if name == "" {
		return Address{}, false
	}
	return Address{Name: name}, true
}

func cleanAddr(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "<>\"'(),;:")
	return cutUTF8(cleanLine(s), 998)
}

// cleanName decodes leftover encoded-words (inside quotes, glued to text)
// and removes the quotes and comment parentheses around a display name.
func cleanName(s, hint string) string {
	s = strings.Trim(s, " \t<>")
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		s = s[1 : len(s)-1]
	}
	if strings.Contains(s, "=?") {
		s = decodeHeader(s, hint)
	}
	s = cleanLine(s)
	for len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	s = strings.ReplaceAll(s, `\"`, `"`)
	if strings.Count(s, `"`) == 1 {
		s = strings.TrimSpace(strings.Replace(s, `"`, "", 1))
	}
	return cutUTF8(s, 998)
}

// firstMsgID returns the first message ID of a Message-ID field, without
// angle brackets.
func firstMsgID(v string) string {
	ids := msgIDs(v, 1)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// msgIDs returns the message IDs of a field: every <...>, or when there
// are none the white-space separated words holding '@'.
func msgIDs(v string, limit int) []string {
	v = cleanLine(rawToUTF8(v, ""))
	var ids []string
	add := func(id string) {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > 998 {
			return
		}
		ids = append(ids, id)
	}
	rest := v
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		add(strings.ReplaceAll(rest[i+1:i+j], " ", ""))
		rest = rest[i+j+1:]
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(stripComments(v)) {
			f = strings.Trim(f, "<>,;\"")
			if strings.Contains(f, "@") {
				add(f)
			}
		}
		if len(ids) == 0 && v != "" && !strings.ContainsAny(v, " \t") {
			add(strings.Trim(v, "<>"))
		}
	}
	if len(ids) > limit {
		// Keep the root and the nearest ancestors.
		ids = append(ids[:1], ids[len(ids)-limit+1:]...)
	}
	return ids
}
