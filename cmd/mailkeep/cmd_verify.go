package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/fetch"
)

func (a *app) verifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Re-hash every object and cross-check the catalog; exit 1 on any damage",
		Long: `verify decompresses and re-hashes every stored message on all cores, checks that
every catalog row has its object and every object its catalog row, and names each
damaged message. Objects left by a crash before their catalog row was written are
intact and get recorded ("adopted"). Exit status 1 when anything is damaged or missing.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			arc, err := a.openArchive(ctx, true, false)
			if err != nil {
				return err
			}
			defer arc.Close()
			progress := a.progressLine("verify")
			rep, err := arc.Verify(ctx, runtime.NumCPU(), progress)
			if err != nil {
				return err
			}
			for _, id := range rep.Damaged {
				fmt.Fprintf(a.stdout, "DAMAGED %s: its bytes no longer match its id; restore objects/%s/%s/%s from a backup\n", id, id.String()[:2], id.String()[2:4], id)
			}
			for _, id := range rep.Missing {
				fmt.Fprintf(a.stdout, "MISSING %s: in the catalog but its object file is gone\n", id)
			}
			for _, p := range rep.Stray {
				fmt.Fprintf(a.stdout, "STRAY %s: not a mailkeep object\n", p)
			}
			for _, id := range rep.Adopted {
				fmt.Fprintf(a.stdout, "adopted %s: intact object without a catalog row (left by an interrupted run), now recorded\n", id)
			}
			if rep.TempRemoved > 0 {
				fmt.Fprintf(a.stdout, "removed %d temporary object files left by an interrupted run\n", rep.TempRemoved)
			}
			fmt.Fprintf(a.stdout, "verified %d objects (%s): %d damaged, %d missing, %d stray, %d adopted\n",
				rep.Objects, fetch.HumanBytes(rep.Bytes), len(rep.Damaged), len(rep.Missing), len(rep.Stray), len(rep.Adopted))
			if !rep.OK() {
				return errFailed
			}
			return nil
		},
	}
}
