package imap

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
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
// MAILKEEP_BENCH_REPEAT re-runs without changes, default 1):
//
//	MAILKEEP_BENCH=1 go test -run TestBenchFetchDovecot -v ./fetch/imap
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
	t.Logf("delivered %d messages (%s, %d mailboxes) in %v", n, fetch.HumanBytes(total), len(byBox), time.Since(start).Round(time.Millisecond))

	// The fetch alone: this test binary as a process that only fetches.
	fetcher := testbin.Fetcher{Addr: s.Addr(dovecottest.IMAP), User: s.User(), Password: s.Password(),
		Archive: filepath.Join(t.TempDir(), "archive"), Debug: os.Getenv("MAILKEEP_BENCH_DEBUG") != ""}
	type row struct {
		tool, run string
		m         testbin.Measured
	}
	var rows []row
	first := fetcher
	first.CPUProfile = os.Getenv("MAILKEEP_BENCH_CPUPROFILE")
	rows = append(rows, row{"mailkeep", "first", testbin.Measure(t, first.Command())})
	if os.Getenv("MAILKEEP_BENCH_DEBUG") != "" {
		t.Log(rows[0].m.Output)
	}
	repeat, err := strconv.Atoi(os.Getenv("MAILKEEP_BENCH_REPEAT"))
	if err != nil || repeat < 1 {
		repeat = 1
	}
	for range repeat {
		rows = append(rows, row{"mailkeep", "unchanged", testbin.Measure(t, fetcher.Command())})
	}

	if mbsync, ok := testenv.LookPath("mbsync"); ok {
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
		rows = append(rows, row{"mbsync", "first", testbin.Measure(t, exec.Command(mbsync, "-c", rc, "-a", "-q"))})
		rows = append(rows, row{"mbsync", "unchanged", testbin.Measure(t, exec.Command(mbsync, "-c", rc, "-a", "-q"))})
	} else {
		t.Log("mbsync not installed: no comparison")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d messages, %s, %d mailboxes; Dovecot on loopback; %d CPUs\n", n, fetch.HumanBytes(total), len(byBox), runtime.NumCPU())
	fmt.Fprintf(&b, "%-9s %-10s %9s %9s %9s %9s %9s\n", "tool", "run", "seconds", "CPU s", "msg/s", "MB/s", "max RSS")
	for _, r := range rows {
		secs := r.m.Wall.Seconds()
		msgs, mb := "-", "-"
		if r.run == "first" {
			msgs = fmt.Sprintf("%.0f", float64(n)/secs)
			mb = fmt.Sprintf("%.1f", float64(total)/1e6/secs)
		}
		fmt.Fprintf(&b, "%-9s %-10s %9.2f %9.2f %9s %9s %9s\n", r.tool, r.run, secs, r.m.CPU.Seconds(), msgs, mb, fetch.HumanBytes(r.m.MaxRSS))
	}
	t.Log(b.String())
	fmt.Print(b.String())
}
