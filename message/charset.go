package message

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// aliases maps charset labels seen in real mail that neither the WHATWG
// nor the IANA index knows to a label they do.
var aliases = map[string]string{
	"utf8":              "utf-8",
	"x-utf-8":           "utf-8",
	"x-utf_8j":          "utf-8",
	"unicode-1-1-utf-8": "utf-8",
	"sjis":              "shift_jis",
	"x-sjis-jp":         "shift_jis",
	"shift-jis":         "shift_jis",
	"cp932":             "shift_jis",
	"x-ms-cp932":        "shift_jis",
	"cp949":             "euc-kr",
	"uhc":               "euc-kr",
	"x-windows-949":     "euc-kr",
	"ks_c_5601":         "euc-kr",
	"ksc5601":           "euc-kr",
	"ksc_5601":          "euc-kr",
	"x-euc-kr":          "euc-kr",
	"cp936":             "gbk",
	"ms936":             "gbk",
	"x-gbk":             "gbk",
	"euc-cn":            "gbk",
	"x-euc-cn":          "gbk",
	"gb2312-80":         "gbk",
	"cp950":             "big5",
	"big-5":             "big5",
	"big5-hkscs":        "big5",
	"x-x-big5":          "big5",
	"x-big5":            "big5",
	"ansi_x3.110-1983":  "iso-8859-1",
	"latin-1":           "iso-8859-1",
	"x-mac-roman":       "macintosh",
	"mac":               "macintosh",
	"koi8r":             "koi8-r",
	"koi8u":             "koi8-u",
	"koi8":              "koi8-r",
	"cp866":             "ibm866",
	"tis620":            "windows-874",
	"euc-jp-ms":         "euc-jp",
	"x-euc":             "euc-jp",
	"eucjp":             "euc-jp",
	"euckr":             "euc-kr",
	"jis":               "iso-2022-jp",
}

// Classes of charsets that need more than a decoder table.
const (
	csNone    = iota // no label: ASCII expected
	csASCII          // us-ascii and friends: 8-bit bytes mean a mislabel
	csUTF8           // utf-8
	csUTF16          // utf-16 without endianness: BOM or guess
	csUTF7           // utf-7 (RFC 2152), not in x/text
	csTable          // a decoder from x/text
	csUnknown        // a label nothing knows
)

// charsetOf resolves a label to its class and, for csTable, the decoder.
func charsetOf(label string) (int, encoding.Encoding) {
	l := normalizeLabel(label)
	switch l {
	case "":
		return csNone, nil
	case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "default", "default_charset", "default-charset", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "iso-8859-1-i":
		return csASCII, nil
	case "utf-8":
		return csUTF8, nil
	case "utf-16", "ucs-2", "unicode", "iso-10646-ucs-2", "csunicode":
		return csUTF16, nil
	case "utf-16le", "ucs-2le":
		return csTable, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case "utf-16be", "ucs-2be":
		return csTable, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case "utf-7", "unicode-1-1-utf-7", "utf7", "x-utf-7", "csunicode11utf7":
		return csUTF7, nil
	}
	orig := strings.ToLower(strings.Trim(label, " \t\r\n\"'"))
	for _, name := range []string{l, orig, "cs" + l} {
		if e, err := htmlindex.Get(name); err == nil && e != nil && e != encoding.Replacement {
			return csTable, e
		}
		for _, x := range []*ianaindex.Index{ianaindex.MIME, ianaindex.IANA} {
			if e, err := x.Encoding(name); err == nil && e != nil {
				return csTable, e
			}
		}
	}
	return csUnknown, nil
}

