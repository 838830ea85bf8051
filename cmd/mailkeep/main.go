// Command mailkeep archives mail from IMAP and POP3 accounts (or Maildir and
// mbox files) into a content-addressed archive on the local disk, indexes it,
// and searches it from the command line and a local web UI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, lookupEnv: os.LookupEnv})
	stop()
	os.Exit(code)
}
