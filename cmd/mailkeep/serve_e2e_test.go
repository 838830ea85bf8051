package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
)

// TestServeFetchesOnScheduleAndStopsCleanly runs the mailkeep binary's
// serve with a schedule every two seconds against an in-process IMAP
// server: mail delivered while it runs becomes searchable without a
// restart; "mailkeep fetch" meanwhile asks the server instead of failing;
// SIGTERM in the middle of a run stops it with exit 0 and, after a
// restart, every message is archived exactly once.
func TestServeFetchesOnScheduleAndStopsCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startMemIMAP(t)
	srv.deliver(t, 0, 20)
	cfg := writeServeConfig(t, dir, srv, "@every 2s")
	arcDir := filepath.Join(dir, "archive")

	p := startProc(t, nil, "--config", cfg, "serve", "--listen", "127.0.0.1:0")
	base := p.waitURL(t)
	eventually(t, "the first 20 messages in /api/search", func() bool { return searchTotal(t, base, probeWord) == 20 })

	// serve.addr names the server.
	if got, want := readAddrFile(arcDir), strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"); got != want {
		t.Fatalf("%s holds %q, want %q", addrFile, got, want)
	}

	// New mail on the server appears without a restart.
	srv.deliver(t, 20, 5)
	eventually(t, "25 messages in /api/search", func() bool { return searchTotal(t, base, probeWord) == 25 })
	if n := searchTotal(t, base, "sighting 23"); n != 1 {
		t.Fatalf(`search "sighting 23" = %d hits, want 1`, n)
	}

	// "mailkeep fetch" finds the archive locked and asks the server.
	var out bytes.Buffer
	a := &app{env: env{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" },
		lookupEnv: func(string) (string, bool) { return "", false }}, configFlag: cfg, log: slog.New(slog.DiscardHandler)}
	_, err := archive.Open(context.Background(), arcDir, archive.Options{})
	if !archive.IsLocked(err) {
		t.Fatalf("archive.Open while serve runs = %v, want locked", err)
	}
	if err := a.fetchViaServer(context.Background(), err); err != nil {
		t.Fatalf("fetchViaServer = %v", err)
	}
	if !strings.Contains(out.String(), "mailkeep serve (pid ") || !strings.Contains(out.String(), base+"status") {
		t.Fatalf("fetchViaServer printed %q", out.String())
	}

	// A big delivery on a slow connection: stop serve in the middle of
	// fetching it.
	srv.deliver(t, 25, 600)
	srv.perKB.Store(int64(5 * time.Millisecond))
	eventually(t, "a run in progress", func() bool {
		var st struct {
			Running bool   `json:"running"`
			Current string `json:"current"`
		}
		getJSON(t, base, "api/status", &st)
		return st.Running && strings.Contains(st.Current, "home/INBOX")
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM, want 0\n%s", code, p.output())
	}
	if _, err := os.Stat(filepath.Join(arcDir, addrFile)); !os.IsNotExist(err) {
		t.Fatalf("%s is still there after serve stopped (%v)", addrFile, err)
	}
	before := runBin(t, "--archive", arcDir, "stats", "--json").Must(t).Stats(t)
	if before["messages"] < 25 || before["messages"] >= 625 {
		t.Fatalf("after SIGTERM mid-run: %d messages archived, want 25 ≤ n < 625 (was the run really stopped half way?)", before["messages"])
	}

	t.Logf("SIGTERM mid-run left %d of 625 messages archived", before["messages"])

	// Restart: the rest is fetched, nothing twice.
	srv.perKB.Store(0)
	p = startProc(t, nil, "--config", cfg, "serve", "--listen", "127.0.0.1:0")
	base = p.waitURL(t)
	eventually(t, "all 625 messages in /api/search", func() bool { return searchTotal(t, base, probeWord) == 625 })
	if code := p.stop(t, syscall.SIGINT); code != 0 {
		t.Fatalf("serve exited %d after SIGINT, want 0\n%s", code, p.output())
	}
	st := runBin(t, "--archive", arcDir, "stats", "--json").Must(t).Stats(t)
	if st["messages"] != 625 || st["locations"] != 625 || st["indexed"] != 625 {
		t.Fatalf("after restart stats = %v, want 625 messages, locations and indexed", st)
	}
	runBin(t, "--archive", arcDir, "verify").Must(t)
}