// normalizeLabel lower-cases a charset label and undoes the common
// misspellings: quotes, RFC 2231 language tags, iso8859_1, cp1251, win-1251.
func normalizeLabel(label string) string {
	l := strings.ToLower(strings.Trim(label, " \t\r\n\"'"))
	if i := strings.IndexByte(l, '*'); i >= 0 {
		l = l[:i]
	}
	if a, ok := aliases[l]; ok {
		return a
	}
	l = strings.ReplaceAll(l, "_", "-")
	if a, ok := aliases[l]; ok {
		return a
	}
	switch {
	case strings.HasPrefix(l, "iso8859-"):
		l = "iso-8859-" + l[len("iso8859-"):]
	case strings.HasPrefix(l, "iso-8859") && !strings.HasPrefix(l, "iso-8859-") && len(l) > len("iso-8859"):
		l = "iso-8859-" + l[len("iso-8859"):]
	case strings.HasPrefix(l, "iso8859"):
		l = "iso-8859-" + l[len("iso8859"):]
	case strings.HasPrefix(l, "cp125") || strings.HasPrefix(l, "win-125") || strings.HasPrefix(l, "win125"):
		l = "windows-125" + l[strings.Index(l, "125")+3:]
	case strings.HasPrefix(l, "windows125"):
		l = "windows-125" + l[len("windows125"):]
	case strings.HasPrefix(l, "x-cp125"):
		l = "windows-125" + l[len("x-cp125"):]
	}
	if a, ok := aliases[l]; ok {
		return a
	}
	return l
}

// families lists the charsets that text labelled with a key often really
// is in.
var families = map[string][]string{
	"iso-2022-jp": {"euc-jp", "shift_jis"},
	"euc-jp":      {"shift_jis"},
	"shift_jis":   {"euc-jp"},
	"gb2312":      {"gb18030"},
	"gbk":         {"gb18030"},
}

// decodeCount decodes b and counts the replacement characters made.
func decodeCount(e encoding.Encoding, b []byte) (string, int) {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return string(b), len(b) + 1
	}
	return string(out), bytes.Count(out, []byte("\uFFFD")) - bytes.Count(b, []byte("\uFFFD"))
}

func isUTF16(e encoding.Encoding) bool {
	name, _ := htmlindex.Name(e)
	return strings.HasPrefix(name, "utf-16")
}

// knownCharset reports whether a label names a charset this package can
// decode.
func knownCharset(label string) bool {
	c, _ := charsetOf(label)
	return c != csUnknown
}

// sevenBit reports charsets whose encoded bytes are mostly ASCII, so that
// "all bytes below 0x80" does not mean "already text".
func sevenBit(class int, e encoding.Encoding) bool {
	switch class {
	case csUTF16, csUTF7:
		return true
	case csTable:
		name, _ := htmlindex.Name(e)
		switch name {
		case "iso-2022-jp", "utf-16le", "utf-16be":
			return true
		}
		if n, err := ianaindex.MIME.Name(e); err == nil {
			n = strings.ToLower(n)
			return strings.HasPrefix(n, "iso-2022") || strings.HasPrefix(n, "utf-16") || strings.HasPrefix(n, "hz")
		}
	}
	return false
}

// toUTF8 converts b, declared to be in charset label, to UTF-8. It never
// fails. Bytes that are valid UTF-8 with non-ASCII sequences win over a
// declared 8-bit charset (a mislabel: real Latin-1, KOI8 or CJK text is
// practically never valid UTF-8); an unknown or missing label falls back to
// UTF-8 when valid, else to hint (a charset declared elsewhere in the
// message), else windows-1252. The problem is "" unless something was
// guessed or replaced.
func toUTF8(b []byte, label, hint string) (string, string) {
	class, enc := charsetOf(label)
	if class != csUTF16 && class != csUTF7 && !(class == csTable && sevenBit(class, enc)) && isASCII(b) {
		return string(b), ""
	}
	switch class {
	case csUTF7:
		return decodeUTF7(b), ""
	case csUTF16:
		return decodeUTF16(b), ""
	case csTable:
		if !isUTF16(enc) && !(sevenBit(class, enc) && isASCII(b)) && utf8.Valid(b) {
			return string(b), ""
		}
		if !isUTF16(enc) && !sevenBit(class, enc) && mostlyUTF8(b) {
			return strings.ToValidUTF8(string(b), "\uFFFD"), "charset " + quoteLabel(label) + " mislabelled, read as UTF-8"
		}
		s, bad := decodeCount(enc, b)
		if bad == 0 {
			return s, ""
		}
		// Mislabelled within a family (EUC-JP sent as ISO-2022-JP, GB18030
		// as GB2312), or the charset declared elsewhere: take the decoding
		// with the fewest replacement characters.
		best, bestName := s, ""
		for _, alt := range append(families[normalizeLabel(label)], hint) {
			if alt == "" {
				continue
			}
			if c, e := charsetOf(alt); c == csTable && e != enc {
				if t, n := decodeCount(e, b); n*4 < bad {
					best, bestName, bad = t, alt, n
				}
			}
		}
		if bestName != "" {
			return best, "charset " + quoteLabel(label) + " mislabelled, read as " + bestName
		}
		return s, ""
	case csUTF8:
		if utf8.Valid(b) {
			return string(b), ""
		}
		if mostlyUTF8(b) {
			return strings.ToValidUTF8(string(b), "\uFFFD"), "invalid UTF-8 replaced"
		}
		s, name := guessDecode(b, hint)
		return s, "invalid UTF-8 decoded as " + name
	}
	if utf8.Valid(b) {
		if class == csUnknown {
			return string(b), "unknown charset " + quoteLabel(label) + " read as UTF-8"
		}
		return string(b), ""
	}
	if mostlyUTF8(b) {
		if class == csNone {
			return strings.ToValidUTF8(string(b), "\uFFFD"), "invalid UTF-8 replaced"
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), "8-bit text in " + describeLabel(class, label) + " read as UTF-8"
	}
	s, name := guessDecode(b, hint)
	if class == csNone {
		return s, ""
	}
	return s, "8-bit text in " + describeLabel(class, label) + " read as " + name
}

