package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/internal/testbin"
)

// TestMain removes the mailkeep binary built for the tests that need a
// real process (kill -9, locks, serve).
func TestMain(m *testing.M) { os.Exit(testbin.Main(m, nil)) }

// runIn runs the command in-process with a clean environment plus vars.
func runIn(tb testing.TB, vars map[string]string, argv ...string) testbin.Result {
	tb.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	code := run(context.Background(), argv, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv, lookupEnv: lookup})
	return testbin.Result{Args: append([]string{"mailkeep"}, argv...), Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// runBin runs the built binary with a clean environment and no config:
// $MAILKEEP_CONFIG names a file in a new temporary directory, so that an
// init writes its config there.
func runBin(tb testing.TB, argv ...string) testbin.Result {
	tb.Helper()
	return mailkeep(tb).Run(tb, argv...)
}

// mailkeep is the built binary with a clean environment and no config,
// as runBin runs it.
func mailkeep(tb testing.TB) testbin.Mailkeep {
	tb.Helper()
	return testbin.Mailkeep{Bin: testbin.Binary(tb), Env: []string{"MAILKEEP_CONFIG=" + filepath.Join(tb.TempDir(), "config.toml")}}
}
