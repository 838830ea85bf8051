package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/config"
)

func (a *app) initCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "init",
		Short: "Write a starter config and create the archive",
		Long: `init writes a commented starter config (mode 0600) to the config path, unless one
exists, and creates the archive directory. Edit the config to add your accounts,
then run "mailkeep fetch".`,
		Example: `  mailkeep init
  mailkeep --config ~/mail.toml --archive ~/MailArchive init`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := config.ConfigPath(a.configFlag, a.getenv)
			if path == "" {
				return usageError{errors.New("cannot tell where the config goes: pass --config")}
			}
			dir := config.ArchiveDir(a.archiveFlag, nil, a.getenv)
			_, err := os.Stat(path)
			switch {
			case err == nil && !force:
				fmt.Fprintf(a.stdout, "config %s exists; left as it is (use --force to overwrite)\n", path)
				cfg, err := a.config(false)
				if err != nil {
					return err
				}
				dir = config.ArchiveDir(a.archiveFlag, cfg, a.getenv)
			case err == nil || errors.Is(err, fs.ErrNotExist):
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					return fmt.Errorf("write config: %w", err)
				}
				if err := os.WriteFile(path, config.StarterConfigWith(dir), 0o600); err != nil {
					return fmt.Errorf("write config: %w", err)
				}
				if err := os.Chmod(path, 0o600); err != nil {
					return fmt.Errorf("write config: %w", err)
				}
				fmt.Fprintf(a.stdout, "wrote config %s: add your accounts there\n", path)
			default:
				return fmt.Errorf("read config: %w", err)
			}
			arc, err := archive.Open(cmd.Context(), dir, archive.Options{Create: true, Logger: a.log})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "archive ready in %s\n", arc.Dir())
			return arc.Close()
		},
	}
	c.Flags().BoolVar(&force, "force", false, "overwrite an existing config")
	return c
}
