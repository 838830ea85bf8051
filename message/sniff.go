package message

import (
	"unicode/utf8"
)

// sniffBytes is how much of a text sniffCharset looks at.
const sniffBytes = 16 << 10

// sniffCharset guesses the charset of 8-bit text that declares none, from
// its byte structure only: East Asian double-byte text and Cyrillic words.
// It returns "" when it cannot tell, and the caller falls back to
// windows-1252. It is cheap and deliberately conservative: a guess needs
// several characters and a clear pattern.
func sniffCharset(b []byte) string {
	if len(b) > sniffBytes {
		// A prefix tells as well as the whole; cut after an ASCII byte so
		// that no character is split.
		cut := sniffBytes
		for cut > 0 && b[cut-1] >= 0x80 {
			cut--
		}
		if cut > 0 {
			b = b[:cut]
		}
	}
	var high, runs, oddRuns, c0, e0, lowTrail, pairs int
	maxLead := byte(0)
	run := 0
	endRun := func() {
		if run > 0 {
			runs++
			if run%2 == 1 {
				oddRuns++
			}
		}
		run = 0
	}
	for i, c := range b {
		if c < 0x80 {
			endRun()
			continue
		}
		high++
		run++
		switch {
		case c >= 0xE0:
			e0++
		case c >= 0xC0:
			c0++
		}
		if run%2 == 1 && i+1 < len(b) {
			pairs++
			if t := b[i+1]; t >= 0x40 && t < 0xA1 {
				lowTrail++
			}
		}
	}
	endRun()
	if high < 4 || runs == 0 {
		return ""
	}
	avgRun := high / runs

	// Cyrillic: whole words of letters (0xC0-0xFF in both KOI8-R and
	// windows-1251), lower case dominating: E0-FF in windows-1251, C0-DF
	// in KOI8-R.
	if avgRun >= 3 && (c0+e0)*10 >= high*9 && oddRuns > 0 {
		if e0 >= c0 {
			return "windows-1251"
		}
		return "koi8-r"
	}

	// Double-byte: score the candidates that decode without errors.
	best, bestScore := "", 0.0
	for _, cs := range []string{"euc-kr", "gbk", "big5", "shift_jis", "euc-jp"} {
		_, enc := charsetOf(cs)
		if enc == nil {
			continue
		}
		out, bad := decodeCount(enc, b)
		if bad > 0 {
			continue
		}
		var n, hangul, kana, han int
		for _, r := range out {
			switch {
			case r < 0x80:
				continue
			case r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
				// CJK punctuation and full-width forms: any of the scripts.
				continue
			}
			n++
			switch {
			case r >= 0xAC00 && r <= 0xD7A3:
				hangul++
			case r >= 0x3040 && r <= 0x30FF:
				kana++
			case r >= 0x4E00 && r <= 0x9FFF:
				han++
			}
		}
		if n < 2 {
			continue
		}
		var score float64
		switch cs {
		case "euc-kr":
			// Hangul syllables have lead bytes B0-C8, which GB2312 also
			// uses for common characters; Chinese text of some length
			// also has leads above C8.
			if maxLead <= 0xC8 {
				score = float64(hangul) / float64(n)
			}
		case "shift_jis", "euc-jp":
			if kana > 0 {
				score = float64(kana+han) / float64(n)
			}
		case "big5":
			// Big5 trail bytes are often below 0xA1; GB2312's never are.
			if lowTrail*5 >= pairs {
				score = float64(han) / float64(n)
			}
		case "gbk":
			if lowTrail*5 < pairs {
				score = float64(han) / float64(n)
			}
		}
		if score > bestScore {
			best, bestScore = cs, score
		}
	}
	if bestScore >= 0.8 {
		return best
	}
	return ""
}

// mostlyUTF8 reports text that is UTF-8 with a few bad bytes: at least one
// valid multi-byte sequence and at most half as many invalid bytes.
func mostlyUTF8(b []byte) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			invalid++
			i++
			continue
		}
		valid++
		i += n
	}
	return valid > 0 && invalid*2 <= valid
}

// latin1Mojibake reverses text that was in a double-byte charset, read as
// Latin-1 and stored as UTF-8 (Enron-era mail): when s is nothing but
// Latin-1 runes, many of them high, and their bytes decode cleanly in
// hint. It returns "" otherwise.
func latin1Mojibake(s, hint string) string {
	switch normalizeLabel(hint) {
	case "big5", "gbk", "gb2312", "gb18030", "euc-kr", "shift_jis", "euc-jp", "ks_c_5601-1987":
	default:
		return ""
	}
	b := make([]byte, 0, len(s))
	high, other := 0, 0
	for _, r := range s {
		switch {
		case r > 0xFF:
			return ""
		case r >= 0x80:
			high++
		case r > ' ':
			other++
		}
		b = append(b, byte(r))
	}
	if high < 6 || high*10 < (high+other)*4 {
		return ""
	}
	class, enc := charsetOf(hint)
	if class != csTable {
		return ""
	}
	out, bad := decodeCount(enc, b)
	if bad > 0 {
		return ""
	}
	return out
}
