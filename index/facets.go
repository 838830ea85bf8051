package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Facets from postings. Bleve counts facets by reading each match's doc
// values, field by field: for a common word in 100,000 messages that is
// most of a search's time. Here the matches are collected once into a
// bitset of document numbers, and each facet term's postings are walked
// and tested against it: the cost follows the size of the index (a few
// nanoseconds per posting), not the matches times the fields.

// facetSpec is one facet: its name in Facets, its field, how many values
// it keeps.
type facetSpec struct {
	name  string
	field string
	size  int
}

var facetSpecs = []facetSpec{
	{"years", fYear, 100},
	{"mailboxes", fLoc, 50},
	{"senders", fFromAddr, 20},
}

// errNoDocNumbers is returned when the index does not number documents as
// scorch does (8-byte internal ids); the caller falls back to Bleve.
var errNoDocNumbers = errors.New("index: internal ids are not document numbers")

// bitset is a set of document numbers.
type bitset []uint64

func (b *bitset) add(n uint64) {
	i := int(n >> 6)
	if i >= len(*b) {
		*b = append(*b, make([]uint64, i+1-len(*b))...)
	}
	(*b)[i] |= 1 << (n & 63)
}

func (b bitset) has(n uint64) bool {
	i := int(n >> 6)
	return i < len(b) && b[i]&(1<<(n&63)) != 0
}

func docNumber(id bindex.IndexInternalID) (uint64, bool) {
	if len(id) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(id), true
}

// countFacets returns how many documents match q and, with withFacets,
// their facet counts. x.mu is held by the caller.
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
	s, err := q.Searcher(ctx, r, x.bi.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0), IndexReader: r}
	var set bitset
	total := 0
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
		if withFacets {
			n, ok := docNumber(dm.IndexInternalID)
			if !ok {
				return 0, nil, errNoDocNumbers
			}
			set.add(n)
		}
		total++
		sctx.DocumentMatchPool.Put(dm)
	}
	if !withFacets {
		return total, nil, nil
	}
	f := &Facets{}
	for _, spec := range facetSpecs {
		counts := []FacetCount{}
		if total > 0 {
			if counts, err = termCounts(ctx, r, spec.field, set); err != nil {
				return 0, nil, err
			}
		}
		switch spec.name {
		case "years":
			// Newest year first; Bleve's facet keeps the most frequent.
			counts = topCounts(counts, spec.size)
			sort.Slice(counts, func(i, j int) bool { return counts[i].Value > counts[j].Value })
			f.Years = counts
		case "mailboxes":
			f.Mailboxes = topCounts(counts, spec.size)
		case "senders":
			f.Senders = topCounts(counts, spec.size)
		}
	}
	return total, f, nil
}

// termCounts counts, for each term of field, the documents of set that
// hold it.
func termCounts(ctx context.Context, r bindex.IndexReader, field string, set bitset) ([]FacetCount, error) {
	dict, err := r.FieldDict(field)
	if err != nil {
		return nil, err
	}
	defer dict.Close()
	out := []FacetCount{}
	var tfd bindex.TermFieldDoc
	for {
		de, err := dict.Next()
		if err != nil {
			return nil, err
		}
		if de == nil {
			return out, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tfr, err := r.TermFieldReader(ctx, []byte(de.Term), field, false, false, false)
		if err != nil {
			return nil, err
		}
		n := 0
		for {
			d, err := tfr.Next(tfd.Reset())
			if err != nil {
				tfr.Close()
				return nil, err
			}
			if d == nil {
				break
			}
			if num, ok := docNumber(d.ID); !ok {
				tfr.Close()
				return nil, errNoDocNumbers
			} else if set.has(num) {
				n++
			}
		}
		tfr.Close()
		if n > 0 {
			out = append(out, FacetCount{Value: de.Term, Count: n})
		}
	}
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
