package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/fetch"
)

func (a *app) statsCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "stats",
		Short: "Count messages, locations and bytes in the archive",
		Example: `  mailkeep stats
  mailkeep stats --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			arc, err := a.openArchive(ctx, false, false)
			if err != nil {
				return err
			}
			defer arc.Close()
			st, err := arc.Stats(ctx)
			if err != nil {
				return err
			}
			indexed := a.indexedCount(ctx, arc)
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(struct {
					Messages    int64 `json:"messages"`
					Locations   int64 `json:"locations"`
					BytesRaw    int64 `json:"bytes_raw"`
					BytesStored int64 `json:"bytes_stored"`
					Indexed     int64 `json:"indexed"`
				}{st.Messages, st.Locations, st.BytesRaw, st.BytesStored, indexed})
			}
			fmt.Fprintf(a.stdout, "archive    %s\nmessages   %d\nlocations  %d\nraw bytes  %s\nstored     %s", arc.Dir(), st.Messages, st.Locations,
				fetch.HumanBytes(st.BytesRaw), fetch.HumanBytes(st.BytesStored))
			if st.BytesRaw > 0 {
				fmt.Fprintf(a.stdout, " (%.0f%%)", 100*float64(st.BytesStored)/float64(st.BytesRaw))
			}
			fmt.Fprintf(a.stdout, "\nindexed    %d\n", indexed)
			counts, err := arc.MailboxCounts(ctx)
			if err != nil {
				return err
			}
			if len(counts) > 0 {
				fmt.Fprintln(a.stdout, "\nmailboxes")
				for _, c := range counts {
					fmt.Fprintf(a.stdout, "  %-40s %7d", c.Account+"/"+c.Mailbox, c.Messages)
					if c.Gone > 0 {
						fmt.Fprintf(a.stdout, "  (+%d gone from server)", c.Gone)
					}
					fmt.Fprintln(a.stdout)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, `print {"messages":N,"locations":N,"bytes_raw":N,"bytes_stored":N,"indexed":N}`)
	return c
}
