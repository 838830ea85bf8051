package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/export"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/index"
)

func (a *app) exportCommand() *cobra.Command {
	var format, out string
	c := &cobra.Command{
		Use:   "export --format mbox|maildir --out PATH [QUERY]",
		Short: "Write archived messages to an mbox file or a Maildir",
		Long: `export writes every archived message, or those a search QUERY finds, byte for byte
as archived: an mbox file (mboxrd quoting, CRLF kept) or a Maildir++ tree (each
message in the mailbox and with the flags of its first location). Importing an
export gives the same ids.`,
		Example: `  mailkeep export --format mbox --out all.mbox
  mailkeep export --format maildir --out ~/Maildir-2019 'after:2019-01-01 before:2020-01-01'`,
		RunE: func(cmd *cobra.Command, argv []string) error {
			ctx := cmd.Context()
			if out == "" {
				return usageError{fmt.Errorf("--out is required")}
			}
			if format != string(export.Mbox) && format != string(export.Maildir) {
				return usageError{fmt.Errorf("--format %q: want mbox or maildir", format)}
			}
			arc, err := a.openArchive(ctx, false, false)
			if err != nil {
				return err
			}
			defer arc.Close()
			var ids []archive.ID
			if q := strings.Join(argv, " "); q != "" {
				idx, err := a.openIndex(ctx, arc)
				if err != nil {
					return err
				}
				for off := 0; ; off += index.MaxLimit {
					res, err := idx.Search(ctx, index.Request{Query: q, Limit: index.MaxLimit, Offset: off, Sort: "date", NoSnippets: true})
					if err != nil {
						idx.Close()
						return err
					}
					for _, h := range res.Hits {
						id, err := archive.ParseID(h.ID)
						if err == nil {
							ids = append(ids, id)
						}
					}
					if len(res.Hits) < index.MaxLimit {
						break
					}
				}
				idx.Close()
			} else if ids, err = export.All(ctx, arc); err != nil {
				return err
			}
			res, err := export.Write(ctx, arc, ids, export.Format(format), out, a.progressLine("export"))
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "exported %d messages (%s) to %s\n", res.Messages, fetch.HumanBytes(res.Bytes), out)
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "", "mbox or maildir")
	c.Flags().StringVar(&out, "out", "", "the mbox file or Maildir directory to write")
	return c
}
