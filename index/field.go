package index

import (
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	bindex "github.com/blevesearch/bleve_index_api"
)

// textField is a text field analyzed as document.TextField is, into the
// same token frequencies, with less memory: Bleve sizes a field's map for
// one entry per token (a body of 1,300 words, some 400 of them distinct,
// got a map of 2,048 slots), allocates each term's entry on its own and
// grows each term's list of occurrences by appending. Every message of a
// batch holds its analysis until the batch's segment is built, so this is
// much of the heap while indexing.
type textField struct {
	*document.TextField
	an     analysis.Analyzer
	length int
	freqs  bindex.TokenFrequencies
}

func newTextField(name string, pos []uint64, value []byte, opts bindex.FieldIndexingOptions, an analysis.Analyzer) *textField {
	return &textField{TextField: document.NewTextFieldCustom(name, pos, value, opts, an), an: an}
}

// Analyze implements index.Field.
func (f *textField) Analyze() {
	in := f.Value()
	if f.Options().IsStored() {
		in = append([]byte(nil), in...) // the analyzer folds ASCII in place
	}
	tokens := f.an.Analyze(in)
	f.length = len(tokens)
	f.freqs = tokenFrequencies(tokens, f.ArrayPositions(), f.Options())
}

// AnalyzedLength implements index.Field.
func (f *textField) AnalyzedLength() int { return f.length }

// AnalyzedTokenFrequencies implements index.Field.
func (f *textField) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.freqs }

// Size implements index.Field.
func (f *textField) Size() int {
	n := f.TextField.Size()
	if f.freqs != nil {
		n += f.freqs.Size()
	}
	return n
}

// freqScratch is what tokenFrequencies learns in its first pass, kept for
// reuse: a field's distinct terms, numbered, and how often each occurs.
type freqScratch struct {
	ids    map[string]int32
	keys   []string
	terms  [][]byte
	counts []int
}

var freqScratches = sync.Pool{New: func() any { return &freqScratch{ids: map[string]int32{}} }}

// tokenFrequencies is analysis.TokenFrequency in two passes: the first
// numbers the distinct terms and counts them, the second fills one array
// of entries and one of occurrence pointers, cut into exact slices, and a
// map of the distinct terms' size.
func tokenFrequencies(tokens analysis.TokenStream, pos []uint64, opts bindex.FieldIndexingOptions) bindex.TokenFrequencies {
	s := freqScratches.Get().(*freqScratch)
	defer func() {
		clear(s.ids)
		clear(s.keys)
		clear(s.terms)
		s.keys, s.terms, s.counts = s.keys[:0], s.terms[:0], s.counts[:0]
		freqScratches.Put(s)
	}()
	for _, t := range tokens {
		id, ok := s.ids[string(t.Term)]
		if !ok {
			k := string(t.Term)
			id = int32(len(s.keys))
			s.ids[k] = id
			s.keys = append(s.keys, k)
			s.terms = append(s.terms, t.Term)
			s.counts = append(s.counts, 0)
		}
		s.counts[id]++
	}
	freqs := make([]bindex.TokenFreq, len(s.keys))
	rv := make(bindex.TokenFrequencies, len(s.keys))
	for id, k := range s.keys {
		freqs[id].Term = s.terms[id]
		if !opts.SkipFreqNorm() {
			freqs[id].SetFrequency(s.counts[id])
		}
		rv[k] = &freqs[id]
	}
	if opts.IncludeTermVectors() {
		locs := make([]bindex.TokenLocation, len(tokens))
		ptrs := make([]*bindex.TokenLocation, len(tokens))
		at := 0
		for id, n := range s.counts {
			freqs[id].Locations = ptrs[at : at : at+n]
			at += n
		}
		for i, t := range tokens {
			locs[i] = bindex.TokenLocation{ArrayPositions: pos, Start: t.Start, End: t.End, Position: t.Position}
			tf := &freqs[s.ids[string(t.Term)]]
			tf.Locations = append(tf.Locations, &locs[i])
		}
	}
	return rv
}
