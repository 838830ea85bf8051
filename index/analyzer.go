package index

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	unitok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"golang.org/x/text/unicode/norm"
)

// textAnalyzer is the one analyzer of every text field, applied to message
// text when indexing and to query words when searching:
//
//  1. split into words by the Unicode word-break rules (UAX #29); every
//     Han ideograph and kana is a token of its own;
//  2. split words at inner dots, underscores, colons and apostrophes, which
//     UAX #29 keeps inside a word: "alice.smith@example.com" gives alice,
//     smith, example, com; "report_2019.pdf" gives report, 2019, pdf; a
//     query for "example.com" becomes the phrase "example com" and still
//     finds it. Numbers keep their dots (3.14, 10.0.0.1);
//  3. fold each token (see fold): lower case, compatibility decomposition
//     (NFKD), combining accents removed, Greek final sigma ς → σ, a few
//     letters with strokes spelled out (ß → ss, ø → o, ł → l, æ → ae …);
//  4. join runs of adjacent ideographs into overlapping bigrams
//     (東京都 → 東京 京都), so Chinese and Japanese, written without
//     spaces, are found by any two-character word in them;
//  5. with zeroOffsets, forget byte offsets: positions are what phrase
//     queries need, and offsets would cost two varints per occurrence in
//     the index; snippets are built from the message itself.
//
// There is no stemming: "run" does not find "running". Stemmers exist for
// single languages only, and mail mixes them in one field; an exact word
// then matches exactly in every language.
type textAnalyzer struct {
	tokenizer   *unitok.UnicodeTokenizer
	bigram      *cjk.CJKBigramFilter
	zeroOffsets bool
}

func newTextAnalyzer(zeroOffsets bool) *textAnalyzer {
	return &textAnalyzer{
		tokenizer:   unitok.NewUnicodeTokenizer(),
		bigram:      cjk.NewCJKBigramFilter(false),
		zeroOffsets: zeroOffsets,
	}
}

// Analyze implements analysis.Analyzer.
func (a *textAnalyzer) Analyze(input []byte) analysis.TokenStream {
	tokens := splitInner(a.tokenizer.Tokenize(input))
	ideo := false
	for _, t := range tokens {
		t.Term = foldBytes(t.Term)
		ideo = ideo || t.Type == analysis.Ideographic
	}
	if ideo {
		tokens = a.bigram.Filter(tokens) // numbers positions anew
	} else {
		for i, t := range tokens {
			t.Position = i + 1
		}
	}
	if a.zeroOffsets {
		for _, t := range tokens {
			t.Start, t.End = 0, 0
		}
	}
	return tokens
}

// fold returns s folded the way the index folds every word and keyword:
// lower case and without accents (see foldBytes).
func fold(s string) string {
	return string(foldBytes([]byte(s)))
}

// foldBytes folds a token. ASCII is lowercased in place; anything else is
// rebuilt in a new slice:
//
//   - NFKD splits precomposed letters (ä = a + ¨) and maps compatibility
//     forms (full-width Ａ, ligature ﬁ, half-width katakana) to plain ones;
//   - combining accents are dropped (see accent), so é = e, ä = a, ΐ = ι,
//     й = и, ё = е; the kana voicing marks stay (が is not か);
//   - lower case, Greek final sigma ς as σ, and the letters NFKD leaves
//     alone spelled as Lucene's ASCII folding does (ß ss, æ ae, œ oe, ø o,
//     đ d, ł l, ı i, ħ h, þ th, ð d);
//   - NFC recomposes what NFKD took apart and folding kept (Hangul
//     syllables, voiced kana).
//
// Swedish and German readers should know that this makes "mörk" and "mork",
// "år" and "ar" the same word: forgiving for anyone typing on a keyboard
// without those letters, at the price of a few extra matches.
func foldBytes(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return b
	}
	d := norm.NFKD.Bytes(b)
	out := make([]byte, 0, len(d))
	recompose := false
	for i := 0; i < len(d); {
		r, n := utf8.DecodeRune(d[i:])
		i += n
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			out = append(out, byte(r))
			continue
		}
		if accent(r) {
			continue
		}
		r = unicode.ToLower(r)
		switch r {
		case 'ς':
			r = 'σ'
		case 'ß':
			out = append(out, "ss"...)
			continue
		case 'æ':
			out = append(out, "ae"...)
			continue
		case 'œ':
			out = append(out, "oe"...)
			continue
		case 'þ':
			out = append(out, "th"...)
			continue
		case 'ø':
			r = 'o'
		case 'đ', 'ð':
			r = 'd'
		case 'ł':
			r = 'l'
		case 'ı':
			r = 'i'
		case 'ħ':
			r = 'h'
		}
		if (0x1100 <= r && r <= 0x11FF) || r == 0x3099 || r == 0x309A {
			recompose = true // Hangul jamo, kana voicing marks
		}
		out = utf8.AppendRune(out, r)
	}
	if recompose {
		out = norm.NFC.Bytes(out)
	}
	return out
}

// accent reports whether r is a combining mark that folding drops: the
// diacritics of Latin, Greek and Cyrillic letters, Hebrew points and Arabic
// vowel marks. Marks that are letters' vowels in Indic and Southeast Asian
// scripts are kept, and so are the kana voicing marks.
func accent(r rune) bool {
	switch {
	case r < 0x0300:
		return false
	case r <= 0x036F, // combining diacritical marks
		0x0483 <= r && r <= 0x0489,                              // Cyrillic
		0x0591 <= r && r <= 0x05C7 && unicode.Is(unicode.Mn, r), // Hebrew points
		0x0610 <= r && r <= 0x061A,
		0x064B <= r && r <= 0x065F,
		r == 0x0670,                // Arabic
		0x1AB0 <= r && r <= 0x1AFF, // extended
		0x1DC0 <= r && r <= 0x1DFF, // supplement
		0x20D0 <= r && r <= 0x20FF, // for symbols
		0xFE20 <= r && r <= 0xFE2F: // half marks
		return true
	}
	return false
}

// splitInner splits word tokens at the punctuation UAX #29 keeps inside
// words (see textAnalyzer). Positions are renumbered by the bigram filter
// that follows.
func splitInner(tokens analysis.TokenStream) analysis.TokenStream {
	var out analysis.TokenStream // allocated on the first split
	for i, t := range tokens {
		if t.Type != analysis.AlphaNumeric || !hasInner(t.Term) {
			if out != nil {
				out = append(out, t)
			}
			continue
		}
		if out == nil {
			out = make(analysis.TokenStream, i, len(tokens)+8)
			copy(out, tokens[:i])
		}
		start := 0
		term := t.Term
		for j := 0; j <= len(term); {
			r, n := rune(0), 1
			if j < len(term) {
				r, n = utf8.DecodeRune(term[j:])
			}
			if j == len(term) || innerPunct(r) {
				if j > start {
					out = append(out, &analysis.Token{
						Term:  term[start:j:j],
						Start: t.Start + start,
						End:   t.Start + j,
						Type:  analysis.AlphaNumeric,
					})
				}
				start = j + n
			}
			j += n
		}
	}
	if out == nil {
		return tokens
	}
	return out
}

func hasInner(b []byte) bool {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if innerPunct(r) {
			return true
		}
		i += n
	}
	return false
}

func innerPunct(r rune) bool {
	switch r {
	case '.', '_', ':', '\'', '\u2019', '\u00B7', '\u2027', '\uFE13', '\uFE52', '\uFE55', '\uFF07', '\uFF0E', '\uFF1A', '\u05F4', '\u0387':
		return true
	}
	return false
}
