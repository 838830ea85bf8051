package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binPath is the mailkeep binary built once for the tests that need a real
// process (kill -9, locks, serve).
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailkeep-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "mailkeep")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build mailkeep: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runIn runs the command in-process with a clean environment plus vars.
func runIn(tb testing.TB, vars map[string]string, argv ...string) result {
	tb.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	code := run(context.Background(), argv, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv, lookupEnv: lookup})
	return result{out.String(), errb.String(), code}
}

// runBin runs the built binary.
func runBin(tb testing.TB, argv ...string) result {
	tb.Helper()
	cmd := exec.Command(binPath, argv...)
	cmd.Env = append(os.Environ(), "MAILKEEP_CONFIG=/nonexistent/config.toml")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		tb.Fatalf("run mailkeep: %v", err)
	}
	return result{out.String(), errb.String(), code}
}

func (r result) must(tb testing.TB) result {
	tb.Helper()
	if r.code != 0 {
		tb.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}
