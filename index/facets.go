package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/mailkeep/mailkeep/internal/zap"
)

// Facets from cached columns. Bleve counts facets by reading each match's
// doc values, field by field: for a common word in 100,000 messages that
// is most of a search's time. Here each segment's facet terms per
// document are read once from its postings into compact columns (a few
// bytes per document; segments never change), and a search adds up the
// columns of its matches: a few nanoseconds per match.

// facetSpec is one facet: its name in Facets, its field, how many values
// it keeps.
type facetSpec struct {
	name  string
	field string
	size  int
}

var facetSpecs = [numFacets]facetSpec{
	{"years", fYear, 100},
	{"mailboxes", fLoc, 50},
	{"senders", fFromAddr, 20},
}

const numFacets = 3

// errNoDocNumbers is returned when the index does not number documents as
// scorch does (8-byte internal ids); the caller falls back to Bleve.
var errNoDocNumbers = errors.New("index: internal ids are not document numbers")

func docNumber(id bindex.IndexInternalID) (uint64, bool) {
	if len(id) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(id), true
}

// countFacets returns how many documents match q, by searching, and with
// withFacets their facet counts. x.mu is held by the caller. (dateSorted
// takes a count from the postings alone, docBound, where it can.)
func (x *Index) countFacets(ctx context.Context, q query.Query, withFacets bool) (int, *Facets, error) {
	adv, err := x.bi.Advanced()
	if err != nil {
		return 0, nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return 0, nil, fmt.Errorf("open index reader: %w", err)
	}
	defer r.Close()
	var segs []*segFacets
	var offsets []uint64
	if withFacets {
		snap, ok := r.(*scorch.IndexSnapshot)
		if !ok {
			return 0, nil, errNoDocNumbers
		}
		if segs, offsets, err = x.facets.segments(snap); err != nil {
			return 0, nil, err
		}
	}
	s, err := q.Searcher(ctx, r, x.bi.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0), IndexReader: r}
	counts := make([][numFacets][]int, len(segs))
	for i, sf := range segs {
		for f := range facetSpecs {
			counts[i][f] = make([]int, len(sf.fields[f].terms))
		}
	}
	total, seg := 0, 0
	for {
		if total&1023 == 0 && ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		dm, err := s.Next(sctx)
		if err != nil {
			return 0, nil, err
		}
		if dm == nil {
			break
		}
		total++
		if withFacets {
			n, ok := docNumber(dm.IndexInternalID)
			if !ok {
				return 0, nil, errNoDocNumbers
			}
			// Matches come in document order: the segment only moves on.
			for seg+1 < len(offsets) && n >= offsets[seg+1] {
				seg++
			}
			if seg >= len(segs) || n < offsets[seg] {
				return 0, nil, errNoDocNumbers
			}
			local := n - offsets[seg]
			for f := range facetSpecs {
				col := &segs[seg].fields[f]
				if local+1 >= uint64(len(col.start)) {
					return 0, nil, errNoDocNumbers
				}
				for _, t := range col.vals[col.start[local]:col.start[local+1]] {
					counts[seg][f][t]++
				}
			}
		}
		sctx.DocumentMatchPool.Put(dm)
	}
	if !withFacets {
		return total, nil, nil
	}
	f := &Facets{}
	for k, spec := range facetSpecs {
		byTerm := map[string]int{}
		for i, sf := range segs {
			for t, n := range counts[i][k] {
				if n > 0 {
					byTerm[sf.fields[k].terms[t]] += n
				}
			}
		}
		list := make([]FacetCount, 0, len(byTerm))
		for v, n := range byTerm {
			list = append(list, FacetCount{Value: v, Count: n})
		}
		list = topCounts(list, spec.size)
		switch spec.name {
		case "years":
			// Newest year first; like Bleve's facet, the most frequent kept.
			sort.Slice(list, func(i, j int) bool { return list[i].Value > list[j].Value })
			f.Years = list
		case "mailboxes":
			f.Mailboxes = list
		case "senders":
			f.Senders = list
		}
	}
	return total, f, nil
}

// topCounts keeps the size values with the most documents (ties: by
// value), in that order, as Bleve's term facets do.
func topCounts(c []FacetCount, size int) []FacetCount {
	sort.Slice(c, func(i, j int) bool {
		if c[i].Count != c[j].Count {
			return c[i].Count > c[j].Count
		}
		return c[i].Value < c[j].Value
	})
	if len(c) > size {
		c = c[:size]
	}
	return c
}

// segFacets is, for one immutable segment, each facet field's terms and
// which of them every document holds: document d holds the terms
// vals[start[d]:start[d+1]] (indexes into terms).
type segFacets struct {
	fields [numFacets]facetColumn
}

type facetColumn struct {
	terms []string
	start []uint32
	vals  []uint32
}

// facetCache keeps the segFacets of the segments an index is made of
// (the zero value is ready).
// Segments never change once written; merging makes new ones. The cache
// holds those of the latest snapshot only.
type facetCache struct {
	mu   sync.Mutex
	segs map[segment.Segment]*segFacets
}

