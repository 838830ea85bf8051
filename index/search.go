package index

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bindex "github.com/blevesearch/bleve_index_api"
	"golang.org/x/sync/errgroup"

	"github.com/mailkeep/mailkeep/archive"
)

// Limits of a Request.
const (
	DefaultLimit = 20
	MaxLimit     = 1000
)

// Request is one search.
type Request struct {
	Query  string // the search language (see Parse); "" is everything
	Limit  int    // hits to return: default DefaultLimit, at most MaxLimit
	Offset int    // hits to skip
	// Sort is "-date" (newest first, the default), "date" (oldest first)
	// or "relevance".
	Sort   string
	Facets bool // count hits per year, mailbox and sender
	// NoSnippets leaves Hit.Snippet and Hit.Highlights empty: a snippet may
	// read and parse the message from the archive, which a caller that
	// does not show it (the CLI's table, export) need not pay for.
	NoSnippets bool
}

// Result is a page of hits. Its JSON is what `search --json` prints and
// /api/search serves (DESIGN.md).
type Result struct {
	Total  int           `json:"total"`
	Hits   []Hit         `json:"hits"`
	Took   time.Duration `json:"-"`
	Facets *Facets       `json:"facets,omitempty"`
}

// Hit is one message found.
type Hit struct {
	ID            string    `json:"id"`
	Date          time.Time `json:"date"`
	From          string    `json:"from"`
	Subject       string    `json:"subject"`
	Mailboxes     []string  `json:"mailboxes"` // "account/mailbox"
	HasAttachment bool      `json:"has_attachment,omitempty"`
	// Snippet is plain text from the message around the first word that
	// matched (or its beginning), at most about 200 characters, on one
	// line. Highlights are the byte ranges [start, end) in Snippet of the
	// words that matched, in order and not overlapping: escape the text
	// and mark those ranges.
	Snippet    string   `json:"snippet"`
	Highlights [][2]int `json:"highlights,omitempty"`
}

// Facets count the hits of a search (all of them, not just the page).
type Facets struct {
	Years     []FacetCount `json:"years"`     // newest year first
	Mailboxes []FacetCount `json:"mailboxes"` // most hits first
	Senders   []FacetCount `json:"senders"`   // most hits first
}

// FacetCount is one value of a facet.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Search runs a query. A query the parser rejects gives a *SyntaxError.
func (x *Index) Search(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	node, err := Parse(req.Query, x.opts.Location)
	if err != nil {
		return nil, err
	}
	limit, offset := req.Limit, req.Offset
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	offset = max(offset, 0)

	q := x.translate(node)
	switch req.Sort {
	case "", "-date", "date", "relevance":
	default:
		return nil, fmt.Errorf("sort %q: want date, -date or relevance", req.Sort)
	}

	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bi == nil {
		return nil, errClosed
	}
	var res *bleve.SearchResult
	var fac *Facets
	if req.Sort == "relevance" {
		sr := bleve.NewSearchRequestOptions(q, limit, offset, false)
		sr.Fields = storedFields
		sr.SortByCustom(search.SortOrder{&search.SortScore{Desc: true}})
		res, err = x.bi.SearchInContext(ctx, sr)
		if err == nil && req.Facets {
			_, fac, err = x.countFacets(ctx, q, true)
		}
	} else {
		res, fac, err = x.dateSorted(ctx, q, limit, offset, req.Sort != "date", req.Facets)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &Result{Total: int(res.Total), Hits: make([]Hit, len(res.Hits)), Facets: fac}
	for i, h := range res.Hits {
		out.Hits[i] = x.hit(h)
	}
	if req.NoSnippets {
		for i := range out.Hits {
			out.Hits[i].Snippet = ""
		}
	} else {
		x.snippets(ctx, out.Hits, x.highlightTerms(node))
	}
	out.Took = time.Since(start)
	return out, nil
}

// hit makes a Hit from the stored fields.
func (x *Index) hit(h *search.DocumentMatch) Hit {
	hit := Hit{ID: h.ID, Mailboxes: []string{}}
	if s, ok := h.Fields[fDate].(string); ok {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			hit.Date = t.In(x.opts.Location)
		}
	}
	hit.Snippet, _ = h.Fields[fPreview].(string)
	hit.From, _ = h.Fields[fSender].(string)
	hit.Subject, _ = h.Fields[fSubject].(string)
	hit.HasAttachment, _ = h.Fields[fAtt].(bool)
	switch v := h.Fields[fLoc].(type) {
	case string:
		hit.Mailboxes = append(hit.Mailboxes, v)
	case []any:
		for _, m := range v {
			if s, ok := m.(string); ok {
				hit.Mailboxes = append(hit.Mailboxes, s)
			}
		}
	}
	return hit
}

