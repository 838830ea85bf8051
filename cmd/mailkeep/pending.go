package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/archive"
)

// Wiring that waits for the index, message and export packages.

func (a *app) laterCommands() []*cobra.Command { return nil }

func (a *app) updateIndex(ctx context.Context, arc *archive.Archive) error { return nil }

func (a *app) indexedCount(ctx context.Context, arc *archive.Archive) int64 { return 0 }

func (a *app) exportCommand() *cobra.Command { return &cobra.Command{Use: "export", Hidden: true} }

func (a *app) detail(arc *archive.Archive, in archive.Info) any { return in }

func (a *app) printMessage(arc *archive.Archive, in archive.Info) error {
	return nil
}
