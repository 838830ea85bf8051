package index

import (
	"context"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// MaxConversation bounds what Conversation returns and how many
// Message-IDs it looks up.
const MaxConversation = 200

// Conversation returns the messages whose Message-ID is one of mids or that
// refer to one of them (References, In-Reply-To), oldest first, at most
// limit (at most MaxConversation). Hits have no snippets.
func (x *Index) Conversation(ctx context.Context, mids []string, limit int) ([]Hit, error) {
	limit = min(max(limit, 1), MaxConversation)
	var qs []query.Query
	seen := map[string]bool{}
	for _, m := range mids {
		m = strings.Trim(strings.TrimSpace(m), "<>")
		if m == "" || seen[m] || len(seen) == MaxConversation {
			continue
		}
		seen[m] = true
		qs = append(qs, termQ(fMsgID, m), termQ(fRefs, m))
	}
	if len(qs) == 0 {
		return nil, nil
	}
	sr := bleve.NewSearchRequestOptions(query.NewDisjunctionQuery(qs), limit, 0, false)
	sr.Score = "none"
	sr.Fields = storedFields
	sr.SortByCustom(search.SortOrder{&search.SortField{Field: fTS, Type: search.SortFieldAsString, Missing: search.SortFieldMissingLast}})
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bi == nil {
		return nil, errClosed
	}
	res, err := x.bi.SearchInContext(ctx, sr)
	if err != nil {
		return nil, fmt.Errorf("conversation: %w", err)
	}
	hits := make([]Hit, len(res.Hits))
	for i, h := range res.Hits {
		hits[i] = x.hit(h)
	}
	return hits, nil
}