// segments returns the facet columns of snap's segments and their document
// number offsets (as scorch numbers documents: a segment's documents
// follow those of the segments before it, deleted ones included).
func (c *facetCache) segments(snap *scorch.IndexSnapshot) ([]*segFacets, []uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := map[segment.Segment]*segFacets{}
	// c.segs is nil until the first search: reading a nil map is fine.
	var out []*segFacets
	var offsets []uint64
	var running uint64
	for _, ss := range snap.Segments() {
		seg := ss.Segment()
		sf := c.segs[seg]
		if sf == nil {
			var err error
			if sf, err = buildSegFacets(seg); err != nil {
				return nil, nil, err
			}
		}
		live[seg] = sf
		out = append(out, sf)
		offsets = append(offsets, running)
		running += seg.Count()
	}
	c.segs = live
	return out, offsets, nil
}

// buildSegFacets reads the facet fields' postings of one segment.
func buildSegFacets(seg segment.Segment) (*segFacets, error) {
	n := seg.Count()
	sf := &segFacets{}
	for f, spec := range facetSpecs {
		dict, err := seg.Dictionary(spec.field)
		if err != nil {
			return nil, fmt.Errorf("facets of %s: %w", spec.field, err)
		}
		type pair struct{ doc, term uint32 }
		var pairs []pair
		col := &sf.fields[f]
		it := dict.AutomatonIterator(nil, nil, nil)
		for {
			de, err := it.Next()
			if err != nil {
				return nil, fmt.Errorf("facets of %s: %w", spec.field, err)
			}
			if de == nil {
				break
			}
			t := uint32(len(col.terms))
			col.terms = append(col.terms, de.Term)
			pl, err := dict.PostingsList([]byte(de.Term), nil, nil)
			if err != nil {
				return nil, fmt.Errorf("facets of %s: %w", spec.field, err)
			}
			pi := pl.Iterator(false, false, false, nil)
			for {
				p, err := pi.Next()
				if err != nil {
					return nil, fmt.Errorf("facets of %s: %w", spec.field, err)
				}
				if p == nil {
					break
				}
				if d := p.Number(); d < n {
					pairs = append(pairs, pair{uint32(d), t})
				}
			}
		}
		// Counting sort by document.
		col.start = make([]uint32, n+1)
		for _, p := range pairs {
			col.start[p.doc+1]++
		}
		for d := uint64(1); d <= n; d++ {
			col.start[d] += col.start[d-1]
		}
		col.vals = make([]uint32, len(pairs))
		next := append([]uint32(nil), col.start[:n]...)
		for _, p := range pairs {
			col.vals[next[p.doc]] = p.term
			next[p.doc]++
		}
	}
	return sf, nil
}

// docBound counts, from the postings alone, the documents q can match: a
// term's documents, the union of a disjunction's and the intersection of
// a conjunction's, and for a phrase the documents that have all its words
// in its field. Deleted documents are left out. exact says n is the count
// (q has no phrase), where searching would visit every match; otherwise
// it is an upper bound. ok is false for any other query (a prefix, a
// range, a negation) or an index not made of internal/zap segments.
func docBound(r bindex.IndexReader, q query.Query) (n int, exact, ok bool) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return 0, false, false
	}
	exact = true
	for _, ss := range snap.Segments() {
		docs, ok := segBound(ss.Segment(), q, &exact)
		if !ok {
			return 0, false, false
		}
		if del := ss.Deleted(); del != nil {
			docs.AndNot(del)
		}
		n += int(docs.GetCardinality())
	}
	return n, exact, true
}

// bound is docBound on the index as it is now.
func (x *Index) bound(q query.Query) (n int, exact, ok bool) {
	adv, err := x.bi.Advanced()
	if err != nil {
		return 0, false, false
	}
	r, err := adv.Reader()
	if err != nil {
		return 0, false, false
	}
	defer r.Close()
	return docBound(r, q)
}

// segBound is docBound's set of documents in one segment; a phrase clears
// *exact.
func segBound(seg segment.Segment, q query.Query, exact *bool) (*roaring.Bitmap, bool) {
	switch q := q.(type) {
	case *query.TermQuery:
		if q.FieldVal == "" {
			return nil, false // the mapping's default field
		}
		return postingsBitmap(seg, q.FieldVal, q.Term)
	case *phraseQuery:
		// At most the documents that have all its words.
		*exact = false
		words := make([]query.Query, len(q.terms))
		for i, t := range q.terms {
			words[i] = termQ(q.field, t)
		}
		return segBound(seg, query.NewConjunctionQuery(words), exact)
	case *query.DisjunctionQuery:
		if q.Min > 1 {
			return nil, false
		}
		or := roaring.New()
		for _, d := range q.Disjuncts {
			b, ok := segBound(seg, d, exact)
			if !ok {
				return nil, false
			}
			or.Or(b)
		}
		return or, true
	case *query.ConjunctionQuery:
		var and *roaring.Bitmap
		for _, c := range q.Conjuncts {
			b, ok := segBound(seg, c, exact)
			if !ok {
				return nil, false
			}
			if and == nil {
				and = b
			} else {
				and.And(b)
			}
		}
		return and, and != nil
	}
	return nil, false
}

// postingsBitmap returns the documents of one segment that hold term in
// field.
func postingsBitmap(seg segment.Segment, field, term string) (*roaring.Bitmap, bool) {
	d, err := seg.Dictionary(field)
	if err != nil {
		return nil, false
	}
	pl, err := d.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, false
	}
	zpl, ok := pl.(*zap.PostingsList)
	if !ok {
		return nil, false
	}
	docs := roaring.New()
	zpl.OrInto(docs)
	return docs, true
}
