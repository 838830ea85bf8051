package imap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
)

const (
	testUser     = "alice"
	testPassword = "s3cret-Pa55word"
)

// memServer is an in-process IMAP server (go-imap's imapmemserver) on
// 127.0.0.1:0 for the source under test, with a record of every line the
// clients sent and a hook to make FETCH misbehave. Admin, a second
// listener on the same mail, is not recorded: tests change the mail
// through it.
type memServer struct {
	t    testing.TB
	mem  *imapmemserver.Server
	user *imapmemserver.User
	addr string // recorded listener
	adm  string // admin listener

	opts       memOptions
	mu         sync.Mutex
	sent       bytes.Buffer // what clients sent to addr
	fetchHook  fetchHook
	selectFail map[string]bool // EXAMINE of these mailboxes fails
	sessions   int             // logged in on the recorded listener now
	peak       int             // the most sessions at once
}

// fetchHook replaces a body FETCH (one with a body section); inner is the
// real session.
type fetchHook func(inner imapserver.Session, w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error

type memOptions struct {
	tls      *tls.Config // offer STARTTLS
	loginOff bool        // no LOGIN without TLS
	maxConns int         // refuse a login beyond this many sessions at once; 0: no limit
}

func newMemServer(t testing.TB) *memServer { return newMemServerOpts(t, memOptions{}) }

func newMemServerOpts(t testing.TB, o memOptions) *memServer {
	t.Helper()
	s := &memServer{t: t, mem: imapmemserver.New(), user: imapmemserver.NewUser(testUser, testPassword)}
	s.mem.AddUser(s.user)
	if err := s.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	s.opts = o
	srv, adm := s.newServer(true), s.newServer(false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr, s.adm = ln.Addr().String(), aln.Addr().String()
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(&recListener{Listener: ln, s: s}) })
	wg.Go(func() { adm.Serve(aln) })
	t.Cleanup(func() {
		srv.Close()
		adm.Close()
		wg.Wait()
	})
	return s
}

// newServer returns a server on s's mail; recorded ones have the hook.
func (s *memServer) newServer(recorded bool) *imapserver.Server {
	return imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := s.mem.NewSession()
			if !recorded {
				return sess, nil, nil
			}
			return &hookSession{Session: sess, s: s}, nil, nil
		},
		Caps:         goimap.CapSet{goimap.CapIMAP4rev1: {}},
		InsecureAuth: !s.opts.loginOff,
		TLSConfig:    s.opts.tls,
		Logger:       nopLogger{},
	})
}

// newPlainServer returns another server on s's mail, without hook.
func newPlainServer(s *memServer) *imapserver.Server { return s.newServer(false) }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// hookSession lets a test replace body FETCHes.
type hookSession struct {
	imapserver.Session
	s        *memServer
	loggedIn bool
}

