package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/index"
)

func (a *app) searchCommand() *cobra.Command {
	var asJSON bool
	var limit, offset int
	var sort string
	c := &cobra.Command{
		Use:   "search [--json] [--limit N] [--offset N] [--sort date|-date|relevance] QUERY",
		Short: "Search the archive",
		Long: `search finds messages with mailkeep's search language: words and "phrases",
word* for words that begin so (two letters at least), * for every message,
-word to exclude, OR, parentheses, and the fields from: to: cc: subject: body:
filename: in: (mailbox) account: after:YYYY-MM-DD before:YYYY-MM-DD has:attachment
is:unread is:read is:flagged id: (message id or Message-ID). Matching ignores case
and accents in every script. Newest first unless --sort says otherwise.`,
		Example: `  mailkeep search invoice after:2019-01-01
  mailkeep search 'from:alice subject:"quarterly report" -draft'
  mailkeep search --json --limit 5 'διαβασμένο OR прочетено'`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ctx := cmd.Context()
			switch sort {
			case "date", "-date", "relevance":
			default:
				return usageError{fmt.Errorf("--sort %q: want date, -date or relevance", sort)}
			}
			// The table has no snippets: making them may read and parse
			// every message shown.
			req := index.Request{Query: strings.Join(argv, " "), Limit: limit, Offset: offset, Sort: sort, NoSnippets: !asJSON}
			arc, err := a.openArchive(ctx, false, false)
			if err != nil {
				return err
			}
			defer arc.Close()
			var res *index.Result
			idx, err := a.openIndex(ctx, arc)
			if errors.Is(err, index.ErrBusy) {
				// "mailkeep serve" holds the index: ask it.
				if res, err = a.searchViaServer(ctx, arc.Dir(), req); err != nil {
					return err
				}
			} else if err != nil {
				return err
			} else {
				defer idx.Close()
				res, err = idx.Search(ctx, req)
			}
			if err != nil {
				var se *index.SyntaxError
				if errorsAs(err, &se) {
					return usageError{err}
				}
				return err
			}
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(res)
			}
			return index.WriteTable(a.stdout, res, offset)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, `print {"total":N,"hits":[{"id","date","from","subject","mailboxes","snippet"}]}`)
	c.Flags().IntVar(&limit, "limit", index.DefaultLimit, "hits to show (at most 1000)")
	c.Flags().IntVar(&offset, "offset", 0, "hits to skip")
	c.Flags().StringVar(&sort, "sort", "-date", "date (oldest first), -date (newest first) or relevance")
	return c
}

// searchViaServer runs a search through the /api/search of the "mailkeep
// serve" that holds the index.
func (a *app) searchViaServer(ctx context.Context, dir string, req index.Request) (*index.Result, error) {
	q := url.Values{"q": {req.Query}, "limit": {strconv.Itoa(req.Limit)}, "offset": {strconv.Itoa(req.Offset)}, "sort": {req.Sort}}
	resp, err := a.askServer(ctx, dir, http.MethodGet, "/api/search?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("%w, and asking it failed: %w", index.ErrBusy, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("search via mailkeep serve: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, usageError{errors.New(e.Error)}
		}
		return nil, fmt.Errorf("search via mailkeep serve: %s", resp.Status)
	}
	var res index.Result
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("search via mailkeep serve: %w", err)
	}
	return &res, nil
}