// snippets fills in the hits' snippets, reading the messages from the
// archive in parallel. A message that cannot be read gets no snippet.
func (x *Index) snippets(ctx context.Context, hits []Hit, terms [][]string) {
	var body bodyWords
	if len(terms) > 0 {
		body = x.bodyWords()
		defer body.close()
	}
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	for i := range hits {
		if len(terms) == 0 {
			// The stored preview is the snippet.
			if utf8.RuneCountInString(hits[i].Snippet) > snippetLen+1 {
				hits[i].Snippet = strings.TrimRight(truncateRunes(hits[i].Snippet, snippetLen), " ") + "…"
			}
			continue
		}
		if s, hl := x.snippet(hits[i].Snippet, terms); len(hl) > 0 || !strings.HasSuffix(hits[i].Snippet, "…") || !body.mayHave(ctx, hits[i].ID, terms) {
			// A match in the preview, no match in a preview that is the
			// whole body, or none in the body at all (the words matched
			// elsewhere, in the subject say): reading the message would
			// give the same snippet.
			hits[i].Snippet, hits[i].Highlights = s, hl
			continue
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				return nil
			}
			id, err := archive.ParseID(hits[i].ID)
			if err != nil {
				return nil
			}
			m, err := x.parseObject(id, snippetHead)
			if err != nil {
				x.log.Warn("snippet: read message", "id", hits[i].ID, "err", err)
				return nil
			}
			if m == nil {
				return nil
			}
			hits[i].Snippet, hits[i].Highlights = x.snippet(m.Text, terms)
			return nil
		})
	}
	g.Wait()
}

// bodyWords answers whether a message's indexed body holds some words,
// from the index's postings: a message whose body cannot match is not read
// for its snippet.
type bodyWords struct {
	r bindex.IndexReader // nil: unknown, read every message
}

func (x *Index) bodyWords() bodyWords {
	adv, err := x.bi.Advanced()
	if err != nil {
		return bodyWords{}
	}
	r, err := adv.Reader()
	if err != nil {
		return bodyWords{}
	}
	return bodyWords{r}
}

func (b bodyWords) close() {
	if b.r != nil {
		b.r.Close()
	}
}

// mayHave reports whether the body of message id may hold every word of
// one of the groups (the highlight terms): false only when the index says
// that none does. A one-character word outside ASCII (an ideograph, which
// the index holds only inside bigrams) and the beginning of a word (word*)
// are never ruled out.
func (b bodyWords) mayHave(ctx context.Context, id string, groups [][]string) bool {
	if b.r == nil {
		return true
	}
	doc, err := b.r.InternalID(id)
	if err != nil || doc == nil {
		return true
	}
	for _, g := range groups {
		all := true
		for _, w := range g {
			if utf8.RuneCountInString(w) == 1 && w[0] >= utf8.RuneSelf || strings.HasSuffix(w, "*") {
				continue
			}
			if has, err := b.has(ctx, doc, w); err != nil {
				return true
			} else if !has {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (b bodyWords) has(ctx context.Context, doc bindex.IndexInternalID, w string) (bool, error) {
	tfr, err := b.r.TermFieldReader(ctx, []byte(w), fBody, false, false, false)
	if err != nil {
		return false, err
	}
	defer tfr.Close()
	d, err := tfr.Advance(doc, nil)
	if err != nil {
		return false, err
	}
	return d != nil && d.ID.Equals(doc), nil
}

// snippetHead is how much of a message is read for its snippet: the text
// comes first in nearly every message, attachments after it, and a match
// further on than this gets the beginning as its snippet anyway (see
// snippetMaxScn).
const snippetHead = 32 << 10

// truncateRunes returns the first n characters of s.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
