package imap

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testbin"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// TestMain lets the test binary double as the fetch process of the
// benchmark, so that its memory can be measured on its own.
func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(a fetch.Account) fetch.Source { return New(a, Options{}) }))
}

// TestBenchFetchDovecot fills Dovecot with generated mail and measures a
// first full fetch and a re-run without changes, for mailkeep and, when
// installed, for mbsync (isync) into a Maildir with its default FSync.
// Run it with MAILKEEP_BENCH=1 (MAILKEEP_BENCH_N messages, default 20,000;
// MAILKEEP_BENCH_REPEAT re-runs without changes, default 1;
// MAILKEEP_BENCH_ROUNDS first fetches of each tool, alternating, each into
// a new archive or Maildir, default 1, with the median ratio at the end):
//
//	MAILKEEP_BENCH=1 go test -run TestBenchFetchDovecot -v ./fetch/imap
//
// Set TMPDIR to a freshly made file system for figures that do not depend
// on what earlier runs left behind (see TestBenchImport in cmd/mailkeep):
// both tools create 20,000 files, and mailkeep some 16,000 fan-out
// directories besides. On ext4 without a journal, creating files shortly
// after many were deleted is slow for a few minutes (the inode allocator
// steps over inodes deleted in the last minute, five while not yet
// written back, one lookup each), so rounds keep what they wrote until
// the end, and a run must start a minute or more after the last one's
// cleanup: run back to back, mailkeep's rounds measured 2.3-2.8x mbsync
// where the same code measured 3.0-3.4x after a 90-second pause.
func TestBenchFetchDovecot(t *testing.T) {
	n := testbin.Bench(t, "IMAP fetch", 20000)
	s := dovecottest.Start(t, dovecottest.Options{})
	byBox := map[string][][]byte{}
	var total int64
	for _, m := range mailgen.Generate(mailgen.Options{Seed: 1}, n) {
		byBox[m.Mailbox] = append(byBox[m.Mailbox], m.Raw)
		total += int64(len(m.Raw))
	}
	start := time.Now()
	for b, msgs := range byBox {
		s.DeliverMaildir(t, b, msgs)
	}
	boxes := len(byBox)
	// Dovecot builds its index and cache of a mailbox (UIDs, dates, sizes)
	// the first time a client lists it: do that here, so that the first
	// tool measured does not pay for it and the second one get it free.
	for b := range byBox {
		s.Warm(t, b)
	}
	t.Logf("delivered %d messages (%s, %d mailboxes) in %v", n, fetch.HumanBytes(total), boxes, time.Since(start).Round(time.Millisecond))
	byBox = nil
	debug.FreeOSMemory() // the generated mail, so that returning it does not overlap the runs

	repeat := testbin.EnvInt("MAILKEEP_BENCH_REPEAT", 1)
	rounds := testbin.EnvInt("MAILKEEP_BENCH_ROUNDS", 1)
	mbsync, haveMbsync := testenv.LookPath("mbsync")
	if !haveMbsync {
		t.Log("mbsync not installed: no comparison")
	}
	var rows []fetchtest.BenchRow
	var ratios []float64
	for round := range rounds {
		// The fetch alone: this test binary as a process that only fetches.
		fetcher := testbin.Fetcher{Addr: s.Addr(dovecottest.IMAP), User: s.User(), Password: s.Password(),
			Archive: filepath.Join(t.TempDir(), "archive"), Debug: os.Getenv("MAILKEEP_BENCH_DEBUG") != ""}
		first := fetcher
		first.CPUProfile = os.Getenv("MAILKEEP_BENCH_CPUPROFILE")
		// Each timed run starts with nothing left to write back: the
		// delivery or the run before would otherwise be flushed, on the
		// clock, by whichever tool syncs next.
		syscall.Sync()
		mk := testbin.Measure(t, first.Command())
		rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep", Run: "first", Msgs: n, Bytes: total, M: mk})
		if os.Getenv("MAILKEEP_BENCH_DEBUG") != "" {
			t.Log(mk.Output)
		}
		if round == 0 {
			for range repeat {
				rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep", Run: "unchanged", M: testbin.Measure(t, fetcher.Command())})
			}
		}
		if !haveMbsync {
			continue
		}
		rc := mbsyncConfig(t, s)
		syscall.Sync()
		mb := testbin.Measure(t, exec.Command(mbsync, "-c", rc, "-a", "-q"))
		rows = append(rows, fetchtest.BenchRow{Tool: "mbsync", Run: "first", Msgs: n, Bytes: total, M: mb})
		if round == 0 {
			rows = append(rows, fetchtest.BenchRow{Tool: "mbsync", Run: "unchanged", M: testbin.Measure(t, exec.Command(mbsync, "-c", rc, "-a", "-q"))})
		}
		ratios = append(ratios, mb.Wall.Seconds()/mk.Wall.Seconds())
	}

	fetchtest.PrintBench(t, fmt.Sprintf("%d messages, %s, %d mailboxes; Dovecot on loopback; %d CPUs", n, fetch.HumanBytes(total), boxes, runtime.NumCPU()), rows)
	if len(ratios) > 0 {
		slices.Sort(ratios)
		line := fmt.Sprintf("first fetch, mailkeep's speed over mbsync's: median %.2fx of %d rounds (%.2fx to %.2fx)",
			ratios[len(ratios)/2], len(ratios), ratios[0], ratios[len(ratios)-1])
		t.Log(line)
		fmt.Println(line)
	}
}

// mbsyncConfig writes an mbsync configuration that pulls every mailbox of
// s into a new Maildir, with mbsync's defaults otherwise (FSync on).
func mbsyncConfig(t *testing.T, s *dovecottest.Server) string {
	dir := t.TempDir()
	maildir := filepath.Join(dir, "Maildir")
	if err := os.MkdirAll(maildir, 0o700); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(s.Addr(dovecottest.IMAP))
	conf := fmt.Sprintf(`IMAPAccount bench
Host %s
Port %s
User %s
Pass %s
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel bench
Far :far:
Near :near:
Patterns *
Create Near
Sync Pull
SyncState *
`, host, port, s.User(), s.Password(), maildir, maildir)
	rc := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return rc
}
