package index

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet sizes, in characters.
const (
	snippetLen    = 200
	snippetBefore = 60      // context before the first match
	snippetScan   = 16384   // bytes analyzed at a time while looking for a match
	snippetMaxScn = 1 << 20 // give up looking after this many bytes
)

// snippet returns about snippetLen characters of text around the first
// token that matches one of terms (the analyzed words of the query), on
// one line, with the byte ranges of the matching words in it. Without a
// match it is the beginning of the text.
func (x *Index) snippet(text string, terms [][]string) (string, [][2]int) {
	want := map[string]bool{}
	for _, p := range terms {
		for _, t := range p {
			want[t] = true
		}
	}
	at := -1
	if len(want) > 0 {
		for off := 0; off < len(text) && off < snippetMaxScn; {
			end := chunkEnd(text, off)
			buf := []byte(text[off:end])
			for _, tok := range x.snip.Analyze(buf) {
				if want[string(tok.Term)] {
					at = off + tok.Start
					break
				}
			}
			if at >= 0 {
				break
			}
			off = end
		}
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
	if len(want) == 0 {
		return s, nil
	}
	var hl [][2]int
	for _, tok := range x.snip.Analyze([]byte(text[start:end])) {
		if want[string(tok.Term)] {
			a, z := pos[tok.Start], pos[tok.End]
			if z > len(s) {
				z = len(s)
			}
			if a < z {
				hl = append(hl, [2]int{a, z})
			}
		}
	}
	return s, mergeRanges(hl)
}

// chunkEnd returns where a chunk of text starting at off ends: after
// snippetScan bytes, at the next white space (so no word is cut), or at a
// character boundary when there is none soon.
func chunkEnd(text string, off int) int {
	end := off + snippetScan
	if end >= len(text) {
		return len(text)
	}
	limit := min(end+1024, len(text))
	if i := strings.IndexFunc(text[end:limit], unicode.IsSpace); i >= 0 {
		return end + i
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	return end
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
