package imap

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

var (
	binOnce sync.Once
	binDir  string // removed by TestMain
	binPath string
	binErr  error
)

// mailkeepBinary builds cmd/mailkeep once per test binary (or takes
// $MAILKEEP_BIN), or skips tb when it does not build.
func mailkeepBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("MAILKEEP_BIN"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "mailkeep-imap-test")
		if err != nil {
			binErr = err
			return
		}
		binDir, binPath = dir, filepath.Join(dir, "mailkeep")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/mailkeep/mailkeep/cmd/mailkeep")
		cmd.Dir = testenv.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Skipf("cmd/mailkeep does not build yet, so the end-to-end test cannot run: %v", binErr)
	}
	return binPath
}

// e2e is a Dovecot account configured for the mailkeep binary.
type e2e struct {
	bin, config, archive string
	env                  []string
}

func newE2E(tb testing.TB, s *dovecottest.Server) *e2e {
	tb.Helper()
	e := &e2e{bin: mailkeepBinary(tb), config: filepath.Join(tb.TempDir(), "config.toml"), archive: filepath.Join(tb.TempDir(), "archive")}
	_, port, _ := strings.Cut(s.Addr(dovecottest.IMAP), ":")
	conf := fmt.Sprintf(`archive_dir = %q

[[account]]
name = "acct"
protocol = "imap"
host = "127.0.0.1"
port = %s
security = "none"
username = %q
password_env = "MAILKEEP_TEST_IMAP_PASSWORD"
`, e.archive, port, s.User())
	if err := os.WriteFile(e.config, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	e.env = append(os.Environ(), "MAILKEEP_TEST_IMAP_PASSWORD="+s.Password(), "MAILKEEP_CONFIG="+e.config)
	return e
}

// command returns an unstarted mailkeep command on e's config and archive.
func (e *e2e) command(args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, append([]string{"--config", e.config, "--archive", e.archive}, args...)...)
	cmd.Env = e.env
	return cmd
}

