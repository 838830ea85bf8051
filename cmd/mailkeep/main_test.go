package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
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

func numCPU() int { return runtime.NumCPU() }

// runPeak runs cmd and returns its wall time and peak RSS in bytes, read
// from /proc/PID/status (VmHWM) while it runs. (The rusage of a child
// started by Go includes the parent's memory from before exec, so it
// cannot be used.)
func runPeak(cmd *exec.Cmd) (time.Duration, int64, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return 0, 0, fmt.Errorf("%v\n%s", err, out.String())
			}
			return time.Since(start), peak, nil
		case <-tick.C:
			b, err := os.ReadFile(status)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				var kb int64
				if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil && kb*1024 > peak {
					peak = kb * 1024
				}
			}
		}
	}
}
