package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mailkeep/mailkeep/index"
)

// Limits of a search request.
const (
	pageSize     = 25
	maxQueryLen  = 4096             // bytes, as the index's own limit
	maxPage      = 10000 / pageSize // deep pages cost the index more and help nobody
	maxAPIOffset = 100000           // /api/search offset
	maxAPILimit  = index.MaxLimit   // /api/search limit
)

// sorts are the orders a search can have, as the sort toggle shows them.
var sorts = []struct{ Value, Label string }{
	{"-date", "Newest"}, {"date", "Oldest"}, {"relevance", "Relevance"},
}

func validSort(s string) bool {
	for _, o := range sorts {
		if o.Value == s {
			return true
		}
	}
	return false
}

// searchPage is the search view's data.
type searchPage struct {
	page
	Total       int
	Took        string
	Hits        []hitView
	First, Last int // 1-based range of the hits shown
	PageNo      int
	Pages       []pageLink
	Prev, Next  string
	Sorts       []link
	Years       []facetLink
	Mailboxes   []facetLink
	Senders     []facetLink
	Empty       bool // no query: recent mail and tips
	Syntax      *syntaxView
	TooLong     bool
	Suggestions []link
}

type hitView struct {
	index.Hit
	URL   string
	Chips []link // the mailboxes, as links that narrow the search to one
}

type link struct {
	Label  string
	URL    string
	Active bool
}

type pageLink struct {
	N      int
	URL    string
	Active bool
	Gap    bool // "…" between the numbers
}

type facetLink struct {
	Label  string
	Count  int
	URL    string
	Active bool // the filter is in the query already; the link removes it
}

// syntaxView shows a query with the column of its syntax error marked.
type syntaxView struct {
	Msg               string
	Pos               int
	Before, At, After string
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	sort := r.URL.Query().Get("sort")
	if !validSort(sort) {
		sort = "-date"
	}
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pageNo = min(max(pageNo, 1), maxPage)
	data := &searchPage{page: page{Title: "Search", Nav: "search", Query: q, Sort: sort}, PageNo: pageNo, Empty: q == ""}
	if q != "" {
		data.Title = q + " – Search"
	}
	for _, o := range sorts {
		data.Sorts = append(data.Sorts, link{Label: o.Label, URL: searchURL(q, 1, o.Value), Active: o.Value == sort})
	}
	if len(q) > maxQueryLen {
		data.TooLong = true
		s.render(w, r, http.StatusBadRequest, "search", data)
		return
	}
	req := index.Request{Query: q, Limit: pageSize, Offset: (pageNo - 1) * pageSize, Sort: sort, Facets: true}
	if q == "" {
		// The landing page: recent mail and tips. Facets over the whole
		// archive would double its time (about 200 ms more at 100,000
		// messages), so they come with the first query.
		req.Limit, req.Offset, req.Facets = 15, 0, false
	}
	res, err := s.idx.Search(r.Context(), req)
	var se *index.SyntaxError
	switch {
	case errors.As(err, &se):
		data.Syntax = newSyntaxView(q, se)
		s.render(w, r, http.StatusBadRequest, "search", data)
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	data.Total = res.Total
	data.Took = formatTook(res.Took)
	for _, h := range res.Hits {
		hv := hitView{Hit: h, URL: messageURL(h.ID, q, pageNo, sort)}
		for _, m := range h.Mailboxes {
			l := link{Label: m}
			if f := fieldFilter("in", m); f != "" {
				l.URL = refineURL(q, f, sort)
			}
			hv.Chips = append(hv.Chips, l)
		}
		data.Hits = append(data.Hits, hv)
	}
	if len(res.Hits) > 0 {
		data.First = req.Offset + 1
		data.Last = req.Offset + len(res.Hits)
	}
	if q != "" {
		s.paginate(data, q, sort, res.Total)
	}
	if res.Facets != nil {
		data.Years, data.Mailboxes, data.Senders = facetLinks(q, sort, res.Facets)
	}
	if q != "" && res.Total == 0 {
		data.Suggestions = suggestions(q, sort)
	}
	s.render(w, r, http.StatusOK, "search", data)
}

// messageURL links a hit, carrying the search so that the message page
// can lead back to it.
func messageURL(id, q string, pageNo int, sort string) string {
	u := "/message/" + id
	if back := searchURL(q, pageNo, sort); back != "/" {
		u += strings.TrimPrefix(back, "/")
	}
	return u
}

func formatTook(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "< 1 ms"
	case d < 10*time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return d.Round(100 * time.Millisecond).String()
}

func (s *Server) paginate(data *searchPage, q, sort string, total int) {
	pages := min((total+pageSize-1)/pageSize, maxPage)
	if pages <= 1 {
		return
	}
	p := data.PageNo
	if p > 1 {
		data.Prev = searchURL(q, p-1, sort)
	}
	if p < pages {
		data.Next = searchURL(q, p+1, sort)
	}
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < p-2 || n > p+2) {
			continue
		}
		if last != 0 && n > last+1 {
			data.Pages = append(data.Pages, pageLink{Gap: true})
		}
		data.Pages = append(data.Pages, pageLink{N: n, URL: searchURL(q, n, sort), Active: n == p})
		last = n
	}
}

