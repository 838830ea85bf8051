package index

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet sizes: characters shown, and bytes searched for a match.
const (
	snippetLen    = 200
	snippetBefore = 60       // characters of context before the first match
	snippetMaxScn = 32 << 10 // look no further: a later match gets the beginning
)

// words are the folded words a snippet looks for: exact ones, and the
// beginnings of words (from word* in the query).
type words struct {
	exact    map[string]bool
	prefixes []string
}

// newWords collects the analyzed words of a query (highlightTerms); a
// word ending in * is a prefix. An ideograph bigram is a word either way:
// it is the whole of an indexed token.
func newWords(terms [][]string) words {
	w := words{exact: map[string]bool{}}
	for _, p := range terms {
		for _, t := range p {
			if b, ok := strings.CutSuffix(t, "*"); ok {
				if r, _ := utf8.DecodeRuneInString(b); !isIdeo(r) {
					w.prefixes = append(w.prefixes, b)
					continue
				}
				t = b
			}
			w.exact[t] = true
		}
	}
	return w
}

func (w *words) empty() bool { return len(w.exact) == 0 && len(w.prefixes) == 0 }

// match reports whether a folded word is wanted (without allocating).
func (w *words) match(word []byte) bool {
	if w.exact[string(word)] {
		return true
	}
	for _, p := range w.prefixes {
		if len(word) >= len(p) && string(word[:len(p)]) == p {
			return true
		}
	}
	return false
}

// snippet returns about snippetLen characters of text around the first
// token that matches one of terms (the analyzed words of the query), on
// one line, with the byte ranges of the matching words in it. Without a
// match it is the beginning of the text.
func (x *Index) snippet(text string, terms [][]string) (string, [][2]int) {
	want := newWords(terms)
	at := -1
	if !want.empty() {
		at = firstMatch(text[:min(len(text), snippetMaxScn)], &want)
	}
	start := 0
	if at > 0 {
		start = at
		for n := 0; start > 0 && n < snippetBefore; n++ {
			_, size := utf8.DecodeLastRuneInString(text[:start])
			start -= size
		}
		// Begin at a word if one starts shortly before.
		if start > 0 {
			if i := strings.IndexFunc(text[start:at], unicode.IsSpace); i >= 0 {
				start += i
			}
		}
	}
	end := start
	for n := 0; end < len(text) && n < snippetLen; n++ {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
	}
	// Collapse white space, keeping a map from text offsets to snippet
	// offsets for the highlights.
	var b strings.Builder
	pos := make([]int, end-start+1)
	if start > 0 {
		b.WriteString("…")
	}
	space := true
	for i := start; i < end; {
		r, size := utf8.DecodeRuneInString(text[i:])
		for k := 0; k < size; k++ {
			pos[i-start+k] = b.Len()
		}
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			if !space {
				b.WriteByte(' ')
				space = true
			}
		default:
			b.WriteString(text[i : i+size])
			space = false
		}
		i += size
	}
	pos[end-start] = b.Len()
	s := strings.TrimRight(b.String(), " ")
	if end < len(text) {
		s += "…"
	}
	if want.empty() || at < 0 {
		return s, nil // nothing to highlight
	}
	var hl [][2]int
	for _, m := range matchRanges(text[start:end], &want) {
		a, z := pos[m[0]], pos[m[1]]
		if z > len(s) {
			z = len(s)
		}
		if a < z {
			hl = append(hl, [2]int{a, z})
		}
	}
	return s, mergeRanges(hl)
}

// firstMatch returns the byte offset of the first word of text whose
// folded form want matches (or of the first occurrence of an ideograph
// bigram in want), or -1. It is a quick approximation of the analyzer:
// words are runs of letters, marks and digits.
func firstMatch(text string, want *words) int {
	best := -1
	for t := range want.exact {
		if r, _ := utf8.DecodeRuneInString(t); isIdeo(r) {
			if i := strings.Index(text, t); i >= 0 && (best < 0 || i < best) {
				best = i
			}
		}
	}
	limit := len(text)
	if best >= 0 {
		limit = best
	}
	scanWords(text[:limit], want, func(start, _ int) bool {
		best = start
		return false
	})
	return best
}

