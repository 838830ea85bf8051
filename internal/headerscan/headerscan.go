// Package headerscan reads chosen fields of a message's header without
// parsing the rest: no map, no canonical key and no string for the fields
// nobody asked for, and no giving up at a malformed line.
package headerscan

import "bytes"

// Fields calls fn for each field of the header at the start of b whose
// name is one of names (given in lower case, matched in any case), in
// order, up to the first blank line or the end of b. fn gets the entry of
// names and the unfolded value, which is valid only during the call.
//
// Values are unfolded the way net/textproto does: the value's leading
// space dropped, each continuation line trimmed and joined by one space.
// Unlike textproto, a line that is no field (an mbox From_ line, a
// malformed line) is passed over, and a name followed by space before the
// colon ("From :", RFC 5322's obsolete syntax) counts. Fields reports
// whether b had any field at all.
func Fields(b []byte, names []string, fn func(name string, value []byte)) (any bool) {
	var (
		name   string
		value  []byte // a part of b, or folded into buf
		buf    []byte
		folded bool
	)
	flush := func() {
		if name != "" {
			fn(name, bytes.TrimLeft(value, " \t"))
		}
		name, value, folded = "", nil, false
	}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				if !folded {
					buf = append(buf[:0], value...)
					folded = true
				}
				buf = append(append(buf, ' '), bytes.TrimSpace(line)...)
				value = buf
			}
			continue
		}
		flush()
		if i := bytes.IndexByte(line, ':'); i > 0 {
			any = true
			name, value = known(bytes.TrimRight(line[:i], " \t"), names), line[i+1:]
		}
	}
	flush()
	return any
}

// known returns the entry of names that n names, or "".
func known(n []byte, names []string) string {
	for _, f := range names {
		if len(n) == len(f) && bytes.EqualFold(n, []byte(f)) {
			return f
		}
	}
	return ""
}
