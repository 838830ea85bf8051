package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperArg as the first argument makes the test binary act as a password
// command (see TestMain), so that tests need no shell.
const helperArg = "mailkeep-config-test-helper"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperArg {
		os.Exit(helper(os.Args[2]))
	}
	os.Exit(m.Run())
}

// fakeSecret is what the failing helper prints; it must never reach an error.
const fakeSecret = "fake-secret-Zq8Rk2"

func helper(mode string) int {
	switch mode {
	case "fail":
		fmt.Println(fakeSecret)
		fmt.Fprintln(os.Stderr, "stderr: "+fakeSecret)
		return 3
	case "stderr":
		fmt.Fprintln(os.Stderr, "gpg: a message for the user")
		fmt.Println("pw-from-helper")
		return 0
	case "sleep":
		time.Sleep(time.Minute)
		return 0
	case "empty":
		return 0
	}
	return 99
}

// helperCommand is a password_command running the helper in mode.
func helperCommand(tb testing.TB, mode string) string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("'%s' %s %s", strings.ReplaceAll(exe, "'", `'\''`), helperArg, mode)
}

// envMap is a LookupEnv over m.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// testHome is $HOME in tests.
const testHome = "/home/tester"

// load writes text to config.toml in a temporary directory and loads it with
// env as the whole environment (plus HOME=testHome).
func load(tb testing.TB, text string, env map[string]string) (*Config, string, error) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	full := map[string]string{"HOME": testHome}
	for k, v := range env {
		full[k] = v
	}
	c, err := LoadWith(path, Options{LookupEnv: envMap(full)})
	return c, path, err
}

// mustLoad is load that fails the test on an error.
func mustLoad(tb testing.TB, text string, env map[string]string) *Config {
	tb.Helper()
	c, _, err := load(tb, text, env)
	if err != nil {
		tb.Fatalf("LoadWith: %v", err)
	}
	return c
}

// problemsOf returns the problems of a config error, failing the test when
// err is not one.
func problemsOf(tb testing.TB, err error) []Problem {
	tb.Helper()
	if !errors.Is(err, ErrConfig) {
		tb.Fatalf("error %v does not wrap ErrConfig", err)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		tb.Fatalf("error %v is not a *config.Error", err)
	}
	return ce.Problems
}

// validIMAP is a minimal valid configuration with one IMAP account.
const validIMAP = `
[[account]]
name = "home"
protocol = "imap"
host = "imap.example.com"
username = "me@example.com"
password_env = "HOME_PW"
`

// validPOP3 is a minimal valid configuration with one POP3 account.
const validPOP3 = `
[[account]]
name = "old-isp"
protocol = "pop3"
host = "pop.example.net"
username = "me"
password_command = "pass show old-isp"
`
