package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailkeep/mailkeep/internal/testbin"
)

// waitTimeout bounds every wait for the mailkeep process; generous, since
// CI machines are slow, and never reached when things work.
const waitTimeout = 90 * time.Second

// memIMAP is an in-process IMAP server (imapmemserver) on 127.0.0.1:0
// whose connections can be slowed down, so that a test can stop a fetch
// half way.
type memIMAP struct {
	addr string
	user *imapmemserver.User
	// perKB is slept for every KiB the server sends.
	perKB atomic.Int64
}

const imapUser, imapPassword = "kim", "serve-test-password"

func startMemIMAP(tb testing.TB) *memIMAP {
	tb.Helper()
	mem := imapmemserver.New()
	s := &memIMAP{user: imapmemserver.NewUser(imapUser, imapPassword)}
	mem.AddUser(s.user)
	if err := s.user.Create("INBOX", nil); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = ln.Addr().String()
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         goimap.CapSet{goimap.CapIMAP4rev1: {}},
		InsecureAuth: true,
	})
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(&slowListener{Listener: ln, s: s}) })
	tb.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	return s
}

type slowListener struct {
	net.Listener
	s *memIMAP
}

func (l *slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &slowConn{Conn: c, s: l.s}, nil
}

type slowConn struct {
	net.Conn
	s *memIMAP
}

func (c *slowConn) Write(p []byte) (int, error) {
	if d := time.Duration(c.s.perKB.Load()); d > 0 {
		time.Sleep(d * time.Duration(len(p)+1023) / 1024)
	}
	return c.Conn.Write(p)
}

// probeWord is in every test message, so a search for it counts them.
const probeWord = "kingfisher"

// serveMessage is a distinct small message.
func serveMessage(i int) []byte {
	return fmt.Appendf(nil, "From: Sender %d <s%d@example.org>\r\nTo: kim@example.org\r\nSubject: note %d\r\n"+
		"Date: Mon, 6 May 2024 07:08:09 +0000\r\nMessage-ID: <serve-%d@example.org>\r\n\r\n"+
		"A %s was seen near the river, sighting number %d.\r\n%s", i, i, i, i, probeWord, i, strings.Repeat("Filler line of the report.\r\n", 20))
}

// deliver appends messages from..from+n-1 to the INBOX.
func (s *memIMAP) deliver(tb testing.TB, from, n int) {
	tb.Helper()
	for i := from; i < from+n; i++ {
		if _, err := s.user.Append("INBOX", bytes.NewReader(serveMessage(i)), &goimap.AppendOptions{Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}); err != nil {
			tb.Fatal(err)
		}
	}
}

func (s *memIMAP) port() string { _, p, _ := net.SplitHostPort(s.addr); return p }

// writeServeConfig writes a config with the IMAP account and a schedule.
func writeServeConfig(tb testing.TB, dir string, s *memIMAP, cron string) string {
	tb.Helper()
	path := filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(`archive_dir = %q

[schedule]
cron = %q

[[account]]
name = "home"
protocol = "imap"
host = "127.0.0.1"
port = %s
security = "none"
username = %q
password = %q
`, filepath.Join(dir, "archive"), cron, s.port(), imapUser, imapPassword)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// proc is a running mailkeep binary whose output the test reads.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer // stdout so far
	errb   bytes.Buffer // stderr so far
	url    chan string  // the first URL printed on stdout
	done   chan struct{}
	code   int
	readWG sync.WaitGroup
}

var urlRE = regexp.MustCompile(`http://[^\s/]+/`)

// startProc starts the mailkeep binary with argv, with a clean
// environment plus env; the test's end kills it if it still runs.
func startProc(tb testing.TB, env []string, argv ...string) *proc {
	tb.Helper()
	k := testbin.Mailkeep{Bin: testbin.Binary(tb), Env: env}
	p := &proc{cmd: k.Command(argv...), url: make(chan string, 1), done: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p.readWG.Go(func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if u := urlRE.FindString(sc.Text()); u != "" && !sent {
				p.url <- u
				sent = true
			}
		}
	})
	p.readWG.Go(func() {
		b := make([]byte, 4096)
		for {
			n, err := stderr.Read(b)
			p.mu.Lock()
			p.errb.Write(b[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	})
	go func() {
		p.readWG.Wait()
		err := p.cmd.Wait()
		p.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "stdout:\n" + p.out.String() + "\nstderr:\n" + p.errb.String()
}

// waitURL returns the URL the process printed.
func (p *proc) waitURL(tb testing.TB) string {
	tb.Helper()
	select {
	case u := <-p.url:
		return u
	case <-p.done:
		tb.Fatalf("mailkeep exited (%d) before serving\n%s", p.code, p.output())
	case <-time.After(waitTimeout):
		tb.Fatalf("mailkeep printed no URL in %v\n%s", waitTimeout, p.output())
	}
	return ""
}

// stop sends sig and waits for the process to exit; it returns the code.
func (p *proc) stop(tb testing.TB, sig syscall.Signal) int {
	tb.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.code
	case <-time.After(waitTimeout):
		tb.Fatalf("mailkeep did not stop in %v after %v\n%s", waitTimeout, sig, p.output())
	}
	return 0
}

// getJSON GETs base+path and decodes the JSON answer into v.
func getJSON(tb testing.TB, base, path string, v any) {
	tb.Helper()
	resp, err := http.Get(base + strings.TrimPrefix(path, "/"))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		tb.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// searchTotal returns the total of /api/search?q=query.
func searchTotal(tb testing.TB, base, query string) int {
	tb.Helper()
	var res struct {
		Total int `json:"total"`
	}
	getJSON(tb, base, "api/search?q="+url.QueryEscape(query), &res)
	return res.Total
}

// eventually polls cond until it holds or waitTimeout passes. It waits on
// another process (the server), which no fake clock can drive.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