// matchRanges returns the byte ranges in text of the words want matches
// and of the occurrences of its ideograph bigrams, in no particular
// order: what the analyzer would find, without its cost.
func matchRanges(text string, want *words) [][2]int {
	var out [][2]int
	for t := range want.exact {
		if r, _ := utf8.DecodeRuneInString(t); isIdeo(r) {
			for i := 0; ; {
				j := strings.Index(text[i:], t)
				if j < 0 {
					break
				}
				out = append(out, [2]int{i + j, i + j + len(t)})
				_, n := utf8.DecodeRuneInString(text[i+j:])
				i += j + n // bigrams overlap: 信息信息 holds 信息 twice
			}
		}
	}
	scanWords(text, want, func(start, end int) bool {
		out = append(out, [2]int{start, end})
		return true
	})
	return out
}

// scanWords calls yield with the byte range of each word of text that want
// matches, in order, until yield returns false. A word is folded only when
// its first letter, folded, starts a wanted word.
func scanWords(text string, want *words, yield func(start, end int) bool) {
	var firstASCII [utf8.RuneSelf]bool
	first := map[string]bool{}
	haveWords := false
	addFirst := func(t string) {
		r, n := utf8.DecodeRuneInString(t)
		switch {
		case r < utf8.RuneSelf:
			firstASCII[r] = true
		case !isIdeo(r):
			first[t[:n]] = true
		default:
			return
		}
		haveWords = true
	}
	for t := range want.exact {
		addFirst(t)
	}
	for _, p := range want.prefixes {
		addFirst(p)
	}
	if !haveWords {
		return
	}
	folded := map[rune]string{}
	var buf []byte
	for i := 0; i < len(text); {
		r, n := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		if !isWordRune(r) || isIdeo(r) {
			i += n
			continue
		}
		start := i
		numeric := unicode.IsDigit(r) // a number keeps its inner . , ; ' (3.14, 1'000)
		for i += n; i < len(text); i += n {
			r, n = rune(text[i]), 1
			if r >= utf8.RuneSelf {
				r, n = utf8.DecodeRuneInString(text[i:])
			}
			if numeric && strings.ContainsRune(".,;'", r) && i+1 < len(text) && '0' <= text[i+1] && text[i+1] <= '9' {
				continue
			}
			if !isWordRune(r) || isIdeo(r) {
				break
			}
			numeric = numeric && unicode.IsDigit(r)
		}
		r, _ = utf8.DecodeRuneInString(text[start:])
		if r < utf8.RuneSelf {
			if !firstASCII[unicode.ToLower(r)] {
				continue
			}
		} else {
			f, ok := folded[r]
			if !ok {
				f = fold(string(r))
				if fr, n := utf8.DecodeRuneInString(f); fr != utf8.RuneError {
					f = f[:n]
				}
				folded[r] = f
			}
			if len(f) == 1 && f[0] < utf8.RuneSelf && !firstASCII[f[0]] || len(f) != 1 && !first[f] {
				continue
			}
		}
		buf = append(buf[:0], text[start:i]...)
		if want.match(foldBytes(buf)) && !yield(start, i) {
			return
		}
	}
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isIdeo reports the scripts the analyzer cuts into bigrams: Han,
// hiragana, katakana.
func isIdeo(r rune) bool {
	switch {
	case r < 0x3040:
		return false
	case r <= 0x30FF, 0x31F0 <= r && r <= 0x31FF, 0x3400 <= r && r <= 0x4DBF,
		0x4E00 <= r && r <= 0x9FFF, 0xF900 <= r && r <= 0xFAFF, 0xFF66 <= r && r <= 0xFF9F,
		0x20000 <= r && r <= 0x3134F:
		return true
	}
	return false
}

// mergeRanges sorts ranges and merges those that overlap or touch (the
// overlapping bigrams of CJK text).
func mergeRanges(r [][2]int) [][2]int {
	if len(r) < 2 {
		return r
	}
	sort.Slice(r, func(i, j int) bool { return r[i][0] < r[j][0] })
	out := r[:1]
	for _, x := range r[1:] {
		last := &out[len(out)-1]
		if x[0] <= last[1] {
			last[1] = max(last[1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}
