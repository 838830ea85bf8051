package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Measured is one measured run of a command.
type Measured struct {
	Wall   time.Duration
	CPU    time.Duration // user + system, with the children it waited for
	MaxRSS int64         // peak resident memory in bytes
	Output string        // standard output and error, interleaved
}

// Measure runs cmd to the end and returns its wall time, CPU time and
// peak resident memory; a failure to run or a non-zero exit fails tb.
//
// The figures are the rusage of cmd as a small launcher process (see
// ./launcher) reports it. Linux charges a process, in ru_maxrss, with the
// peak of the memory it was exec'd from, and Go starts a child sharing
// the parent's memory: started straight from this test process, which
// may hold thousands of messages, cmd would be charged with the test's
// memory; started from the launcher, with its 2 or 3 MB at most. Polling
// VmHWM in /proc/PID/status instead misses a process's last moments, all
// of a process shorter than one poll, and its children.
func Measure(tb testing.TB, cmd *exec.Cmd) Measured {
	tb.Helper()
	if cmd.Err != nil {
		tb.Fatalf("%s: %v", commandLine(cmd.Args), cmd.Err)
	}
	report := filepath.Join(tb.TempDir(), "rusage")
	launcher := exec.Command(goBuild(tb, "github.com/mailkeep/mailkeep/internal/testbin/launcher", "launcher"),
		append([]string{report, cmd.Path}, cmd.Args[1:]...)...)
	launcher.Env, launcher.Dir, launcher.Stdin = cmd.Env, cmd.Dir, cmd.Stdin
	var out strings.Builder
	launcher.Stdout, launcher.Stderr = &out, &out
	if err := launcher.Run(); err != nil {
		tb.Fatalf("%s: %v\n%s", commandLine(cmd.Args), err, out.String())
	}
	m := Measured{Output: out.String()}
	b, err := os.ReadFile(report)
	if err == nil {
		var wall, cpu int64
		_, err = fmt.Sscan(string(b), &wall, &cpu, &m.MaxRSS)
		m.Wall, m.CPU = time.Duration(wall), time.Duration(cpu)
	}
	if err != nil {
		tb.Fatalf("%s: no report from the launcher: %v", commandLine(cmd.Args), err)
	}
	return m
}

// Bench skips tb unless MAILKEEP_BENCH=1, and returns how many messages
// the benchmark is to use: $MAILKEEP_BENCH_N when it is a positive
// number, else n.
func Bench(tb testing.TB, what string, n int) int {
	tb.Helper()
	if os.Getenv("MAILKEEP_BENCH") != "1" {
		tb.Skipf("set MAILKEEP_BENCH=1 to run the %s benchmark", what)
	}
	return EnvInt("MAILKEEP_BENCH_N", n)
}

// EnvInt returns the positive number in the environment variable key, or
// def.
func EnvInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil && v > 0 {
		return v
	}
	return def
}
