package index

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// bleveFacets counts facets the way Bleve does (doc values): the
// reference that countFacets must agree with.
func bleveFacets(t *testing.T, x *Index, q string) (int, *Facets) {
	t.Helper()
	node, err := Parse(q, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	sr := bleve.NewSearchRequestOptions(x.translate(node), 0, 0, false)
	sr.Facets = map[string]*bleve.FacetRequest{}
	for _, f := range facetSpecs {
		sr.Facets[f.name] = bleve.NewFacetRequest(f.field, f.size)
	}
	res, err := x.bi.SearchInContext(context.Background(), sr)
	if err != nil {
		t.Fatal(err)
	}
	list := func(name string) []FacetCount {
		out := []FacetCount{}
		if r := res.Facets[name]; r != nil && r.Terms != nil {
			for _, t := range r.Terms.Terms() {
				out = append(out, FacetCount{Value: t.Term, Count: t.Count})
			}
		}
		return out
	}
	f := &Facets{Years: list("years"), Mailboxes: list("mailboxes"), Senders: list("senders")}
	sort.Slice(f.Years, func(i, j int) bool { return f.Years[i].Value > f.Years[j].Value })
	return int(res.Total), f
}

// TestFacetsFromPostings compares the facets counted from postings with
// Bleve's own, over an index of several segments in which re-indexed
// messages left deleted documents behind; and the totals without facets,
// which a one-word query takes from its postings lists' sizes.
func TestFacetsFromPostings(t *testing.T) {
	a, _ := genArchive(t, t.TempDir(), 600, "")
	defer a.Close()
	x := openTestIndex(t, a, Options{BatchSize: 40})
	reflagEvery(t, a, x, 7)
	for _, q := range []string{"", "meeting", "is:flagged", `"quarterly report"`, "from:alice@example.com", "after:2015-01-01 before:2016-01-01", "zymurgy", "nosuchwordanywhere",
		"meeting report", "meeting OR zymurgy", "subject:meeting body:meeting", `"quarterly report" meeting`, "meeting -report", "meet*", "meeting nosuchwordanywhere"} {
		wantTotal, want := bleveFacets(t, x, q)
		r := find(t, x, Request{Query: q, Facets: true})
		if r.Total != wantTotal || !reflect.DeepEqual(r.Facets, want) {
			t.Errorf("Search(%q): total %d, facets %+v\nwant total %d, facets %+v", q, r.Total, r.Facets, wantTotal, want)
		}
		if rn := find(t, x, Request{Query: q}); rn.Total != wantTotal {
			t.Errorf("Search(%q) without facets: total %d, want %d", q, rn.Total, wantTotal)
		}
		rr := find(t, x, Request{Query: q, Facets: true, Sort: "relevance"})
		if rr.Total != wantTotal || !reflect.DeepEqual(rr.Facets, want) {
			t.Errorf("Search(%q, relevance): total %d, facets differ", q, rr.Total)
		}
		if q == "meeting" && (len(want.Years) < 2 || len(want.Senders) < 2) {
			t.Errorf("Search(meeting) facets too small to prove anything: %+v", want)
		}
	}
}
