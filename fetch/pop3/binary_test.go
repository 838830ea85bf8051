package pop3

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// TestMain removes the binary built for the end-to-end tests, and lets the
// test binary double as the fetch process of the benchmark.
func TestMain(m *testing.M) {
	if os.Getenv("MAILKEEP_POP3_LAUNCH") == "1" {
		os.Exit(launch(os.Args[1:]))
	}
	if os.Getenv("MAILKEEP_POP3_HELPER") == "1" {
		os.Exit(helperFetch())
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// registration is cmd/mailkeep's POP3 wiring, overlaid on the build while
// cmd/mailkeep does not register the POP3 source itself.
const registration = `package main

import (
	"github.com/mailkeep/mailkeep/config"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/fetch/pop3"
)

func init() {
	sourceFactories[config.POP3] = func(a fetch.Account) fetch.Source { return pop3.NewSource(a) }
}
`

// mailkeepBinary builds cmd/mailkeep once per test binary (or takes
// $MAILKEEP_BIN), or skips tb when it does not build.
func mailkeepBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("MAILKEEP_BIN"); p != "" {
			binPath = p
			return
		}
		binDir, binErr = os.MkdirTemp("", "mailkeep-pop3-test")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "mailkeep")
		root := testenv.RepoRoot()
		args := []string{"build", "-o", binPath}
		if !registersPOP3(filepath.Join(root, "cmd", "mailkeep")) {
			src := filepath.Join(binDir, "source_pop3.go")
			overlay := filepath.Join(binDir, "overlay.json")
			js, _ := json.Marshal(map[string]map[string]string{"Replace": {
				filepath.Join(root, "cmd", "mailkeep", "source_pop3_testoverlay.go"): src}})
			if binErr = os.WriteFile(src, []byte(registration), 0o600); binErr != nil {
				return
			}
			if binErr = os.WriteFile(overlay, js, 0o600); binErr != nil {
				return
			}
			args = append(args, "-overlay", overlay)
		}
		cmd := exec.Command("go", append(args, "github.com/mailkeep/mailkeep/cmd/mailkeep")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Skipf("cmd/mailkeep does not build, so the end-to-end test cannot run: %v", binErr)
	}
	return binPath
}

// registersPOP3 reports whether the command in dir wires the POP3 source.
func registersPOP3(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte("pop3.NewSource")) {
			return true
		}
	}
	return false
}

// e2e is a Dovecot POP3 account configured for the mailkeep binary.
type e2e struct {
	bin, config, archive string
	env                  []string
}

func newE2E(tb testing.TB, s *dovecottest.Server, deleteMode string) *e2e {
	tb.Helper()
	dir := tb.TempDir()
	e := &e2e{bin: mailkeepBinary(tb), config: filepath.Join(dir, "config.toml"), archive: filepath.Join(dir, "archive")}
	_, port, _ := strings.Cut(s.Addr(dovecottest.POP3), ":")
	conf := fmt.Sprintf(`archive_dir = %q

[[account]]
name = "acct"
protocol = "pop3"
host = "127.0.0.1"
port = %s
security = "none"
username = %q
password_env = "MAILKEEP_TEST_POP3_PASSWORD"
delete = %q
`, e.archive, port, s.User(), deleteMode)
	if err := os.WriteFile(e.config, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	e.env = append(os.Environ(), "MAILKEEP_TEST_POP3_PASSWORD="+s.Password())
	return e
}

// command returns an unstarted mailkeep command on e's config and archive.
func (e *e2e) command(args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, append([]string{"--config", e.config, "--archive", e.archive}, args...)...)
	cmd.Env = e.env
	return cmd
}

// run runs mailkeep and returns its standard output; a failure fails tb.
func (e *e2e) run(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := e.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
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

// fetchPhase runs "mailkeep fetch" to the end and returns how long it
// took until it printed its summary (archiving done, indexing to come).
func (e *e2e) fetchPhase(tb testing.TB) time.Duration {
	tb.Helper()
	cmd := e.command("fetch")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var d time.Duration
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if d == 0 && strings.HasPrefix(sc.Text(), "fetch:") {
			d = time.Since(start)
		}
	}
	if err := cmd.Wait(); err != nil || d == 0 {
		tb.Fatalf("mailkeep fetch: %v (summary after %v)\n%s", err, d, stderr.String())
	}
	return d
}