func describeLabel(class int, label string) string {
	if class == csUnknown {
		return "unknown charset " + quoteLabel(label)
	}
	return quoteLabel(label)
}

func quoteLabel(l string) string {
	if len(l) > 40 {
		l = l[:40]
	}
	return `"` + strings.ToValidUTF8(l, "?") + `"`
}

// guessDecode decodes 8-bit bytes with no usable label: with hint when
// that is a decodable charset and yields no replacement characters, else
// ISO-2022-JP when its escape sequences are there, else with what
// sniffCharset sees, else windows-1252. It returns the text and the name
// of the charset used.
func guessDecode(b []byte, hint string) (string, string) {
	if hint != "" {
		if class, enc := charsetOf(hint); class == csTable {
			if s, bad := decodeCount(enc, b); bad == 0 {
				return s, normalizeLabel(hint)
			}
		}
	}
	if bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) {
		_, enc := charsetOf("iso-2022-jp")
		if s, bad := decodeCount(enc, b); bad == 0 {
			return s, "iso-2022-jp"
		}
	}
	if cs := sniffCharset(b); cs != "" {
		_, enc := charsetOf(cs)
		if s, bad := decodeCount(enc, b); bad <= len(b)/100 {
			return s, cs
		}
	}
	s, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return string(s), "windows-1252"
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeUTF16 decodes UTF-16 after a BOM, or guessing the byte order from
// where the zero bytes of ASCII characters are.
func decodeUTF16(b []byte) string {
	var order binary.ByteOrder = binary.BigEndian
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		order, b = binary.LittleEndian, b[2:]
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		b = b[2:]
	default:
		even, odd := 0, 0
		for i := 0; i+1 < len(b) && i < 4096; i += 2 {
			if b[i] == 0 {
				even++
			}
			if b[i+1] == 0 {
				odd++
			}
		}
		if odd > even {
			order = binary.LittleEndian
		}
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, order.Uint16(b[i:]))
	}
	return string(utf16.Decode(u))
}

// decodeUTF7 decodes RFC 2152 UTF-7. Bytes outside it pass through.
func decodeUTF7(b []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out strings.Builder
	for i := 0; i < len(b); {
		c := b[i]
		if c != '+' {
			out.WriteByte(c)
			i++
			continue
		}
		i++
		if i < len(b) && b[i] == '-' {
			out.WriteByte('+')
			i++
			continue
		}
		var bits uint32
		nbits := 0
		var units []uint16
		for ; i < len(b); i++ {
			v := strings.IndexByte(alphabet, b[i])
			if v < 0 {
				break
			}
			bits = bits<<6 | uint32(v)
			nbits += 6
			if nbits >= 16 {
				nbits -= 16
				units = append(units, uint16(bits>>uint(nbits)))
				bits &= 1<<uint(nbits) - 1
			}
		}
		out.WriteString(string(utf16.Decode(units)))
		if i < len(b) && b[i] == '-' {
			i++
		}
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD")
}
