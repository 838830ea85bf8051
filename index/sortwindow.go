package index

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Sorting by date, the default, is Bleve's cost per matching document:
// every match's date is read from the doc values. For a common word in
// 100,000 messages that is tens of milliseconds, for a page of 20. So a
// search that matches many messages is run in two steps:
//
//  1. count the matches, without sorting or scoring (cheap: postings only;
//     words and their ANDs and ORs are counted from the postings' bitmaps,
//     while a phrase, whose count reads positions, is counted beside step
//     2, which sizes its window by the documents that have all its words);
//  2. sort only the matches within a window of whole months at the newest (oldest) end
//     that should hold the page a few times over, judged from the number of
//     messages per month (the dictionary of the month field, read in
//     microseconds) and the share of messages that match; widen the window
//     and try again when it held too few.
//
// The result is exact: a window is only used when it holds the whole page.

// directSortMax is how many matches are sorted in one step.
var directSortMax = 2000 // a variable for tests

func (x *Index) dateSorted(ctx context.Context, q query.Query, limit, offset int, desc bool, withFacets bool) (*bleve.SearchResult, *Facets, error) {
	order := search.SortOrder{&search.SortField{Field: fTS, Type: search.SortFieldAsString, Desc: desc, Missing: search.SortFieldMissingLast}}
	run := func(q query.Query, size, from int) (*bleve.SearchResult, error) {
		sr := bleve.NewSearchRequestOptions(q, size, from, false)
		sr.Score = "none"
		sr.Fields = storedFields
		sr.SortByCustom(order)
		return x.bi.SearchInContext(ctx, sr)
	}
	need := limit + offset
	// total is the number of matches; until count returns it, an upper
	// bound of it (see below) sizes the window.
	var total int
	var fac *Facets
	var count func() (int, error)
	if _, all := q.(*query.MatchAllQuery); all && !withFacets {
		n, err := x.bi.DocCount()
		if err != nil {
			return nil, nil, err
		}
		total = int(n)
	} else if n, exact, ok := x.bound(q); ok && !withFacets {
		switch {
		case exact:
			total = n
		case n <= directSortMax || n <= 2*need:
			// Few enough to sort them all: the search counts them.
			res, err := run(q, limit, offset)
			if err != nil {
				return nil, nil, err
			}
			return res, nil, nil
		default:
			// A phrase, bounded by the documents that have its words:
			// its exact count, which reads their positions, runs beside
			// the search. It ends before dateSorted returns, which its
			// caller's lock on the index requires.
			total = n
			var wg sync.WaitGroup
			var counted int
			var cerr error
			wg.Go(func() { counted, _, cerr = x.countFacets(ctx, q, false) })
			defer wg.Wait()
			count = func() (int, error) { wg.Wait(); return counted, cerr }
		}
	} else {
		var err error
		if total, fac, err = x.countFacets(ctx, q, withFacets); err != nil {
			return nil, nil, err
		}
	}
	done := func(res *bleve.SearchResult, err error) (*bleve.SearchResult, *Facets, error) {
		if count != nil {
			n, cerr := count()
			err = errors.Join(err, cerr)
			total = n
		}
		if err != nil {
			return nil, nil, err
		}
		res.Total = uint64(total)
		return res, fac, nil
	}
	if total <= directSortMax || total <= 2*need {
		return done(run(q, limit, offset))
	}
	months, all, err := x.monthCounts()
	if err != nil || all == 0 {
		return nil, nil, err
	}
	// Messages the window should span for about 3×need matches.
	want := 3 * float64(need) * float64(all) / float64(total)
	for want < float64(all) {
		cut, ok := windowStart(months, int(want)+need, desc)
		if !ok {
			break
		}
		// The window as a disjunction of its months (month field): a few
		// terms with many documents each, where a range of sort keys or
		// dates would be many terms.
		var terms []query.Query
		for _, m := range months {
			if desc == !m.month.Before(cut) {
				terms = append(terms, termQ(fMonth, m.month.Format("2006-01")))
			}
		}
		rq := query.NewDisjunctionQuery(terms)
		var wq query.Query = rq
		if _, all := q.(*query.MatchAllQuery); !all {
			wq = query.NewConjunctionQuery([]query.Query{q, rq})
		}
		res, err := run(wq, limit, offset)
		if err != nil {
			return nil, nil, err
		}
		if int(res.Total) >= need {
			return done(res, nil)
		}
		want *= 4
	}
	return done(run(q, limit, offset))
}

// monthCount is how many messages one month has.
type monthCount struct {
	month time.Time
	n     int
}

// monthCounts reads the month field's dictionary: messages per month,
// oldest first, and their sum.
func (x *Index) monthCounts() ([]monthCount, int, error) {
	d, err := x.bi.FieldDict(fMonth)
	if err != nil {
		return nil, 0, err
	}
	defer d.Close()
	var out []monthCount
	all := 0
	for {
		e, err := d.Next()
		if err != nil {
			return nil, 0, err
		}
		if e == nil {
			break
		}
		t, err := time.Parse("2006-01", e.Term)
		if err != nil {
			continue
		}
		out = append(out, monthCount{t, int(e.Count)})
		all += int(e.Count)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].month.Before(out[j].month) })
	return out, all, nil
}

// windowStart returns the start (desc: the first day of the oldest month
// needed; asc: the first day after the newest) of the fewest whole months
// at the newest (oldest) end holding at least n messages. ok is false when
// that is every month.
func windowStart(months []monthCount, n int, desc bool) (time.Time, bool) {
	acc := 0
	for i := range months {
		j := i
		if desc {
			j = len(months) - 1 - i
		}
		acc += months[j].n
		if acc >= n {
			if i == len(months)-1 {
				return time.Time{}, false
			}
			if desc {
				return months[j].month, true
			}
			return months[j].month.AddDate(0, 1, 0), true
		}
	}
	return time.Time{}, false
}
