package main

import "github.com/spf13/cobra"

func (a *app) serveCommand() *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Serve the web UI and fetch on a schedule (coming with the web UI)", Hidden: true}
}

func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{Use: "demo", Short: "Run a demo with built-in mail servers (coming with serve)", Hidden: true}
}
