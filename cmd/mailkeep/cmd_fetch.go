package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
)

func (a *app) fetchCommand() *cobra.Command {
	var account string
	c := &cobra.Command{
		Use:   "fetch [--account NAME] [--no-index]",
		Short: "Archive what is new in every account (or one), then index it",
		Long: `fetch makes one pass over the configured accounts: IMAP mailboxes are read without
changing anything on the server (EXAMINE, BODY.PEEK[]); POP3 messages are deleted only
when the account says so and only once they are durably archived. New messages are
indexed afterwards. It prints a one-line summary fit for cron mail and exits 1 if any
message or account failed (failed messages are retried by the next run).`,
		Example: `  mailkeep fetch
  mailkeep fetch --account home`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.config(false)
			if err != nil {
				return err
			}
			srcs, err := a.sources(cfg, account)
			if err != nil {
				return err
			}
			arc, err := a.openArchive(ctx, true, true)
			if archive.IsLocked(err) {
				// "mailkeep serve" may hold it: ask it to fetch instead.
				return a.fetchViaServer(ctx, err)
			}
			if err != nil {
				return err
			}
			defer arc.Close()
			return a.runSources(ctx, arc, srcs, "fetch")
		},
	}
	c.Flags().StringVar(&account, "account", "", "fetch only this account")
	c.Flags().BoolVar(&a.noIndex, "no-index", false, "do not index now (the next fetch, import, search or serve does)")
	return c
}

// runSources runs a fetch or import, prints the summary and what failed,
// and indexes what is new.
func (a *app) runSources(ctx context.Context, arc *archive.Archive, srcs []fetch.Source, kind string) error {
	var commits atomic.Int64
	opts := fetch.Options{Kind: kind, Logger: a.log, OnCommit: func(fetch.Committed) { commits.Add(1) }}
	if isTerminal(a.stderr) {
		opts.Progress = fetch.NewTerminalProgress(a.stderr, nil)
	}
	rep, err := fetch.Run(ctx, arc, srcs, opts)
	if err != nil {
		return err
	}
	for _, d := range rep.Details() {
		fmt.Fprintln(a.stderr, d)
	}
	fmt.Fprintln(a.stdout, rep.Summary())
	if t := rep.Totals(); kind == "import" && t.New == 0 && t.Seen > 0 {
		fmt.Fprintln(a.stdout, "nothing new: every message was already in the archive")
	}
	if a.noIndex || commits.Load() == 0 {
		// Nothing to index now, or indexed later: every opener of the
		// index reconciles it with the catalog.
	} else if ierr := a.updateIndex(ctx, arc); ierr != nil {
		fmt.Fprintf(a.stderr, "mailkeep: the mail is archived, but indexing failed: %v (run \"mailkeep reindex\")\n", ierr)
		return errFailed
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !rep.OK() {
		return errFailed
	}
	return nil
}
