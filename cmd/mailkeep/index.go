package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/index"
)

func (a *app) laterCommands() []*cobra.Command {
	return []*cobra.Command{a.searchCommand(), a.reindexCommand(), a.serveCommand(), a.demoCommand()}
}

// progressLine draws "what done/total" on a terminal, at most every
// 200 ms, or returns nil when stderr is not a terminal.
func (a *app) progressLine(what string) func(done, total int) {
	if !isTerminal(a.stderr) {
		return nil
	}
	var mu sync.Mutex // verify reports from several workers
	last := time.Time{}
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); done == total || now.Sub(last) > 200*time.Millisecond {
			last = now
			fmt.Fprintf(a.stderr, "\r%s %d/%d", what, done, total)
			if done == total {
				fmt.Fprintln(a.stderr)
			}
		}
	}
}

// updateIndex brings the index up to date with the archive after a write.
func (a *app) updateIndex(ctx context.Context, arc *archive.Archive) error {
	idx, err := index.Open(context.WithoutCancel(ctx), arc, index.Options{Logger: a.log, Progress: a.progressLine("indexing")})
	if err != nil {
		return err
	}
	return idx.Close()
}

// openIndex opens the index for searching. A read-only archive handle is
// enough; if the index is missing or stale and the archive is free, it is
// built first.
func (a *app) openIndex(ctx context.Context, arc *archive.Archive) (*index.Index, error) {
	idx, err := index.Open(ctx, arc, index.Options{ReadOnly: true, Logger: a.log})
	if errors.Is(err, index.ErrNotBuilt) {
		w, werr := archive.Open(ctx, arc.Dir(), archive.Options{Logger: a.log})
		if werr != nil {
			return nil, fmt.Errorf("%w, and it cannot be built now: %w", err, werr)
		}
		err = a.updateIndex(ctx, w)
		w.Close()
		if err != nil {
			return nil, err
		}
		idx, err = index.Open(ctx, arc, index.Options{ReadOnly: true, Logger: a.log})
	}
	if errors.Is(err, index.ErrBusy) {
		return nil, fmt.Errorf("%w (is \"mailkeep serve\" running? search in its web UI, or stop it)", err)
	}
	return idx, err
}

func (a *app) indexedCount(ctx context.Context, arc *archive.Archive) int64 {
	idx, err := index.Open(ctx, arc, index.Options{ReadOnly: true, Logger: a.log})
	if err != nil {
		return 0
	}
	defer idx.Close()
	n, _ := idx.DocCount()
	return int64(n)
}

func (a *app) reindexCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the search index from the archive",
		Long: `reindex deletes the search index and builds it again from the archived messages
and the catalog. The index is derived data: nothing is lost by rebuilding it.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			arc, err := a.openArchive(ctx, true, false)
			if err != nil {
				return err
			}
			defer arc.Close()
			idx, err := index.Open(ctx, arc, index.Options{Defer: true, Logger: a.log})
			if err != nil {
				return err
			}
			start := time.Now()
			n, err := idx.Rebuild(ctx, a.progressLine("reindex"))
			if cerr := idx.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "indexed %d messages in %s\n", n, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}
