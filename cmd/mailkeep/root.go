package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/config"
)

// env is the process environment run works in, so tests can run the whole
// command in-process.
type env struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	getenv    func(string) string
	lookupEnv func(string) (string, bool)
}

// app holds what every command shares: flags, logger, config, archive.
type app struct {
	env
	configFlag  string
	archiveFlag string
	verbose     bool
	noIndex     bool
	log         *slog.Logger
	cfg         *config.Config
}

const exitHelp = `Exit status: 0 ok; 1 the work failed (the message says what and what to do);
2 usage or configuration error.`

func run(ctx context.Context, args []string, e env) int {
	a := &app{env: e}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, _, err := root.Find(args)
	if err != nil {
		cmd, err = root, usageError{err}
	} else {
		cmd, err = root.ExecuteContextC(ctx)
	}
	if err == nil {
		return 0
	}
	code, msg := exitCode(err)
	if msg != "" {
		fmt.Fprintln(e.stderr, "mailkeep:", msg)
	}
	if errors.As(err, new(usageError)) {
		// The command's usage line, and where its help is.
		if cmd != root {
			fmt.Fprintln(e.stderr, "usage:", cmd.UseLine())
		}
		fmt.Fprintf(e.stderr, "see %s --help\n", cmd.CommandPath())
	}
	return code
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "mailkeep",
		Short: "Keep your own searchable archive of your mail",
		Long: `mailkeep pulls mail over IMAP or POP3 (or imports Maildir and mbox files) into a
content-addressed archive on your own disk, indexes it for full-text search in
any language, and lets you search it from the command line and a local web UI.

` + exitHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelInfo
			if a.verbose {
				level = slog.LevelDebug
			}
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
		},
	}
	root.Version = version()
	root.SetVersionTemplate("mailkeep {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	f := root.PersistentFlags()
	f.StringVar(&a.configFlag, "config", "", "config file (default $MAILKEEP_CONFIG, else $XDG_CONFIG_HOME/mailkeep/config.toml)")
	f.StringVar(&a.archiveFlag, "archive", "", "archive directory (default archive_dir of the config, else $XDG_DATA_HOME/mailkeep)")
	f.BoolVarP(&a.verbose, "verbose", "v", false, "log more (one line per batch and message)")
	root.AddCommand(
		a.initCommand(),
		a.fetchCommand(),
		a.importCommand(),
		a.exportCommand(),
		a.showCommand(),
		a.statsCommand(),
		a.verifyCommand(),
	)
	for _, c := range a.laterCommands() {
		root.AddCommand(c)
	}
	return root
}

// usageError is a mistake on the command line: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// failed is an error whose message was already printed; exit 1.
var errFailed = errors.New("failed")

// exitCode is the one table that turns errors into exit codes and the text
// the user reads.
func exitCode(err error) (int, string) {
	var ue usageError
	var le *archive.LockedError
	switch {
	case errors.Is(err, errFailed):
		return 1, ""
	case errors.As(err, &ue):
		return 2, err.Error()
	case errors.Is(err, config.ErrConfig):
		return 2, err.Error()
	case errors.As(err, &le):
		return 1, err.Error() + `: wait for it to finish, or stop "mailkeep serve" (use its "Fetch now" button or POST /api/fetch instead)`
	case errors.Is(err, archive.ErrNoArchive):
		return 1, err.Error()
	case errors.Is(err, context.Canceled):
		return 1, "interrupted"
	default:
		return 1, err.Error()
	}
}

// args wraps a cobra positional-args check so its error is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// config loads the configuration. With optional, a missing file is fine
// (commands that need only the archive).
func (a *app) config(optional bool) (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	path := config.ConfigPath(a.configFlag, a.getenv)
	if path == "" {
		if !optional {
			return nil, fmt.Errorf("%w: no config file: pass --config or set $MAILKEEP_CONFIG or $HOME", config.ErrConfig)
		}
		a.cfg = config.Default()
		return a.cfg, nil
	}
	cfg, err := config.LoadWith(path, config.Options{LookupEnv: a.lookupEnv, Optional: optional && a.configFlag == "", CommandStderr: a.stderr})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: config file %s does not exist: run \"mailkeep init\" to write one", config.ErrConfig, path)
		}
		return nil, err
	}
	a.cfg = cfg
	return cfg, nil
}

// archiveDir resolves the archive directory.
func (a *app) archiveDir(needConfig bool) (string, error) {
	var cfg *config.Config
	if a.archiveFlag == "" || needConfig {
		var err error
		if cfg, err = a.config(!needConfig); err != nil {
			return "", err
		}
	}
	dir := config.ArchiveDir(a.archiveFlag, cfg, a.getenv)
	if dir == "" {
		return "", usageError{errors.New("no archive directory: pass --archive or set archive_dir in the config")}
	}
	return dir, nil
}

// openArchive opens the archive for writing (taking its lock) or reading.
func (a *app) openArchive(ctx context.Context, write, create bool) (*archive.Archive, error) {
	dir, err := a.archiveDir(false)
	if err != nil {
		return nil, err
	}
	return archive.Open(ctx, dir, archive.Options{ReadOnly: !write, Create: create, Logger: a.log})
}

// isTerminal reports whether w is a terminal (progress bars only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
