package demo

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailkeep/mailkeep/config"
)

func TestMailIsDeterministicAndVaried(t *testing.T) {
	a, b := Mail(Options{}), Mail(Options{})
	if len(a) != len(b) {
		t.Fatalf("Mail twice: %d and %d messages", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Raw, b[i].Raw) || a[i].Mailbox != b[i].Mailbox {
			t.Fatalf("Mail twice differs at message %d", i)
		}
	}
	boxes := map[string]int{}
	var accounts, charsets = map[string]int{}, map[string]bool{}
	for _, m := range a {
		boxes[m.Account+"/"+m.Mailbox]++
		accounts[m.Account]++
		if !bytes.HasSuffix(m.Raw, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(m.Raw, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("message %d has a bare LF or no final CRLF", len(charsets))
		}
		for _, cs := range []string{"iso-8859-7", "windows-1251", "iso-8859-1", "utf-8"} {
			if bytes.Contains(bytes.ToLower(m.Raw), []byte("charset="+cs)) {
				charsets[cs] = true
			}
		}
	}
	for _, box := range []string{"home/INBOX", "home/Sent", "home/Archive", "home/Lists/golang", "home/Räkningar", "old-isp/INBOX"} {
		if boxes[box] < 5 {
			t.Errorf("%s has %d messages, want a few", box, boxes[box])
		}
	}
	if len(charsets) != 4 {
		t.Errorf("charsets %v, want UTF-8, ISO-8859-7, windows-1251 and ISO-8859-1", charsets)
	}
	if n := len(a); n < 300 || n > 400 {
		t.Errorf("%d messages, want a few hundred", n)
	}
}

func TestHandcrafted(t *testing.T) {
	msgs := handcrafted()
	find := func(s string) Message {
		t.Helper()
		for _, m := range msgs {
			if bytes.Contains(m.Raw, []byte(s)) {
				return m
			}
		}
		t.Fatalf("no handcrafted message contains %q", s)
		return Message{}
	}
	nl := find("track.archivist.example/open.gif")
	if nl.Mailbox != ListsGo || !bytes.Contains(nl.Raw, []byte("text/html")) {
		t.Errorf("the newsletter is in %s, HTML %v", nl.Mailbox, bytes.Contains(nl.Raw, []byte("text/html")))
	}
	inv := find("faktura-2024-117.pdf")
	if inv.Mailbox != Bills || !bytes.Contains(inv.Raw, []byte("Content-Disposition: attachment")) {
		t.Errorf("the invoice is in %s", inv.Mailbox)
	}
	pdf := minimalPDF("x")
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Errorf("minimalPDF = %q", pdf)
	}
	thread := 0
	for _, m := range msgs {
		if bytes.Contains(m.Raw, []byte("trip-1@example.gr")) {
			thread++
		}
	}
	if thread != 4 {
		t.Errorf("the thread has %d messages naming its first, want 4", thread)
	}
}

// TestServers logs in to both servers and counts what they hold.
func TestServers(t *testing.T) {
	s, err := Start(Options{Generated: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]int{}
	for _, m := range Mail(Options{Generated: 20}) {
		want[m.Account+"/"+m.Mailbox]++
	}

	c, err := imapclient.DialInsecure(s.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(User, Password).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
		st, err := c.Status(l.Mailbox, &goimap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if got := int(*st.NumMessages); got != want[IMAPAccount+"/"+l.Mailbox] {
			t.Errorf("IMAP %s holds %d messages, want %d", l.Mailbox, got, want[IMAPAccount+"/"+l.Mailbox])
		}
	}
	if !slices.Contains(names, Bills) {
		t.Errorf("IMAP mailboxes %q, want %q among them", names, Bills)
	}

	conn, err := net.DialTimeout("tcp", s.POP3Addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	say := func(cmd string) string {
		t.Helper()
		if cmd != "" {
			fmt.Fprintf(conn, "%s\r\n", cmd)
		}
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "+OK") {
			t.Fatalf("POP3 %q: %q, %v", cmd, line, err)
		}
		return line
	}
	say("")
	say("USER " + User)
	say("PASS " + Password)
	var n int
	fmt.Sscanf(say("STAT"), "+OK %d", &n)
	if n != want[POP3Account+"/INBOX"] {
		t.Errorf("POP3 STAT: %d messages, want %d", n, want[POP3Account+"/INBOX"])
	}
	say("QUIT")
}

func TestConfigNamesBothServers(t *testing.T) {
	s := &Servers{IMAPAddr: "127.0.0.1:1143", POP3Addr: "127.0.0.1:1110"}
	cfg := string(s.Config("/tmp/demo/archive"))
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.LoadWith(path, config.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("the demo config does not load: %v\n%s", err, cfg)
	}
	if len(c.Accounts) != 2 || c.Accounts[0].Protocol != config.IMAP || c.Accounts[1].Protocol != config.POP3 {
		t.Fatalf("accounts %v", c.Accounts)
	}
	for _, want := range []string{`archive_dir = "/tmp/demo/archive"`, `port = 1143`, `port = 1110`, `protocol = "pop3"`, `cron = "@hourly"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %s:\n%s", want, cfg)
		}
	}
}
