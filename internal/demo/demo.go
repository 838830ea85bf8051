// Package demo runs the mail servers of "mailkeep demo": an IMAP server
// (go-imap's imapmemserver) and a POP3 server (pop3test), both in-process
// on loopback and without TLS, holding the sample mail of Mail. Nothing
// leaves the machine and nothing is written to disk.
package demo

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
)

// The demo's login on both servers.
const (
	User     = "alex"
	Password = "demo-password"
)

// Options shape the demo. The zero value is the standard demo.
type Options struct {
	// Generated is the number of generated messages besides the
	// handcrafted ones; default 300.
	Generated int
	// Seed makes another set of generated messages; default 1.
	Seed   uint64
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Generated <= 0 {
		o.Generated = 300
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Servers are the running demo servers.
type Servers struct {
	IMAPAddr string // host:port
	POP3Addr string
	Messages int // messages on the servers, counting each copy

	imap *imapserver.Server
	pop3 *pop3test.Server
	wg   sync.WaitGroup
}

// Start starts both servers on 127.0.0.1 (ports chosen by the system) and
// fills them with Mail(o). Close stops them.
func Start(o Options) (_ *Servers, err error) {
	o = o.withDefaults()
	msgs := Mail(o)
	s := &Servers{Messages: len(msgs)}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	mem := imapmemserver.New()
	user := imapmemserver.NewUser(User, Password)
	mem.AddUser(user)
	for _, mb := range []string{Inbox, Sent, Archive, ListsGo, Bills} {
		if err := user.Create(mb, nil); err != nil {
			return nil, fmt.Errorf("demo: create IMAP mailbox %s: %w", mb, err)
		}
	}
	if s.pop3, err = pop3test.NewServer(pop3test.Options{Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("demo: POP3 server: %w", err)
	}
	s.pop3.AddUser(User, Password)
	s.POP3Addr = s.pop3.Addr()
	uidl := 0
	for _, m := range msgs {
		switch m.Account {
		case IMAPAccount:
			flags := make([]goimap.Flag, len(m.Flags))
			for i, f := range m.Flags {
				flags[i] = goimap.Flag(f)
			}
			if _, err := user.Append(m.Mailbox, bytes.NewReader(m.Raw), &goimap.AppendOptions{Flags: flags, Time: m.Date}); err != nil {
				return nil, fmt.Errorf("demo: append to IMAP %s: %w", m.Mailbox, err)
			}
		case POP3Account:
			uidl++
			s.pop3.Add(User, pop3test.Message{UIDL: "demo-" + strconv.Itoa(uidl), Data: m.Raw})
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: IMAP server: %w", err)
	}
	s.IMAPAddr = ln.Addr().String()
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         goimap.CapSet{goimap.CapIMAP4rev1: {}},
		InsecureAuth: true, // loopback only
		Logger:       slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
	})
	s.wg.Go(func() { s.imap.Serve(ln) })
	return s, nil
}

// Close stops both servers and waits for them.
func (s *Servers) Close() error {
	var err error
	if s.imap != nil {
		if cerr := s.imap.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
	}
	if s.pop3 != nil {
		err = errors.Join(err, s.pop3.Close())
	}
	s.wg.Wait()
	return err
}

// Config returns a mailkeep configuration (TOML) for the demo servers,
// with the archive in archiveDir and a fetch every hour.
func (s *Servers) Config(archiveDir string) []byte {
	ih, ip, _ := net.SplitHostPort(s.IMAPAddr)
	ph, pp, _ := net.SplitHostPort(s.POP3Addr)
	return fmt.Appendf(nil, `# mailkeep demo: in-process servers on loopback, removed when the demo stops.
archive_dir = %q

[schedule]
cron = "@hourly"

[[account]]
name = %q
protocol = "imap"
host = %q
port = %s
security = "none"
username = %q
password = %q

[[account]]
name = %q
protocol = "pop3"
host = %q
port = %s
security = "none"
username = %q
password = %q
`, archiveDir, IMAPAccount, ih, ip, User, Password, POP3Account, ph, pp, User, Password)
}

// Example is a search to try in the demo.
type Example struct {
	Query string
	About string
}

// Examples are the searches the demo suggests; each finds messages.
var Examples = []Example{
	{"θεσσαλονικη", "Greek typed without accents finds Θεσσαλονίκη, in UTF-8 and ISO-8859-7"},
	{"from:sofia", "everything Sofia sent"},
	{"has:attachment after:2020-01-01", "recent messages with attachments"},
}