// serverIDs returns the ids of the messages Dovecot's INBOX holds, as
// IMAP serves them (the same bytes as POP3 for generated mail).
func serverIDs(tb testing.TB, s *dovecottest.Server) map[archive.ID]bool {
	tb.Helper()
	out := map[archive.ID]bool{}
	for _, b := range s.Bodies(tb, "INBOX") {
		out[id(b)] = true
	}
	return out
}

// TestKill9Delete kills "mailkeep fetch" with SIGKILL at random moments
// while it archives from Dovecot over POP3 with delete = after-archive.
// After every kill each message ever delivered is still on the server or
// archived (catalog row and an object that reads back with the right
// hash): never neither. A final run leaves the server empty, the archive
// complete and verify clean.
func TestKill9Delete(t *testing.T) {
	testStart := time.Now()
	s := dovecottest.Start(t, dovecottest.Options{})
	const fill = 100
	gen := mailgen.New(mailgen.Options{Seed: 11, BigEvery: -1})
	delivered := map[archive.ID]bool{}
	deliver := func(n int) {
		var raws [][]byte
		for range n {
			m := gen.Next()
			raws = append(raws, m.Raw)
		}
		s.DeliverMaildir(t, "INBOX", raws)
		for i := range serverIDs(t, s) {
			delivered[i] = true
		}
	}
	deliver(fill)
	mailkeepBinary(t)
	t.Logf("set up in %v", time.Since(testStart).Round(time.Millisecond))

	// How long the archiving part of a fetch takes, into a scratch
	// archive without deletion.
	scratch := newE2E(t, s, "never")
	full := scratch.fetchPhase(t)
	e := newE2E(t, s, "after-archive")

	rng := rand.New(rand.NewPCG(9, 9))
	const trials = 22
	killed, deletedAfter := 0, 0
	start := time.Now()
	for trial := range trials {
		before := len(serverIDs(t, s))
		cmd := e.command("fetch")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(full) * 6 / 5)))
		cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err != nil {
			killed++
		}
		on := serverIDs(t, s)
		if len(on) < before {
			deletedAfter++
		}
		checkNeverNeither(t, trial, e.archive, delivered, on)
		if len(on) < fill/2 {
			deliver(fill - len(on)) // keep the next fetch busy
		}
	}
	t.Logf("%d trials in %v: %d killed before they finished, %d after deleting from the server; %d messages delivered in all; archiving %d took %v",
		trials, time.Since(start).Round(time.Millisecond), killed, deletedAfter, len(delivered), fill, full.Round(time.Millisecond))
	if killed < trials/2 {
		t.Errorf("only %d of %d fetches were killed before they finished: the test did not test", killed, trials)
	}

	final := time.Now()
	e.run(t, "fetch")
	t.Logf("final fetch (and index) %v", time.Since(final).Round(time.Millisecond))
	if on := serverIDs(t, s); len(on) != 0 {
		t.Errorf("after a full run the server still has %d messages", len(on))
	}
	checkNeverNeither(t, trials, e.archive, delivered, nil)
	if st := e.stats(t); st["messages"] != int64(len(delivered)) {
		t.Errorf("stats = %v, want %d messages", st, len(delivered))
	}
	out := e.run(t, "verify")
	t.Logf("verify: %s", strings.TrimSpace(out))
}

// checkNeverNeither fails unless each delivered message is on the server
// or durably archived.
func checkNeverNeither(t *testing.T, trial int, dir string, delivered, onServer map[archive.ID]bool) {
	t.Helper()
	var arc *archive.Archive
	if archive.Exists(dir) {
		var err error
		arc, err = archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("trial %d: open archive: %v", trial, err)
		}
		defer arc.Close()
	}
	lost := 0
	for i := range delivered {
		if onServer[i] {
			continue
		}
		if arc != nil {
			has, err := arc.Has(context.Background(), i)
			if err == nil && has {
				if _, err = arc.ReadAll(i); err == nil {
					continue
				}
			}
		}
		lost++
	}
	if lost > 0 {
		t.Errorf("trial %d: %d messages neither on the server nor archived", trial, lost)
	}
}
