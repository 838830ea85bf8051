package index

import (
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	bindex "github.com/blevesearch/bleve_index_api"
)

// TestTokenFrequencies: tokenFrequencies gives what Bleve's own
// analysis.TokenFrequency gives, for every indexing option used.
func TestTokenFrequencies(t *testing.T) {
	an := newTextAnalyzer(true)
	texts := []string{
		"",
		"one",
		"the cat and the hat and the bat",
		strings.Repeat("Quarterly report, quarterly REPORT; διαβασμένο ΔΙΑΒΑΣΜΕΝΟ 東京都に行きました alice.smith@example.com ", 50),
	}
	for _, text := range texts {
		for _, opts := range []bindex.FieldIndexingOptions{optText, optText | optStored, optKeyword, bindex.IndexField | bindex.IncludeTermVectors | bindex.SkipFreqNorm} {
			for _, pos := range [][]uint64{nil, {3}} {
				tokens := an.Analyze([]byte(text))
				want := analysis.TokenFrequency(tokens, pos, opts)
				got := tokenFrequencies(tokens, pos, opts)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("tokenFrequencies(%.30q, %v, %v) differs from Bleve's:\n got %v\nwant %v", text, opts, pos, got, want)
				}
			}
		}
	}
}

// TestTextField: a stored field keeps its value as given (the analyzer
// folds ASCII in place) and reports its analysis.
func TestTextField(t *testing.T) {
	f := newTextField(fSubject, nil, []byte("Quarterly Report"), optText|optStored, newTextAnalyzer(true))
	f.Analyze()
	if string(f.Value()) != "Quarterly Report" {
		t.Errorf("stored value = %q", f.Value())
	}
	if f.AnalyzedLength() != 2 || f.AnalyzedTokenFrequencies()["quarterly"] == nil {
		t.Errorf("analysis: length %d, frequencies %v", f.AnalyzedLength(), f.AnalyzedTokenFrequencies())
	}
}
