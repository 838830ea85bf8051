package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func (a *app) showCommand() *cobra.Command {
	var raw, asJSON bool
	c := &cobra.Command{
		Use:   "show [--raw|--json] ID",
		Short: "Print one message: decoded, raw bytes, or catalog facts as JSON",
		Long: `show prints a message by its id (the SHA-256 of its bytes, or a unique prefix of at
least 6 hex digits). --raw writes the archived bytes exactly, so
"mailkeep show --raw ID | sha256sum" prints ID.`,
		Example: `  mailkeep show 3f2a9c
  mailkeep show --raw 3f2a9c81... > message.eml
  mailkeep show --json 3f2a9c`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if raw && asJSON {
				return usageError{fmt.Errorf("--raw and --json exclude each other")}
			}
			ctx := cmd.Context()
			arc, err := a.openArchive(ctx, false, false)
			if err != nil {
				return err
			}
			defer arc.Close()
			id, err := arc.Resolve(ctx, argv[0])
			if err != nil {
				return err
			}
			if raw {
				r, err := arc.Open(id)
				if err != nil {
					return err
				}
				defer r.Close()
				_, err = io.Copy(a.stdout, r)
				return err
			}
			d, err := a.detail(ctx, arc, id)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			a.printMessage(d)
			return nil
		},
	}
	c.Flags().BoolVar(&raw, "raw", false, "write the archived bytes exactly")
	c.Flags().BoolVar(&asJSON, "json", false, "print catalog facts, locations and the decoded message as JSON")
	return c
}