// run runs mailkeep and returns its standard output; a failure fails tb,
// except that an unsupported IMAP protocol skips it.
func (e *e2e) run(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := e.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "not supported by this build") {
			tb.Skipf("the mailkeep binary cannot fetch IMAP yet (cmd/mailkeep does not register fetch/imap): %s", strings.TrimSpace(stderr.String()))
		}
		tb.Fatalf("mailkeep %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// stats returns "mailkeep stats --json".
func (e *e2e) stats(tb testing.TB) map[string]int64 {
	tb.Helper()
	var st map[string]int64
	out := e.run(tb, "stats", "--json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		tb.Fatalf("stats --json printed %q: %v", out, err)
	}
	return st
}

// archiveStats reads an archive's totals, or zero when there is none yet.
func archiveStats(tb testing.TB, dir string) archive.Stats {
	tb.Helper()
	ctx := context.Background()
	arc, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if errors.Is(err, archive.ErrNoArchive) {
		return archive.Stats{}
	}
	if err != nil {
		// Killed while creating the archive (no catalog yet): opening it
		// for writing completes it, as the next run would.
		tb.Logf("read-only open: %v", err)
		if arc, err = archive.Open(ctx, dir, archive.Options{}); err != nil {
			tb.Fatal(err)
		}
	}
	defer arc.Close()
	st, err := arc.Stats(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// mailgenRaw returns n generated messages.
func mailgenRaw(seed uint64, n, bigEvery int) [][]byte {
	var out [][]byte
	for _, m := range mailgen.Generate(mailgen.Options{Seed: seed, BigEvery: bigEvery}, n) {
		out = append(out, m.Raw)
	}
	return out
}

// TestKill9 kills "mailkeep fetch" with SIGKILL at random moments of its
// fetching, again and again, and re-runs it: every message is archived
// exactly once and verify passes.
func TestKill9(t *testing.T) {
	t.Parallel()
	s := dovecottest.Start(t, dovecottest.Options{})
	e := newE2E(t, s)
	const n = 2000
	msgs := testMessages(0, n)
	s.DeliverMaildir(t, "INBOX", msgs[:1500])
	s.DeliverMaildir(t, "Archive/2024", msgs[1500:])

	// Indexing is not under test here: leave it out where fetch can.
	fetchArgs := []string{"fetch"}
	if help := e.run(t, "fetch", "--help"); strings.Contains(help, "--no-index") {
		fetchArgs = append(fetchArgs, "--no-index")
	}
	// How long fetching takes (until the summary, before any indexing),
	// in a scratch archive.
	scratch := *e
	scratch.archive = filepath.Join(t.TempDir(), "scratch")
	fetching := scratch.timeToSummary(t, fetchArgs...)
	if st := archiveStats(t, scratch.archive); st.Messages != n {
		t.Fatalf("a full fetch archived %d messages, want %d", st.Messages, n)
	}

	rng := rand.New(rand.NewPCG(9, 9))
	killed, finished := 0, 0
	for trial := 0; killed < 20; trial++ {
		if trial == 80 {
			t.Fatalf("only %d of %d runs could be killed before they finished", killed, trial)
		}
		cmd := e.command(fetchArgs...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(fetching))))
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		st := archiveStats(t, e.archive)
		if err == nil {
			// It finished first: a re-run after kills, which must have
			// archived every message exactly once.
			if st.Messages != n || st.Locations != n {
				t.Fatalf("trial %d: a run finished with %+v, want %d messages and locations", trial, st, n)
			}
			finished++
			if err := os.RemoveAll(e.archive); err != nil {
				t.Fatal(err)
			}
			continue
		}
		killed++
		// Between kills the archive is consistent: never ahead of the
		// server, never the same location twice.
		if st.Messages > n || st.Locations != st.Messages {
			t.Fatalf("trial %d: stats %+v with %d messages on the server", trial, st, n)
		}
		if killed%5 == 0 && killed < 20 {
			// Re-run (in this process, without indexing), check, and
			// start over so the next kills hit a fetch with work to do.
			refetch(t, s, e.archive, n)
			if err := os.RemoveAll(e.archive); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.timeToSummary(t, fetchArgs...)
	if st := e.stats(t); st["messages"] != n || st["locations"] != n {
		t.Fatalf("after the kills and a re-run: %v, want %d messages and locations", st, n)
	}
	out := e.run(t, "verify")
	t.Logf("%s: fetching takes %v; %d runs killed, %d finished first; verify: %s", strings.Join(fetchArgs, " "), fetching.Round(time.Millisecond), killed, finished, strings.TrimSpace(out))
}

// timeToSummary runs mailkeep fetch and returns how long it took to print
// its summary, which it does once the fetch is complete and durable. The
// indexing that may follow is not under test: it is cut short.
func (e *e2e) timeToSummary(tb testing.TB, args ...string) time.Duration {
	tb.Helper()
	cmd := e.command(args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	br := bufio.NewReader(stdout)
	line, _ := br.ReadString('\n')
	d := time.Since(start)
	if strings.HasPrefix(line, "fetch:") {
		cmd.Process.Signal(syscall.SIGKILL)
		io.Copy(io.Discard, br)
		cmd.Wait()
		return d
	}
	io.Copy(io.Discard, br)
	if err := cmd.Wait(); err != nil {
		if strings.Contains(stderr.String(), "not supported by this build") {
			tb.Skipf("the mailkeep binary cannot fetch IMAP yet: %s", strings.TrimSpace(stderr.String()))
		}
		tb.Fatalf("mailkeep %s: %v\n%s%s", strings.Join(args, " "), err, line, stderr.String())
	}
	return d
}

// refetch completes a fetch into dir in this process and checks that
// every message is there exactly once (the final run checks with verify).
func refetch(tb testing.TB, s *dovecottest.Server, dir string, n int64) {
	tb.Helper()
	ctx := context.Background()
	arc, err := archive.Open(ctx, dir, archive.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer arc.Close()
	acct := dovecotAccount(s, dovecottest.IMAP, fetch.None)
	runOK(tb, arc, New(acct, Options{}))
	st, err := arc.Stats(ctx)
	if err != nil || st.Messages != n || st.Locations != n {
		tb.Fatalf("after the kills and a re-run: %+v, %v; want %d messages and locations", st, err, n)
	}
}
