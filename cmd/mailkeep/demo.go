package main

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/config"
	"github.com/mailkeep/mailkeep/index"
	"github.com/mailkeep/mailkeep/internal/demo"
)

func (a *app) demoCommand() *cobra.Command {
	var listen string
	var keep bool
	c := &cobra.Command{
		Use:   "demo [--listen ADDR] [--keep]",
		Short: "Try mailkeep on sample mail: built-in IMAP and POP3 servers, fetch, index, web UI",
		Long: `demo starts an IMAP and a POP3 server inside this process, on loopback, holding a few
hundred sample messages (English, Greek, Bulgarian, Swedish and Chinese, some in legacy
charsets, with attachments, an HTML newsletter and a thread). It writes a temporary
config and archive, fetches both accounts as "mailkeep fetch" would, indexes them and
serves the web UI as "mailkeep serve" does, then prints the address and a few searches
to try. Nothing leaves the machine. Ctrl-C stops it and removes the temporary files
(unless --keep).

` + exitHelp,
		Example: `  mailkeep demo
  mailkeep demo --listen 127.0.0.1:9000`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(cmd.Context(), listen, keep)
		},
	}
	c.Flags().StringVar(&listen, "listen", config.DefaultListen, "address to serve the web UI on (port 0: any free port)")
	c.Flags().BoolVar(&keep, "keep", false, "keep the temporary config and archive when the demo stops")
	return c
}

func (a *app) demo(ctx context.Context, listen string, keep bool) (err error) {
	if err := (config.Web{}).CheckListen(listen); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "mailkeep-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		if keep {
			fmt.Fprintf(a.stdout, "mailkeep demo: kept %s; try: mailkeep --config %s search %s\n",
				dir, filepath.Join(dir, "config.toml"), demo.Examples[1].Query)
			return
		}
		err = errors.Join(err, os.RemoveAll(dir))
	}()

	srv, err := demo.Start(demo.Options{Logger: a.log})
	if err != nil {
		return err
	}
	defer srv.Close()
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, srv.Config(filepath.Join(dir, "archive")), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// The demo's own config and archive, whatever the flags and the
	// environment say: MAILKEEP_ARCHIVE_DIR must not send sample mail into
	// the user's real archive.
	a.configFlag, a.archiveFlag, a.cfg = cfgPath, "", nil
	lookup := a.lookupEnv
	a.lookupEnv = func(k string) (string, bool) {
		if strings.HasPrefix(k, "MAILKEEP_") {
			return "", false
		}
		return lookup(k)
	}
	fmt.Fprintf(a.stdout, "mailkeep demo: IMAP server on %s, POP3 server on %s, %d sample messages\n",
		srv.IMAPAddr, srv.POP3Addr, srv.Messages)
	gone := "removed when the demo stops"
	if keep {
		gone = "kept when the demo stops"
	}
	fmt.Fprintf(a.stdout, "mailkeep demo: config and archive in %s (%s); fetching…\n", dir, gone)

	return a.serve(ctx, serveOptions{
		listen:     listen,
		fetchFirst: true,
		fallback:   listen == config.DefaultListen,
		ready: func(url string, idx *index.Index) {
			fmt.Fprintf(a.stdout, "\nOpen %s in your browser. Searches to try:\n", url)
			for _, ex := range demo.Examples {
				n := "?"
				if res, err := idx.Search(ctx, index.Request{Query: ex.Query, Limit: 1}); err == nil {
					n = fmt.Sprint(res.Total)
				}
				fmt.Fprintf(a.stdout, "  %-34s %s messages: %s\n", ex.Query, n, ex.About)
			}
			fmt.Fprintf(a.stdout, "\nThe same as JSON: curl '%sapi/search?q=%s'\n", url, neturl.QueryEscape(demo.Examples[1].Query))
			fmt.Fprintln(a.stdout, "Ctrl-C stops the demo.")
		},
	})
}

// addrInUse reports whether err is "address already in use".
func addrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
