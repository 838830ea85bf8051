package pop3

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testbin"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

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
	n := testbin.Bench(t, "POP3 fetch", 5000)
	s := dovecottest.Start(t, dovecottest.Options{})
	raws, total := testbin.Messages(mailgen.Options{Seed: 1}, n)
	start := time.Now()
	s.DeliverMaildir(t, "INBOX", raws)
	raws = nil
	debug.FreeOSMemory() // the generated mail, so that returning it does not overlap the runs
	t.Logf("delivered %d messages (%s) in %v", n, fetch.HumanBytes(total), time.Since(start).Round(time.Millisecond))

	fetcher := testbin.Fetcher{Addr: s.Addr(dovecottest.POP3), User: s.User(), Password: s.Password(),
		Archive: filepath.Join(t.TempDir(), "archive")}
	var rows []fetchtest.BenchRow
	first := fetcher
	first.CPUProfile = os.Getenv("MAILKEEP_BENCH_CPUPROFILE")
	rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep (fetch only)", Run: "first", Msgs: n, Bytes: total, M: testbin.Measure(t, first.Command())})
	if os.Getenv("MAILKEEP_BENCH_ONLY_FIRST") != "" {
		t.Logf("%v (CPU %v)\n%s", rows[0].M.Wall, rows[0].M.CPU, rows[0].M.Output)
		return
	}
	rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep (fetch only)", Run: "unchanged", M: testbin.Measure(t, fetcher.Command())})

	e := newE2E(t, s, "never")
	rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep binary (+index)", Run: "first", Msgs: n, Bytes: total, M: testbin.Measure(t, e.Command("fetch"))})
	rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep binary (+index)", Run: "unchanged", M: testbin.Measure(t, e.Command("fetch"))})

	if getmail, ok := testenv.LookPath("getmail"); ok {
		cmd, maildir := getmailCommand(t, s, getmail)
		rows = append(rows, fetchtest.BenchRow{Tool: "getmail6 (taskset -c 0)", Run: "first", Msgs: n, Bytes: total, M: testbin.Measure(t, cmd)})
		if got, _ := os.ReadDir(filepath.Join(maildir, "new")); len(got) != n {
			t.Errorf("getmail delivered %d messages, want %d:\n%s", len(got), n, rows[len(rows)-1].M.Output)
		}
	} else {
		t.Log("getmail not installed: no comparison")
	}
	if fetchmail, ok := testenv.LookPath("fetchmail"); ok {
		rows = append(rows, fetchtest.BenchRow{Tool: "fetchmail", Run: "first", Msgs: n, Bytes: total, M: testbin.Measure(t, fetchmailCommand(t, s, fetchmail))})
	} else {
		t.Log("fetchmail not installed: no comparison")
	}

	big := bigMessage(50 << 20)
	s.DeliverMaildir(t, "INBOX", [][]byte{big})
	rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep (fetch only)", Run: "+50 MB msg", Msgs: 1, Bytes: int64(len(big)), M: testbin.Measure(t, fetcher.Command())})
	rows = append(rows, fetchtest.BenchRow{Tool: "mailkeep binary (+index)", Run: "+50 MB msg", Msgs: 1, Bytes: int64(len(big)), M: testbin.Measure(t, e.Command("fetch"))})

	fetchtest.PrintBench(t, fmt.Sprintf("%d messages, %s, Dovecot POP3 on loopback; %d CPUs", n, fetch.HumanBytes(total), runtime.NumCPU()), rows)
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
