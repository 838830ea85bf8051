package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Secret says where a password comes from: exactly one of its fields is set
// (for the web UI, none is allowed when it listens on loopback only).
//
// A Secret never prints the password or the command's arguments: String,
// GoString, Format (every fmt verb), LogValue and MarshalJSON describe the
// source and redact the rest.
type Secret struct {
	// Password is the password itself, written in the file. Prefer the others.
	Password string `key:"password"`
	// Env is the name of an environment variable holding the password.
	Env string `key:"password_env"`
	// Command is a program and its arguments, split like a shell would
	// (quotes and backslashes) but run without one; the first line of its
	// output is the password. Example: "pass show mail/home".
	Command string `key:"password_command"`

	lookupEnv func(string) (string, bool) // nil: os.LookupEnv
	stderr    io.Writer                   // the command's stderr; nil discards it
	timeout   time.Duration               // 0: DefaultCommandTimeout
}

// DefaultCommandTimeout is how long a password_command may run.
const DefaultCommandTimeout = 30 * time.Second

// maxCommandOutput bounds what is read from a password_command.
const maxCommandOutput = 64 << 10

// IsSet reports whether any password source is set.
func (s Secret) IsSet() bool { return s.Password != "" || s.Env != "" || s.Command != "" }

// Password returns the account's password from its password,
// password_env or password_command, running the command now (see
// Secret.Get). Errors name the account, never the password or the
// command's output.
func (a Account) Password(ctx context.Context) (string, error) {
	p, err := a.Secret.Get(ctx)
	if err != nil {
		return "", fmt.Errorf("account %q: %w", a.Name, err)
	}
	return p, nil
}

// Password returns the web UI's password, or "" when none is configured.
func (w Web) Password(ctx context.Context) (string, error) {
	if !w.Secret.IsSet() {
		return "", nil
	}
	p, err := w.Secret.Get(ctx)
	if err != nil {
		return "", fmt.Errorf("web: %w", err)
	}
	return p, nil
}

// Get returns the password. An unset or empty password_env is an error
// naming the variable (and wrapping ErrConfig). A password_command runs
// without a shell, with stdin empty, for at most 30 seconds; its first
// output line, without the line ending, is the password. When it fails the
// error gives the program and its exit status, never its output.
func (s Secret) Get(ctx context.Context) (string, error) {
	switch {
	case s.Password != "":
		return s.Password, nil
	case s.Env != "":
		lookup := s.lookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		if v, ok := lookup(s.Env); ok && v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: password_env: environment variable %s is not set", ErrConfig, s.Env)
	case s.Command != "":
		return s.run(ctx)
	}
	return "", fmt.Errorf("%w: no password configured (set password_command, password_env or password)", ErrConfig)
}

func (s Secret) run(ctx context.Context) (string, error) {
	argv, err := splitCommand(s.Command, homeDir(s.getenv))
	if err != nil {
		return "", fmt.Errorf("%w: password_command: %w", ErrConfig, err)
	}
	prog := argv[0]
	timeout := s.timeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var out limitedBuffer
	cmd := exec.CommandContext(runCtx, prog, argv[1:]...)
	cmd.Stdout = &out
	cmd.Stderr = s.stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if err != nil && ctx.Err() != nil {
		return "", fmt.Errorf("password_command %q: %w", prog, ctx.Err())
	}
	if err != nil && runCtx.Err() != nil {
		return "", fmt.Errorf("password_command %q did not finish within %v", prog, timeout)
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		// ExitError's text is the status only ("exit status 1", "signal:
		// killed"); the output stays in out and is dropped.
		return "", fmt.Errorf("password_command %q: %s", prog, exitErr.ProcessState)
	case err != nil:
		return "", fmt.Errorf("password_command %q: %w", prog, err)
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("password_command %q printed no password", prog)
	}
	return line, nil
}

func (s Secret) getenv(name string) string {
	lookup := s.lookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, _ := lookup(name)
	return v
}

// limitedBuffer keeps the first maxCommandOutput bytes written to it and
// discards the rest, so a runaway command cannot fill memory.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxCommandOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// commandName is the program of a password_command, for messages; its
// arguments are left out.
func commandName(command string) string {
	argv, err := splitCommand(command, "")
	if err != nil || len(argv) == 0 {
		return "(invalid)"
	}
	if len(argv) > 1 {
		return argv[0] + " …"
	}
	return argv[0]
}
