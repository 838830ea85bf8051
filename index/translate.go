package index

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// translate turns a parsed query into a Bleve query. The empty query (nil)
// matches everything. Words with nothing to search for (punctuation and
// symbols like "&" or "✔", which the analyzer drops) are left out, and a
// query made only of such words matches nothing.
func (x *Index) translate(n Node) query.Query {
	if n == nil {
		return query.NewMatchAllQuery()
	}
	q := x.tr(n, "")
	if q == nil {
		return query.NewMatchNoneQuery()
	}
	return q
}

// tr translates n; nil means "no condition" (a word that analyzes to
// nothing, like "&"), which AND and OR skip.
func (x *Index) tr(n Node, field string) query.Query {
	switch n := n.(type) {
	case nil:
		return nil
	case *Term:
		if n.All {
			return query.NewMatchAllQuery()
		}
		return x.term(n)
	case *Not:
		inner := x.tr(n.Node, field)
		if inner == nil {
			return nil
		}
		return query.NewBooleanQuery([]query.Query{query.NewMatchAllQuery()}, nil, []query.Query{inner})
	case *And:
		var must, not []query.Query
		for _, c := range n.Nodes {
			if neg, ok := c.(*Not); ok {
				if q := x.tr(neg.Node, field); q != nil {
					not = append(not, q)
				}
				continue
			}
			if q := x.tr(c, field); q != nil {
				must = append(must, q)
			}
		}
		switch {
		case len(must) == 0 && len(not) == 0:
			return nil
		case len(not) == 0 && len(must) == 1:
			return must[0]
		case len(not) == 0:
			return query.NewConjunctionQuery(must)
		case len(must) == 0:
			must = []query.Query{query.NewMatchAllQuery()}
		}
		return query.NewBooleanQuery(must, nil, not)
	case *Or:
		var any []query.Query
		for _, c := range n.Nodes {
			if q := x.tr(c, field); q != nil {
				any = append(any, q)
			}
		}
		switch len(any) {
		case 0:
			return nil
		case 1:
			return any[0]
		}
		return query.NewDisjunctionQuery(any)
	}
	return nil
}

func (x *Index) term(t *Term) query.Query {
	switch t.Field {
	case "":
		return x.text(defaultFields, t.Value, t.Prefix)
	case "subject", "body", "filename", "to", "cc":
		return x.text([]string{t.Field}, t.Value, t.Prefix)
	case "from":
		// A whole address is one keyword: a phrase of its parts
		// ("example", "com") would read long position lists.
		v := strings.Trim(strings.ToLower(strings.TrimSpace(t.Value)), "<>")
		if at := strings.LastIndex(v, "@"); at > 0 && at < len(v)-1 && !strings.ContainsAny(v, " \t") && !t.Prefix {
			return termQ(fFromAddr, v)
		}
		return x.text([]string{fFrom}, t.Value, t.Prefix)
	case "in":
		return termQ(fMailbox, fold(strings.TrimSpace(t.Value)))
	case "account":
		return termQ(fAccount, fold(strings.TrimSpace(t.Value)))
	case "after":
		yes := true
		q := query.NewDateRangeInclusiveQuery(clampDate(t.from), time.Time{}, &yes, nil)
		q.SetField(fDate)
		return q
	case "before":
		no := false
		q := query.NewDateRangeInclusiveQuery(time.Time{}, clampDate(t.from), nil, &no)
		q.SetField(fDate)
		return q
	case "has":
		q := query.NewBoolFieldQuery(true)
		q.SetField(fAtt)
		return q
	case "is":
		switch t.Value {
		case "read":
			return termQ(fFlag, "seen")
		case "unflagged":
			return query.NewBooleanQuery([]query.Query{query.NewMatchAllQuery()}, nil, []query.Query{termQ(fFlag, "flagged")})
		}
		return termQ(fFlag, t.Value)
	case "id":
		v := t.Value
		mid := termQ(fMsgID, v)
		if !isHex(v) || len(v) > 64 {
			return mid
		}
		v = strings.ToLower(v)
		if len(v) == 64 {
			return or(query.NewDocIDQuery([]string{v}), mid)
		}
		p := query.NewPrefixQuery(v)
		p.SetField(fID)
		return or(p, mid)
	case "larger", "smaller":
		n := float64(t.size)
		yes := true
		var q *query.NumericRangeQuery
		if t.Field == "larger" {
			q = query.NewNumericRangeInclusiveQuery(&n, nil, &yes, nil)
		} else {
			q = query.NewNumericRangeInclusiveQuery(nil, &n, nil, &yes)
		}
		q.SetField(fSize)
		return q
	}
	return nil
}

func termQ(field, v string) query.Query {
	q := query.NewTermQuery(v)
	q.SetField(field)
	return q
}

func or(qs ...query.Query) query.Query {
	return query.NewDisjunctionQuery(qs)
}

// clampDate keeps a query date within what Bleve can represent.
func clampDate(t time.Time) time.Time {
	lo := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC)
	if t.Before(lo) {
		return lo
	}
	if t.After(hi) {
		return hi
	}
	return t
}

// text matches words or a phrase in the given fields: the value is
// analyzed like the indexed text; one token is a term query, several (a
// phrase, or a word the analyzer splits such as "e-mail" or 東京都) a
// phrase query. A single ideograph, which the index holds only inside
// bigrams, is matched as the prefix of one. With prefix (word*), the last
// token is the beginning of a word: "meet" matches meeting and meets, and
// "e-mai" e-mail and e-mails, as a word e followed by a word beginning
// with mai anywhere in the field.
func (x *Index) text(fields []string, value string, prefix bool) query.Query {
	tokens := x.an.Analyze([]byte(value))
	if len(tokens) == 0 {
		return nil
	}
	terms := make([]string, len(tokens))
	for i, t := range tokens {
		terms[i] = string(t.Term)
	}
	var qs []query.Query
	for _, f := range fields {
		switch {
		case prefix:
			last := query.NewPrefixQuery(terms[len(terms)-1])
			last.SetField(f)
			if len(terms) == 1 {
				qs = append(qs, last)
				continue
			}
			and := []query.Query{last}
			for _, t := range terms[:len(terms)-1] {
				and = append(and, termQ(f, t))
			}
			qs = append(qs, query.NewConjunctionQuery(and))
		case len(terms) > 1:
			qs = append(qs, newPhraseQuery(terms, f))
		case tokens[0].Type == analysis.Single && utf8.RuneCount(tokens[0].Term) == 1:
			p := query.NewPrefixQuery(terms[0])
			p.SetField(f)
			qs = append(qs, p)
		default:
			qs = append(qs, termQ(f, terms[0]))
		}
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

// highlightTerms returns the analyzed words of the query's positive words
// for the body (without a field, or body:), for snippets.
func (x *Index) highlightTerms(n Node) [][]string {
	var out [][]string
	var walk func(n Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *Term:
			if n.Field != "" && n.Field != "body" {
				return
			}
			tokens := x.an.Analyze([]byte(n.Value))
			if len(tokens) == 0 {
				return
			}
			terms := make([]string, len(tokens))
			for i, t := range tokens {
				terms[i] = string(t.Term)
			}
			if n.Prefix {
				terms[len(terms)-1] += "*" // see newWords
			}
			out = append(out, terms)
		case *And:
			for _, c := range n.Nodes {
				walk(c)
			}
		case *Or:
			for _, c := range n.Nodes {
				walk(c)
			}
		}
	}
	walk(n)
	return out
}
