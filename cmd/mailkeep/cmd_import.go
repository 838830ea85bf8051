package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/mailfile"
)

func (a *app) importCommand() *cobra.Command {
	var account, mailbox string
	c := &cobra.Command{
		Use:   "import maildir|mbox PATH [--account NAME] [--mailbox NAME]",
		Short: "Archive the messages of a Maildir or an mbox file",
		Long: `import stores every message of a Maildir (with Maildir++ subfolders, which become
mailboxes, and flags from the ":2,FRS" suffix) or an mbox file (mboxrd, mboxo,
Thunderbird, Google Takeout with X-Gmail-Labels as mailboxes). Bytes are stored as an
IMAP server would serve them: every LF not preceded by CR becomes CRLF, nothing else
changes, so a message imported and later fetched over IMAP is stored once.
Importing the same files again adds nothing.`,
		Example: `  mailkeep import maildir ~/Maildir
  mailkeep import mbox ~/Takeout/Mail/All\ mail.mbox --account gmail
  mailkeep import mbox old.mbox --mailbox "Old/2009"`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ctx := cmd.Context()
			kind, path := argv[0], argv[1]
			var r fetch.MessageReader
			var err error
			switch kind {
			case "maildir":
				r, err = mailfile.OpenMaildir(path)
			case "mbox":
				mb := mailbox
				if mb == "" {
					mb = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
				}
				r, err = mailfile.OpenMbox(path, mb, mailfile.MboxOptions{})
			default:
				return usageError{fmt.Errorf("import %q: want maildir or mbox", kind)}
			}
			if err != nil {
				return err
			}
			im := fetch.NewImport(account, r)
			if kind == "maildir" && mailbox != "" {
				im.Rename = func(mb string) string {
					if mb == "INBOX" {
						return mailbox
					}
					return mailbox + "/" + mb
				}
			}
			arc, err := a.openArchive(ctx, true, true)
			if err != nil {
				r.Close()
				return err
			}
			defer arc.Close()
			return a.runSources(ctx, arc, []fetch.Source{im}, "import")
		},
	}
	c.Flags().StringVar(&account, "account", "local", "account name to record the messages under")
	c.Flags().StringVar(&mailbox, "mailbox", "", "mailbox name (mbox: default the file name; maildir: replaces INBOX and prefixes subfolders)")
	c.Flags().BoolVar(&a.noIndex, "no-index", false, "do not index now (the next fetch, import, search or serve does)")
	return c
}