// facetLinks turns facet counts into links that add their filter to the
// query, or take it out again when it is there already.
func facetLinks(q, sort string, f *index.Facets) (years, mailboxes, senders []facetLink) {
	mk := func(label, filter string, n int) facetLink {
		fl := facetLink{Label: label, Count: n}
		if filter == "" {
			return fl
		}
		if without, ok := removeFilter(q, filter); ok {
			fl.Active, fl.URL = true, searchURL(without, 1, sort)
		} else {
			fl.URL = refineURL(q, filter, sort)
		}
		return fl
	}
	for _, y := range f.Years {
		filter := ""
		if n, err := strconv.Atoi(y.Value); err == nil {
			filter = "after:" + y.Value + "-01-01 before:" + strconv.Itoa(n+1) + "-01-01"
		}
		years = append(years, mk(y.Value, filter, y.Count))
	}
	for _, m := range f.Mailboxes {
		mailboxes = append(mailboxes, mk(m.Value, fieldFilter("in", m.Value), m.Count))
	}
	for _, m := range f.Senders {
		senders = append(senders, mk(m.Value, fieldFilter("from", m.Value), m.Count))
	}
	return years, mailboxes, senders
}

// fieldFilter writes field:"value" in the search language, or "" when the
// value cannot be written (a phrase cannot hold a quote).
func fieldFilter(field, v string) string {
	if v == "" || strings.ContainsFunc(v, unicode.IsControl) {
		return ""
	}
	if strings.Contains(v, `"`) {
		if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || r == '(' || r == ')' }) {
			return ""
		}
		return field + ":" + v
	}
	return field + `:"` + v + `"`
}

// removeFilter returns q without filter when q contains it as whole words.
func removeFilter(q, filter string) (string, bool) {
	for i := 0; ; {
		j := strings.Index(q[i:], filter)
		if j < 0 {
			return q, false
		}
		j += i
		end := j + len(filter)
		if (j == 0 || q[j-1] == ' ') && (end == len(q) || q[end] == ' ') {
			return strings.Join(strings.Fields(q[:j]+" "+q[end:]), " "), true
		}
		i = j + 1
	}
}

// queryTokens splits a query at spaces outside quotes.
func queryTokens(q string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range q {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case unicode.IsSpace(r) && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// suggestions for a search that found nothing: the query without each of
// its filters, and any of its words instead of all.
func suggestions(q, sort string) []link {
	if strings.ContainsAny(q, "()") {
		return nil
	}
	toks := queryTokens(q)
	var out []link
	var words []string
	for i, t := range toks {
		if name, _, ok := strings.Cut(t, ":"); ok && name != "" && !strings.HasPrefix(name, `"`) && len(toks) > 1 {
			rest := append(append([]string{}, toks[:i]...), toks[i+1:]...)
			out = append(out, link{Label: "without " + t, URL: searchURL(strings.Join(rest, " "), 1, sort)})
			continue
		}
		if t != "OR" && t != "AND" && !strings.HasPrefix(t, "-") {
			words = append(words, t)
		}
	}
	if len(words) > 1 && !strings.Contains(q, " OR ") {
		any := strings.Join(words, " OR ")
		out = append(out, link{Label: any, URL: searchURL(any, 1, sort)})
	}
	return out
}

func newSyntaxView(q string, se *index.SyntaxError) *syntaxView {
	v := &syntaxView{Msg: se.Msg, Pos: se.Pos}
	runes := []rune(q)
	i := min(max(se.Pos-1, 0), len(runes))
	v.Before = string(runes[:i])
	if i < len(runes) {
		v.At, v.After = string(runes[i]), string(runes[i+1:])
	} else {
		v.At = " "
	}
	return v
}

// handleAPISearch serves index.Result as JSON, as "mailkeep search --json"
// prints it.
func (s *Server) handleAPISearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	req := index.Request{Query: v.Get("q"), Limit: index.DefaultLimit, Sort: "-date", Facets: v.Get("facets") == "1"}
	bad := func(msg string) { s.showError(w, r, http.StatusBadRequest, "Bad request", msg) }
	if len(req.Query) > maxQueryLen || !utf8.ValidString(req.Query) {
		bad("q: at most " + strconv.Itoa(maxQueryLen) + " bytes of UTF-8")
		return
	}
	if x := v.Get("limit"); x != "" {
		n, err := strconv.Atoi(x)
		if err != nil || n < 1 || n > maxAPILimit {
			bad("limit: want a number from 1 to " + strconv.Itoa(maxAPILimit))
			return
		}
		req.Limit = n
	}
	if x := v.Get("offset"); x != "" {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > maxAPIOffset {
			bad("offset: want a number from 0 to " + strconv.Itoa(maxAPIOffset))
			return
		}
		req.Offset = n
	}
	if x := v.Get("sort"); x != "" {
		if !validSort(x) {
			bad("sort: want date, -date or relevance")
			return
		}
		req.Sort = x
	}
	res, err := s.idx.Search(r.Context(), req)
	var se *index.SyntaxError
	switch {
	case errors.As(err, &se):
		s.writeJSON(w, r, http.StatusBadRequest, apiError{Error: se.Error(), Position: se.Pos, RequestID: requestID(r)})
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}
