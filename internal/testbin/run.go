package testbin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NoConfig is the config file the clean environment names, so that
// mailkeep never reads the config of the user running the tests.
const NoConfig = "/nonexistent/config.toml"

// Env returns a clean environment for mailkeep plus extra ("KEY=value";
// a later one wins): this process's environment without the variables
// mailkeep reads (MAILKEEP_*, XDG_CONFIG_HOME, XDG_DATA_HOME), and with
// MAILKEEP_CONFIG=NoConfig.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "MAILKEEP_") || k == "XDG_CONFIG_HOME" || k == "XDG_DATA_HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "MAILKEEP_CONFIG="+NoConfig)
	return append(env, extra...)
}

// Mailkeep is the mailkeep binary with what every command of one test
// shares: its config file, archive and environment.
type Mailkeep struct {
	Bin     string   // usually Binary(tb)
	Config  string   // passed as --config when not empty
	Archive string   // passed as --archive when not empty
	Env     []string // added to the clean environment, see Env
}

// Command returns an unstarted "mailkeep args...".
func (k Mailkeep) Command(args ...string) *exec.Cmd {
	var flags []string
	if k.Config != "" {
		flags = append(flags, "--config", k.Config)
	}
	if k.Archive != "" {
		flags = append(flags, "--archive", k.Archive)
	}
	cmd := exec.Command(k.Bin, append(flags, args...)...)
	cmd.Env = Env(k.Env...)
	return cmd
}

// Run runs "mailkeep args..." to the end; see the function Run.
func (k Mailkeep) Run(tb testing.TB, args ...string) Result {
	tb.Helper()
	return Run(tb, k.Command(args...))
}

// Stats returns what "mailkeep stats --json" prints; a failure fails tb.
func (k Mailkeep) Stats(tb testing.TB) map[string]int64 {
	tb.Helper()
	return k.Run(tb, "stats", "--json").Must(tb).Stats(tb)
}

// TimeToSummary runs "mailkeep args..." (a fetch) to the end and returns
// how long it took to print its summary, the line starting "fetch:",
// which it prints once what it archived is durable and before it
// indexes. It fails tb unless the command printed the summary and
// exited 0.
func (k Mailkeep) TimeToSummary(tb testing.TB, args ...string) time.Duration {
	tb.Helper()
	cmd := k.Command(args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var out, stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var d time.Duration
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if d == 0 && strings.HasPrefix(sc.Text(), "fetch:") {
			d = time.Since(start)
		}
		out.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil || d == 0 {
		tb.Fatalf("%s: %v (summary after %v)\nstdout: %s\nstderr: %s", commandLine(cmd.Args), err, d, out.String(), stderr.String())
	}
	return d
}

// Result is what one run of a command printed and returned.
type Result struct {
	Args           []string // the command line, program first
	Stdout, Stderr string
	Code           int // exit code; -1 when killed by a signal
}

// Run runs cmd to the end and returns what it printed and its exit code.
// Only a command that cannot be run fails tb, not a non-zero exit code.
func Run(tb testing.TB, cmd *exec.Cmd) Result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Args: cmd.Args, Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.Code = exit.ExitCode()
	} else if err != nil {
		tb.Fatalf("run %s: %v", commandLine(cmd.Args), err)
	}
	return r
}

// Must fails tb unless the command exited 0, and returns r.
func (r Result) Must(tb testing.TB) Result {
	tb.Helper()
	if r.Code != 0 {
		tb.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", commandLine(r.Args), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// Stats decodes the output of "mailkeep stats --json".
func (r Result) Stats(tb testing.TB) map[string]int64 {
	tb.Helper()
	var st map[string]int64
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		tb.Fatalf("stats --json printed %q: %v", r.Stdout, err)
	}
	return st
}

// commandLine is args for a message, the program by its base name.
func commandLine(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return strings.Join(append([]string{filepath.Base(args[0])}, args[1:]...), " ")
}

// KillAfter starts cmd, kills it with SIGKILL after d and returns what
// Wait returns: nil when it finished before the kill.
func KillAfter(tb testing.TB, cmd *exec.Cmd, d time.Duration) error {
	tb.Helper()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	time.Sleep(d)
	cmd.Process.Signal(syscall.SIGKILL)
	return cmd.Wait()
}