func (h *hookSession) Login(user, pass string) error {
	h.s.mu.Lock()
	full := h.s.opts.maxConns > 0 && h.s.sessions >= h.s.opts.maxConns
	h.s.mu.Unlock()
	if full {
		return &goimap.Error{Type: goimap.StatusResponseTypeNo, Code: goimap.ResponseCodeLimit, Text: "too many connections"}
	}
	if err := h.Session.Login(user, pass); err != nil {
		return err
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	h.loggedIn = true
	h.s.sessions++
	h.s.peak = max(h.s.peak, h.s.sessions)
	return nil
}

func (h *hookSession) Close() error {
	h.s.mu.Lock()
	if h.loggedIn {
		h.s.sessions--
		h.loggedIn = false
	}
	h.s.mu.Unlock()
	return h.Session.Close()
}

// peakSessions returns the most sessions that were logged in at once.
func (s *memServer) peakSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

func (h *hookSession) Fetch(w *imapserver.FetchWriter, set goimap.NumSet, opts *goimap.FetchOptions) error {
	h.s.mu.Lock()
	hook := h.s.fetchHook
	h.s.mu.Unlock()
	if hook != nil && len(opts.BodySection) > 0 {
		return hook(h.Session, w, set, opts)
	}
	return h.Session.Fetch(w, set, opts)
}

func (h *hookSession) Select(name string, opts *goimap.SelectOptions) (*goimap.SelectData, error) {
	h.s.mu.Lock()
	fail := h.s.selectFail[name]
	h.s.mu.Unlock()
	if fail {
		return nil, &goimap.Error{Type: goimap.StatusResponseTypeNo, Code: goimap.ResponseCodeServerBug, Text: "mailbox index is corrupt"}
	}
	return h.Session.Select(name, opts)
}

func (s *memServer) setHook(h fetchHook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetchHook = h
}

// recListener records what clients send.
type recListener struct {
	net.Listener
	s *memServer
}

func (l *recListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recConn{Conn: c, s: l.s}, nil
}

type recConn struct {
	net.Conn
	s *memServer
}

func (c *recConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.s.mu.Lock()
	c.s.sent.Write(p[:n])
	c.s.mu.Unlock()
	return n, err
}

// commands returns the command lines clients sent since the last call
// (literal data, which the source never sends, would be mixed in).
func (s *memServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(s.sent.String(), "\r\n", "\n")), "\n")
	s.sent.Reset()
	return lines
}

// port returns the recorded listener's port.
func (s *memServer) port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// account returns an account for the recorded listener.
func (s *memServer) account() fetch.Account {
	return fetch.Account{
		Name: "acct", Host: "127.0.0.1", Port: s.port(), Security: fetch.None, Username: testUser,
		Password: func(context.Context) (string, error) { return testPassword, nil },
		Timeout:  10 * time.Second,
	}
}

// admin returns a logged-in client on the unrecorded listener.
func (s *memServer) admin() *imapclient.Client {
	s.t.Helper()
	c, err := imapclient.DialInsecure(s.adm, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// create makes a mailbox.
func (s *memServer) create(name string) {
	s.t.Helper()
	if err := s.user.Create(name, nil); err != nil {
		s.t.Fatalf("create %q: %v", name, err)
	}
}

// deliver appends messages to a mailbox and returns their UIDs.
func (s *memServer) deliver(mailbox string, msgs ...[]byte) []uint32 {
	s.t.Helper()
	var uids []uint32
	for _, m := range msgs {
		d, err := s.user.Append(mailbox, bytes.NewReader(m), &goimap.AppendOptions{Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)})
		if err != nil {
			s.t.Fatalf("append to %q: %v", mailbox, err)
		}
		uids = append(uids, uint32(d.UID))
	}
	return uids
}

// flags returns the flags of every message of a mailbox by UID, read-only.
func (s *memServer) flags(mailbox string) map[uint32][]string {
	s.t.Helper()
	c := s.admin()
	defer c.Logout()
	if _, err := c.Select(mailbox, &goimap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		s.t.Fatal(err)
	}
	msgs, err := c.Fetch(goimap.SeqSet{{Start: 1, Stop: 0}}, &goimap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[uint32][]string{}
	for _, m := range msgs {
		out[uint32(m.UID)] = flagStrings(m.Flags)
	}
	return out
}

// store changes flags of one message (admin, SELECT).
func (s *memServer) store(mailbox string, uid uint32, op goimap.StoreFlagsOp, flags ...goimap.Flag) {
	s.t.Helper()
	c := s.admin()
	defer c.Logout()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		s.t.Fatal(err)
	}
	if err := c.Store(goimap.UIDSetNum(goimap.UID(uid)), &goimap.StoreFlags{Op: op, Flags: flags, Silent: true}, nil).Close(); err != nil {
		s.t.Fatal(err)
	}
}

// expunge removes messages (admin).
func (s *memServer) expunge(mailbox string, uids ...uint32) {
	s.t.Helper()
	for _, uid := range uids {
		s.store(mailbox, uid, goimap.StoreFlagsAdd, goimap.FlagDeleted)
	}
	c := s.admin()
	defer c.Logout()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		s.t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		s.t.Fatal(err)
	}
}

