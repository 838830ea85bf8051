package imap

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// TestMain lets the test binary double as the fetch process of the
// benchmark, so that its peak memory can be measured on its own.
func TestMain(m *testing.M) {
	if os.Getenv("MAILKEEP_IMAP_HELPER") == "1" {
		os.Exit(helperFetch())
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir) // the mailkeep binary built by mailkeepBinary
	}
	os.Exit(code)
}

// helperFetch archives the account described by MAILKEEP_IMAP_HELPER_*
// and prints the run's totals as JSON.
func helperFetch() int {
	env := func(k string) string { return os.Getenv("MAILKEEP_IMAP_HELPER_" + k) }
	if p := env("CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	ctx := context.Background()
	arc, err := archive.Open(ctx, env("ARCHIVE"), archive.Options{Create: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer arc.Close()
	host, port, _ := net.SplitHostPort(env("ADDR"))
	acct := fetch.Account{Name: "bench", Host: host, Security: fetch.None, Username: env("USER"),
		Password: func(context.Context) (string, error) { return env("PASSWORD"), nil }}
	acct.Port, _ = strconv.Atoi(port)
	opts := fetch.Options{}
	if env("DEBUG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rep, err := fetch.Run(ctx, arc, []fetch.Source{New(acct, Options{})}, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(rep.Totals())
	if !rep.OK() {
		fmt.Fprintln(os.Stderr, strings.Join(rep.Details(), "\n"))
		return 1
	}
	return 0
}

// measured is one timed process.
type measured struct {
	dur    time.Duration
	maxRSS int64 // bytes
	out    string
}

// measure runs cmd and returns its wall time and peak resident memory.
// The peak is the VmHWM of /proc/PID/status, sampled while it runs: the
// rusage of a child started by Go counts the parent's memory too (the
// child shares it until exec).
func measure(tb testing.TB, cmd *exec.Cmd) measured {
	tb.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var hwm int64
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if b, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
						hwm = max(hwm, kb*1024)
					}
				}
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	m := measured{dur: time.Since(start), out: out.String(), maxRSS: <-peak}
	if err != nil {
		tb.Fatalf("%s: %v\n%s", cmd.Path, err, out.String())
	}
	return m
}

// TestBenchFetchDovecot fills Dovecot with generated mail and measures a
// first full fetch and a re-run without changes, for mailkeep and, when
// installed, for mbsync (isync) into a Maildir with its default FSync.
// Run it with MAILKEEP_BENCH=1 (MAILKEEP_BENCH_N messages, default 20,000):
//
//	MAILKEEP_BENCH=1 go test -run TestBenchFetchDovecot -v ./fetch/imap
func TestBenchFetchDovecot(t *testing.T) {
	if os.Getenv("MAILKEEP_BENCH") != "1" {
		t.Skip("set MAILKEEP_BENCH=1 to run the IMAP fetch benchmark")
	}
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("MAILKEEP_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	s := dovecottest.Start(t, dovecottest.Options{})
	byBox := map[string][][]byte{}
	var total int64
	var sizes []int
	for _, m := range mailgen.Generate(mailgen.Options{Seed: 1}, n) {
		byBox[m.Mailbox] = append(byBox[m.Mailbox], m.Raw)
		total += int64(len(m.Raw))
		sizes = append(sizes, len(m.Raw))
	}
	start := time.Now()
	for b, msgs := range byBox {
		s.DeliverMaildir(t, b, msgs)
	}
	t.Logf("delivered %d messages (%s, %d mailboxes) in %v", n, fetch.HumanBytes(total), len(byBox), time.Since(start).Round(time.Millisecond))

	helper := func(arc string) *exec.Cmd {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "MAILKEEP_IMAP_HELPER=1",
			"MAILKEEP_IMAP_HELPER_ADDR="+s.Addr(dovecottest.IMAP), "MAILKEEP_IMAP_HELPER_USER="+s.User(),
			"MAILKEEP_IMAP_HELPER_PASSWORD="+s.Password(), "MAILKEEP_IMAP_HELPER_ARCHIVE="+arc,
			"MAILKEEP_IMAP_HELPER_CPUPROFILE="+os.Getenv("MAILKEEP_BENCH_CPUPROFILE"),
			"MAILKEEP_IMAP_HELPER_DEBUG="+os.Getenv("MAILKEEP_BENCH_DEBUG"))
		return cmd
	}
	type row struct {
		tool, run string
		m         measured
	}
	var rows []row
	arc := filepath.Join(t.TempDir(), "archive")
	rows = append(rows, row{"mailkeep", "first", measure(t, helper(arc))})
	if os.Getenv("MAILKEEP_BENCH_DEBUG") != "" {
		t.Log(rows[0].m.out)
	}
	os.Setenv("MAILKEEP_BENCH_CPUPROFILE", "")
	rows = append(rows, row{"mailkeep", "unchanged", measure(t, helper(arc))})

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
		rows = append(rows, row{"mbsync", "first", measure(t, exec.Command(mbsync, "-c", rc, "-a", "-q"))})
		rows = append(rows, row{"mbsync", "unchanged", measure(t, exec.Command(mbsync, "-c", rc, "-a", "-q"))})
	} else {
		t.Log("mbsync not installed: no comparison")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d messages, %s, %d mailboxes; Dovecot on loopback; %d CPUs\n", n, fetch.HumanBytes(total), len(byBox), numCPU())
	fmt.Fprintf(&b, "%-9s %-10s %9s %9s %9s %9s\n", "tool", "run", "seconds", "msg/s", "MB/s", "max RSS")
	for _, r := range rows {
		secs := r.m.dur.Seconds()
		msgs, mb := "-", "-"
		if r.run == "first" {
			msgs = fmt.Sprintf("%.0f", float64(n)/secs)
			mb = fmt.Sprintf("%.1f", float64(total)/1e6/secs)
		}
		fmt.Fprintf(&b, "%-9s %-10s %9.2f %9s %9s %9s\n", r.tool, r.run, secs, msgs, mb, fetch.HumanBytes(r.m.maxRSS))
	}
	t.Log(b.String())
	fmt.Print(b.String())
}

func numCPU() int { return runtime.NumCPU() }
