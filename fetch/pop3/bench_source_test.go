package pop3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// helperFetch archives the POP3 account described by
// MAILKEEP_POP3_HELPER_* (fetch.Run with this package's source, no
// index) and prints the run's totals as JSON.
func helperFetch() int {
	env := func(k string) string { return os.Getenv("MAILKEEP_POP3_HELPER_" + k) }
	if p := env("CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
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
	rep, err := fetch.Run(ctx, arc, []fetch.Source{NewSource(acct)}, fetch.Options{})
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
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
	out    string
}

// measure runs cmd and returns its wall time and peak resident memory.
//
// The peak is measured by a small launcher process (this test binary,
// see launch) that starts cmd and reports its rusage: Linux counts in a
// process's ru_maxrss the peak of the process it was exec'd from, so a
// child started straight from this test process, which holds thousands
// of messages, would be charged with the test's own memory.
func measure(tb testing.TB, cmd *exec.Cmd) measured {
	tb.Helper()
	report := filepath.Join(tb.TempDir(), "rusage")
	wrapped := exec.Command(os.Args[0], cmd.Args...)
	wrapped.Path = os.Args[0]
	wrapped.Args = append([]string{os.Args[0], cmd.Path}, cmd.Args[1:]...)
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	wrapped.Env = append(env, "MAILKEEP_POP3_LAUNCH=1", "MAILKEEP_POP3_LAUNCH_REPORT="+report)
	var out strings.Builder
	wrapped.Stdout, wrapped.Stderr = &out, &out
	if err := wrapped.Run(); err != nil {
		tb.Fatalf("%s: %v\n%s", cmd.Path, err, out.String())
	}
	var m measured
	js, err := os.ReadFile(report)
	if err == nil {
		var r struct{ Nanos, CPUNanos, MaxRSS int64 }
		err = json.Unmarshal(js, &r)
		m = measured{dur: time.Duration(r.Nanos), cpu: time.Duration(r.CPUNanos), maxRSS: r.MaxRSS}
	}
	if err != nil {
		tb.Fatalf("%s: no rusage report: %v", cmd.Path, err)
	}
	m.out = out.String()
	return m
}

// launch runs args[0] with args[1:] (for measure), its output passed
// through, and writes its wall time and peak RSS as JSON to
// $MAILKEEP_POP3_LAUNCH_REPORT. It exits with the command's status.
func launch(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAILKEEP_POP3_LAUNCH") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	start := time.Now()
	err := cmd.Run()
	dur := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var maxRSS int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	js, _ := json.Marshal(struct{ Nanos, CPUNanos, MaxRSS int64 }{int64(dur), int64(cpu), maxRSS})
	if werr := os.WriteFile(os.Getenv("MAILKEEP_POP3_LAUNCH_REPORT"), js, 0o600); werr != nil {
		fmt.Fprintln(os.Stderr, werr)
		return 1
	}
	return cmd.ProcessState.ExitCode()
}

// bigMessage is a message of about size bytes: a base64 attachment of
// random bytes.
func bigMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: big@example.org\r\nTo: alice@example.org\r\nSubject: a big one\r\nMessage-ID: <big@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n")
	raw := make([]byte, 57)
	line := make([]byte, 76)
	for b.Len() < size {
		rand.Read(raw)
		base64.StdEncoding.Encode(line, raw)
		b.Write(line)
		b.WriteString("\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// TestBenchPOP3 fills Dovecot's INBOX with generated mail and measures a
// first fetch (delete = never) and a re-run without changes, then peak
// memory with one 50 MB message; and getmail6 (and fetchmail, when
// installed) retrieving the same INBOX into a Maildir. mailkeep is
// measured twice: the fetch alone (this test binary as a child process:
// fetch.Run with the POP3 source) and the mailkeep binary's "fetch",
// which indexes what is new afterwards. Run it with MAILKEEP_BENCH=1
// (MAILKEEP_BENCH_N messages, default 5,000):
//
//	MAILKEEP_BENCH=1 go test -run TestBenchPOP3 -v ./fetch/pop3
//
// MAILKEEP_BENCH_CPUPROFILE=FILE profiles the first fetch, and
// MAILKEEP_BENCH_ONLY_FIRST=1 stops after it.
func TestBenchPOP3(t *testing.T) {
	if os.Getenv("MAILKEEP_BENCH") != "1" {
		t.Skip("set MAILKEEP_BENCH=1 to run the POP3 fetch benchmark")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("MAILKEEP_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	s := dovecottest.Start(t, dovecottest.Options{})
	var raws [][]byte
	var total int64
	for _, m := range mailgen.Generate(mailgen.Options{Seed: 1}, n) {
		raws = append(raws, m.Raw)
		total += int64(len(m.Raw))
	}
	start := time.Now()
	s.DeliverMaildir(t, "INBOX", raws)
	t.Logf("delivered %d messages (%s) in %v", n, fetch.HumanBytes(total), time.Since(start).Round(time.Millisecond))

	helper := func(arc string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MAILKEEP_POP3_HELPER=1",
			"MAILKEEP_POP3_HELPER_ADDR="+s.Addr(dovecottest.POP3), "MAILKEEP_POP3_HELPER_USER="+s.User(),
			"MAILKEEP_POP3_HELPER_PASSWORD="+s.Password(), "MAILKEEP_POP3_HELPER_ARCHIVE="+arc,
			"MAILKEEP_POP3_HELPER_CPUPROFILE="+os.Getenv("MAILKEEP_BENCH_CPUPROFILE"))
		return cmd
	}
	type row struct {
		tool, run string
		msgs      int
		bytes     int64
		m         measured
	}
	var rows []row
	arc := filepath.Join(t.TempDir(), "archive")
	rows = append(rows, row{"mailkeep (fetch only)", "first", n, total, measure(t, helper(arc))})
	os.Setenv("MAILKEEP_BENCH_CPUPROFILE", "")
	if os.Getenv("MAILKEEP_BENCH_ONLY_FIRST") != "" {
		t.Logf("%v (CPU %v)\n%s", rows[0].m.dur, rows[0].m.cpu, rows[0].m.out)
		return
	}
	rows = append(rows, row{"mailkeep (fetch only)", "unchanged", 0, 0, measure(t, helper(arc))})

	e := newE2E(t, s, "never")
	rows = append(rows, row{"mailkeep binary (+index)", "first", n, total, measure(t, e.command("fetch"))})
	rows = append(rows, row{"mailkeep binary (+index)", "unchanged", 0, 0, measure(t, e.command("fetch"))})

	if getmail, ok := testenv.LookPath("getmail"); ok {
		cmd, maildir := getmailCommand(t, s, getmail)
		rows = append(rows, row{"getmail6 (taskset -c 0)", "first", n, total, measure(t, cmd)})
		if got, _ := os.ReadDir(filepath.Join(maildir, "new")); len(got) != n {
			t.Errorf("getmail delivered %d messages, want %d:\n%s", len(got), n, rows[len(rows)-1].m.out)
		}
	} else {
		t.Log("getmail not installed: no comparison")
	}
	if fetchmail, ok := testenv.LookPath("fetchmail"); ok {
		rows = append(rows, row{"fetchmail", "first", n, total, measure(t, fetchmailCommand(t, s, fetchmail))})
	} else {
		t.Log("fetchmail not installed: no comparison")
	}

	big := bigMessage(50 << 20)
	s.DeliverMaildir(t, "INBOX", [][]byte{big})
	rows = append(rows, row{"mailkeep (fetch only)", "+50 MB msg", 1, int64(len(big)), measure(t, helper(arc))})
	rows = append(rows, row{"mailkeep binary (+index)", "+50 MB msg", 1, int64(len(big)), measure(t, e.command("fetch"))})

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d messages, %s, Dovecot POP3 on loopback; %d CPUs\n", n, fetch.HumanBytes(total), runtime.NumCPU())
	fmt.Fprintf(&b, "%-26s %-11s %9s %9s %9s %9s %9s\n", "tool", "run", "seconds", "CPU s", "msg/s", "MB/s", "max RSS")
	for _, r := range rows {
		secs := r.m.dur.Seconds()
		msgs, mb := "-", "-"
		if r.msgs > 1 {
			msgs = fmt.Sprintf("%.0f", float64(r.msgs)/secs)
		}
		if r.bytes > 0 {
			mb = fmt.Sprintf("%.1f", float64(r.bytes)/1e6/secs)
		}
		fmt.Fprintf(&b, "%-26s %-11s %9.2f %9.2f %9s %9s %9s\n", r.tool, r.run, secs, r.m.cpu.Seconds(), msgs, mb, fetch.HumanBytes(r.m.maxRSS))
	}
	t.Log(b.String())
	fmt.Print(b.String())
}

// getmailCommand writes a getmailrc that retrieves the INBOX over POP3
// into a new Maildir (read_all, delete = false) and returns the command,
// pinned to one CPU (getmail6 can hang on two).
func getmailCommand(t *testing.T, s *dovecottest.Server, getmail string) (*exec.Cmd, string) {
	dir := t.TempDir()
	// getmail refuses to deliver as root: it then delivers as nobody, into
	// a Maildir that nobody can reach.
	deliverAs := ""
	maildir := filepath.Join(dir, "Maildir")
	var uid, gid int
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("getmail as root needs the user nobody: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		deliverAs = "user = nobody\n"
		top, err := os.MkdirTemp("", "getmail-bench")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(top) })
		if err := os.Chmod(top, 0o755); err != nil {
			t.Fatal(err)
		}
		maildir = filepath.Join(top, "Maildir")
	}
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		p := filepath.Join(maildir, sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if deliverAs != "" {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	host, port, _ := net.SplitHostPort(s.Addr(dovecottest.POP3))
	rc := fmt.Sprintf(`[retriever]
type = SimplePOP3Retriever
server = %s
port = %s
username = %s
password = %s

[destination]
type = Maildir
path = %s/
%s
[options]
read_all = true
delete = false
verbose = 0
message_log_syslog = false
`, host, port, s.User(), s.Password(), maildir, deliverAs)
	if err := os.WriteFile(filepath.Join(dir, "getmailrc"), []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--rcfile=getmailrc", "--getmaildir=" + dir}
	if taskset, ok := testenv.LookPath("taskset"); ok {
		return exec.Command(taskset, append([]string{"-c", "0", getmail}, args...)...), maildir
	}
	return exec.Command(getmail, args...), maildir
}

// fetchmailCommand retrieves the INBOX with fetchmail into an mbox
// (--all, --keep).
func fetchmailCommand(t *testing.T, s *dovecottest.Server, fetchmail string) *exec.Cmd {
	dir := t.TempDir()
	host, port, _ := net.SplitHostPort(s.Addr(dovecottest.POP3))
	rc := filepath.Join(dir, "fetchmailrc")
	conf := fmt.Sprintf("poll %s protocol pop3 service %s auth password user %q password %q is %q mda \"/bin/sh -c 'cat >> %s/mbox'\" sslproto '' \n",
		host, port, s.User(), s.Password(), os.Getenv("USER"), dir)
	if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(fetchmail, "-f", rc, "--all", "--keep", "--nosyslog", "--silent")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	return cmd
}