// TestServeRefusesOpenListenWithoutPassword: a listen address other
// machines can reach needs a web password; that is a usage error (exit 2)
// before anything is opened.
func TestServeRefusesOpenListenWithoutPassword(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := runIn(t, nil, "--archive", dir, "serve", "--listen", "0.0.0.0:8025")
	if r.Code != 2 || !strings.Contains(r.Stderr, "password") {
		t.Fatalf("serve --listen 0.0.0.0:8025 without a password: exit %d, stderr %q; want 2 and a word about the password", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "FORMAT")); !os.IsNotExist(err) {
		t.Fatalf("the refused serve created an archive (%v)", err)
	}
}

// TestServeWhileServing: a second serve on the same archive is refused
// with the lock message, the first one keeps running.
func TestServeWhileServing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := startProc(t, []string{"MAILKEEP_CONFIG=/nonexistent/config.toml"}, "--archive", dir, "serve", "--listen", "127.0.0.1:0")
	base := p.waitURL(t)
	r := runIn(t, nil, "--archive", dir, "serve", "--listen", "127.0.0.1:0")
	if r.Code != 1 || !strings.Contains(r.Stderr, "in use by mailkeep (pid "+strconv.Itoa(p.cmd.Process.Pid)+")") {
		t.Fatalf("second serve: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if n := searchTotal(t, base, ""); n != 0 {
		t.Fatalf("empty archive search = %d", n)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("serve exited %d, want 0\n%s", code, p.output())
	}
}

// TestSecondSignalExits: after the first signal starts a graceful stop, a
// second one exits at once.
func TestSecondSignalExits(t *testing.T) {
	exited := make(chan int, 1)
	defer func(e func(int), d time.Duration) { exitNow, sameSignal = e, d }(exitNow, sameSignal)
	exitNow = func(code int) { exited <- code }
	sameSignal = 0
	var stderr bytes.Buffer
	a := &app{env: env{stderr: &stderr}}
	stop := a.exitOnSecondSignal()
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	if code := <-exited; code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "second signal") {
		t.Fatalf("stderr %q", stderr.String())
	}
}

// TestRepeatedSignalIsOne: a signal repeated within moments (GNU timeout
// signals the process and then its group) is not a second one.
func TestRepeatedSignalIsOne(t *testing.T) {
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var s signals
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{{0, false}, {time.Millisecond, false}, {sameSignal - 1, false}, {sameSignal, true}, {time.Minute, true}} {
		if got := s.second(t0.Add(c.at)); got != c.want {
			t.Errorf("signal at +%v: second = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8025": "127.0.0.1:8025",
		"0.0.0.0:8025":   "127.0.0.1:8025",
		"[::]:8025":      "[::1]:8025",
		":8025":          "127.0.0.1:8025",
		"[::1]:9":        "[::1]:9",
	} {
		if got := dialAddr(in); got != want {
			t.Errorf("dialAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAllowedHosts(t *testing.T) {
	hosts, err := allowedHosts("mail.home.example:8025", "192.0.2.7:8025")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1:8025", "192.0.2.7:8025", "mail.home.example:8025"}
	for _, w := range want {
		found := false
		for _, h := range hosts {
			found = found || h == w
		}
		if !found {
			t.Errorf("allowedHosts = %v, want it to hold %s", hosts, w)
		}
	}
}

func TestAddrFile(t *testing.T) {
	dir := t.TempDir()
	remove, err := writeAddrFile(dir, "127.0.0.1:1234")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAddrFile(dir); got != "127.0.0.1:1234" {
		t.Fatalf("readAddrFile = %q", got)
	}
	remove()
	if got := readAddrFile(dir); got != "" {
		t.Fatalf("after remove readAddrFile = %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