// testMessage returns a distinct small message.
func testMessage(i int, extra string) []byte {
	return fmt.Appendf(nil, "From: Sender %d <s%d@example.org>\r\nTo: me@example.org\r\nSubject: message %d\r\n"+
		"Date: Mon, 6 May 2024 07:08:09 +0000\r\nMessage-ID: <m%d@example.org>\r\n\r\nBody of message %d.\r\n%s\r\n", i, i, i, i, i, extra)
}

func testMessages(from, n int) [][]byte {
	var out [][]byte
	for i := from; i < from+n; i++ {
		out = append(out, testMessage(i, strings.Repeat("line of text\r\n", i%7)))
	}
	return out
}

// box returns a mailbox's report.
func box(t testing.TB, rep *fetch.Report, name string) *fetch.MailboxReport {
	t.Helper()
	for _, a := range rep.Accounts {
		for _, m := range a.Mailboxes {
			if m.Mailbox == name {
				return m
			}
		}
	}
	t.Fatalf("no report for mailbox %q in %s", name, rep.Summary())
	return nil
}

// id is a message's archive ID.
func id(raw []byte) archive.ID { return archive.ID(sha256.Sum256(raw)) }

// checkArchived fails unless the archive holds exactly msgs (byte-exact)
// at their locations in account/mailbox under their UIDs.
func checkArchived(t testing.TB, arc *archive.Archive, account, mailbox string, msgs map[uint32][]byte) {
	t.Helper()
	locs, err := arc.MailboxLocations(context.Background(), account, mailbox)
	if err != nil {
		t.Fatal(err)
	}
	live := map[uint32]archive.Location{}
	for _, l := range locs {
		if l.GoneSince.IsZero() && !l.Superseded {
			if _, dup := live[l.UID]; dup {
				t.Errorf("%s: UID %d recorded twice", mailbox, l.UID)
			}
			live[l.UID] = l
		}
	}
	for uid, raw := range msgs {
		l, ok := live[uid]
		if !ok {
			t.Errorf("%s: UID %d not archived", mailbox, uid)
			continue
		}
		if l.Message != id(raw) {
			t.Errorf("%s: UID %d archived as %s, want %s", mailbox, uid, l.Message.Short(), id(raw).Short())
			continue
		}
		got, err := arc.ReadAll(l.Message)
		if err != nil {
			t.Errorf("%s: UID %d: ReadAll: %v", mailbox, uid, err)
		} else if !bytes.Equal(got, raw) {
			t.Errorf("%s: UID %d: archived bytes differ from the server's", mailbox, uid)
		}
	}
	for uid := range live {
		if _, ok := msgs[uid]; !ok {
			t.Errorf("%s: UID %d archived but not expected", mailbox, uid)
		}
	}
}

// bodyFetches returns the body FETCH commands among lines.
func bodyFetches(lines []string) []string {
	var out []string
	for _, l := range lines {
		if bodyFetchRE.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// bodyFetchRE matches FETCH commands that ask for message content.
var bodyFetchRE = regexp.MustCompile(`(?i)^\S+ (UID )?FETCH .*(BODY(\.PEEK)?\[|BINARY|RFC822([ )]|$|\.TEXT))`)

// fetchedUIDs returns the UID sets of body FETCH commands.
func fetchedUIDs(lines []string) []string {
	var out []string
	for _, l := range bodyFetches(lines) {
		f := strings.Fields(l)
		out = append(out, f[3])
	}
	return out
}

func mapOf(uids []uint32, msgs [][]byte) map[uint32][]byte {
	m := map[uint32][]byte{}
	for i, u := range uids {
		m[u] = msgs[i]
	}
	return m
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	var ks []uint32
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
