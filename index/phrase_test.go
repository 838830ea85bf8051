package index

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/message"
)

// TestPhraseSearcher compares the unscored phrase searcher with Bleve's
// PhraseQuery, message for message, over an index of several segments
// with deleted documents: phrases taken from the messages themselves (two
// to four words, some of them repeated words), phrases that do not occur,
// phrases in multi-valued fields, and each of them alone, inside a
// conjunction (which advances it) and negated.
func TestPhraseSearcher(t *testing.T) {
	a, _ := genArchive(t, t.TempDir(), 500, "")
	defer a.Close()
	x := openTestIndex(t, a, Options{BatchSize: 40})
	reflagEvery(t, a, x, 5)

	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	type phrase struct {
		field string
		terms []string
	}
	var phrases []phrase
	seen := map[string]bool{}
	add := func(field string, terms []string) {
		k := field + "\x00" + joinTerms(terms)
		if len(terms) > 1 && !seen[k] {
			seen[k] = true
			phrases = append(phrases, phrase{field, slices.Clone(terms)})
		}
	}
	words := func(s string) []string {
		var out []string
		for _, tok := range x.an.Analyze([]byte(s)) {
			out = append(out, string(tok.Term))
		}
		return out
	}
	n := 0
	err := a.Each(ctx, func(in archive.Info) error {
		if n++; n%25 != 0 {
			return nil
		}
		rc, err := a.Open(in.ID)
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		m := message.Parse(bytes.NewReader(raw))
		body := words(m.Text)
		for range 4 {
			if len(body) < 5 {
				break
			}
			i, k := r.IntN(len(body)-4), 2+r.IntN(3)
			add(fBody, body[i:i+k])
			// The same words in another order: rarely a phrase.
			add(fBody, []string{body[i+1], body[i]})
		}
		if len(body) > 0 {
			add(fBody, []string{body[0], body[0]})
		}
		add(fSubject, words(m.Subject))
		for _, l := range [][]message.Address{m.From, m.To} {
			for _, ad := range l {
				add(fFrom, words(ad.Name+" "+ad.Addr))
				add(fTo, words(ad.Name+" "+ad.Addr))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	add(fBody, []string{"nosuchword", "anywhere"})
	if len(phrases) < 60 {
		t.Fatalf("only %d phrases to test", len(phrases))
	}

	// search runs q, scored by Bleve's default or not at all, and returns
	// the messages found, sorted.
	search := func(q query.Query, score string) []string {
		t.Helper()
		sr := bleve.NewSearchRequestOptions(q, 10000, 0, false)
		sr.Score = score
		res, err := x.bi.SearchInContext(ctx, sr)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		slices.Sort(out)
		return out
	}
	ids := func(q query.Query) []string { return search(q, "none") }
	scored := func(p phrase) query.Query {
		// Bleve's own searcher: a scored search of the phrase alone
		// (the default score) gives the messages it matches.
		return query.NewPhraseQuery(p.terms, p.field)
	}
	inbox := termQ(fMailbox, "inbox")
	matched := 0
	for _, p := range phrases {
		want := search(scored(p), "")
		if len(want) > 0 {
			matched++
		}
		ours := newPhraseQuery(p.terms, p.field)
		if got := ids(ours); !slices.Equal(got, want) {
			t.Errorf("%s:%q: %d messages, Bleve's PhraseQuery %d", p.field, p.terms, len(got), len(want))
			continue
		}
		// In a conjunction the phrase is advanced to the other's matches.
		wantIn := ids(query.NewConjunctionQuery([]query.Query{inbox, scored(p)}))
		if got := ids(query.NewConjunctionQuery([]query.Query{inbox, ours})); !slices.Equal(got, wantIn) {
			t.Errorf("in:inbox %s:%q: %d messages, want %d", p.field, p.terms, len(got), len(wantIn))
		}
		wantNot := ids(query.NewBooleanQuery([]query.Query{query.NewMatchAllQuery()}, nil, []query.Query{scored(p)}))
		if got := ids(query.NewBooleanQuery([]query.Query{query.NewMatchAllQuery()}, nil, []query.Query{ours})); !slices.Equal(got, wantNot) {
			t.Errorf("-%s:%q: %d messages, want %d", p.field, p.terms, len(got), len(wantNot))
		}
	}
	if matched < len(phrases)/3 {
		t.Errorf("only %d of %d phrases match anything: the test proves little", matched, len(phrases))
	}
	t.Logf("%d phrases, %d of them found", len(phrases), matched)
}

func joinTerms(terms []string) string {
	out := ""
	for _, t := range terms {
		out += t + "\x00"
	}
	return out
}
