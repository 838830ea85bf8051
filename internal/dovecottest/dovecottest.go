// Package dovecottest runs a private Dovecot 2.3 for tests: IMAP (with
// STARTTLS), IMAPS, POP3 (with STLS) and POP3S on free loopback ports, a
// throwaway CA and server certificate, one passwd-file user and a Maildir,
// all under the test's temporary directory and stopped when the test ends.
// Any number of servers may run at once, in one test binary or several.
//
// Without dovecot installed, Start skips the test, or fails it under
// MAILKEEP_REQUIRE_DOVECOT=1. As root the mail is owned by the system user
// mailkeeptest, created on first use (Dovecot never accesses mail as root);
// otherwise everything runs as the current user.
//
// Typical use:
//
//	s := dovecottest.Start(t, dovecottest.Options{})
//	uid := s.Deliver(t, "Αρχείο", raw, `\Seen`)
//	// ... run the code under test against s.Addr(dovecottest.IMAPS) with
//	// s.TLSConfig() (or s.CAFile()), s.User() and s.Password() ...
//	if got := s.Bodies(t, "Αρχείο")[uid]; !bytes.Equal(got, raw) { ... }
//	if flags := s.Flags(t, "Αρχείο")[uid]; ... // nothing changed
//
// NewProxy puts a loopback proxy in front of any address, to cut
// connections at a chosen byte.
//
// Layout of the temporary directory:
//
//	dovecot.conf, dovecot.log, dovecot.stderr, passwd
//	ca.pem, server.pem, server.key
//	state/                  Dovecot's state_dir
//	home/Maildir/INBOX/     INBOX (Maildir, LAYOUT=fs: "a/b" is Maildir/a/b)
//
// base_dir (UNIX sockets) is a short directory of its own under the system's
// temporary directory, since socket paths are limited to 108 bytes.
package dovecottest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

// Options configure a server. The zero value is fine.
type Options struct {
	// User and Password of the one mail account. The defaults are
	// "mailkeep" and a random password (so a test can look for leaks).
	User, Password string
	// Config is appended to the generated dovecot.conf; a setting given
	// here overrides the generated one.
	Config string
}

// Protocol names one of the server's listeners.
type Protocol int

// The listeners. IMAP offers STARTTLS and POP3 offers STLS.
const (
	IMAP Protocol = iota
	IMAPS
	POP3
	POP3S
	numProtocols
)

func (p Protocol) String() string {
	switch p {
	case IMAP:
		return "IMAP"
	case IMAPS:
		return "IMAPS"
	case POP3:
		return "POP3"
	case POP3S:
		return "POP3S"
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// Server is a running Dovecot. Its methods may be called from several
// goroutines.
type Server struct {
	dir     string // t.TempDir(): config, log, certificates, mail
	runDir  string // holds base_dir, short for socket paths
	maildir string
	user    string
	pass    string
	extra   string // Options.Config
	own     owner
	certs   certFiles
	addrs   [numProtocols]string

	proc *process

	mu    sync.Mutex         // guards admin and serializes its use
	admin *imapclient.Client // for Deliver, Flags and Bodies; dialled on first use
}

// startTimeout bounds how long Dovecot may take to open its ports.
const startTimeout = 20 * time.Second

// Start starts a Dovecot for tb and stops it when tb ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin, ok := testenv.LookPath("dovecot")
	testenv.Require(tb, ok, "MAILKEEP_REQUIRE_DOVECOT", "dovecot")

	s, err := newServer(tb, opts)
	if err != nil {
		tb.Fatalf("dovecottest: %v", err)
	}
	// Ports are picked free, then released for Dovecot to bind: another
	// process may take one in between, so a failed bind is retried.
	for attempt := 1; ; attempt++ {
		err = s.start(tb, bin)
		if err == nil {
			break
		}
		if attempt == 5 || !strings.Contains(s.Log(), "Address already in use") {
			tb.Fatalf("dovecottest: start dovecot: %v\n%s", err, s.Log())
		}
	}
	// Runs before the kill, registered earlier.
	tb.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.admin != nil {
			s.admin.Close()
			s.admin = nil
		}
	})
	return s
}

// newServer writes everything but the configuration.
func newServer(tb testing.TB, opts Options) (*Server, error) {
	s := &Server{dir: tb.TempDir(), user: opts.User, pass: opts.Password, extra: opts.Config}
	if s.user == "" {
		s.user = "mailkeep"
	}
	if s.pass == "" {
		s.pass = "pw-" + rand.Text()
	}
	if strings.ContainsAny(s.user+s.pass, ":\r\n") {
		return nil, fmt.Errorf("user and password must not contain ':' or line breaks")
	}

	own, err := mailOwner()
	if err != nil {
		return nil, err
	}
	s.own = own

	// Dovecot's unprivileged processes must reach the files below dir,
	// and testing creates its parent 0700.
	if !own.rootless {
		for _, d := range []string{filepath.Dir(s.dir), s.dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				return nil, err
			}
		}
	}
	s.runDir, err = os.MkdirTemp(shortTempDir(), "dovecot")
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { os.RemoveAll(s.runDir) })
	if err := os.Chmod(s.runDir, 0o755); err != nil {
		return nil, err
	}

	home := filepath.Join(s.dir, "home")
	s.maildir = filepath.Join(home, "Maildir")
	if err := os.Mkdir(home, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chown(home, own.uid, own.gid); err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(s.dir, "state"), 0o755); err != nil {
		return nil, err
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::\n", s.user, s.pass, own.uid, own.gid, home)
	if err := os.WriteFile(filepath.Join(s.dir, "passwd"), []byte(passwd), 0o644); err != nil {
		return nil, err
	}
	s.certs, err = writeCerts(s.dir)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// shortTempDir returns a temporary directory short enough for base_dir.
func shortTempDir() string {
	if d := os.TempDir(); len(d) <= 40 {
		return d
	}
	return "/tmp"
}

// start writes the configuration with fresh ports, starts Dovecot and
// waits until every port accepts connections.
func (s *Server) start(tb testing.TB, bin string) error {
	ports, err := freePorts(int(numProtocols))
	if err != nil {
		return err
	}
	for p := range numProtocols {
		s.addrs[p] = net.JoinHostPort("127.0.0.1", fmt.Sprint(ports[p]))
	}
	d := confData{
		BaseDir:  s.runDir + "/run",
		StateDir: filepath.Join(s.dir, "state"),
		Log:      filepath.Join(s.dir, "dovecot.log"),
		Passwd:   filepath.Join(s.dir, "passwd"),
		Cert:     s.certs.cert,
		Key:      s.certs.key,
		UID:      s.own.uid,
		GID:      s.own.gid,
		Rootless: s.own.rootless,
		IMAP:     ports[IMAP],
		IMAPS:    ports[IMAPS],
		POP3:     ports[POP3],
		POP3S:    ports[POP3S],
		Extra:    s.extra,
	}
	if s.own.rootless {
		d.InternalUser, d.LoginUser, d.InternalGroup = s.own.name, s.own.name, s.own.group
	} else {
		// Debian's package creates dovecot and dovenull; a Dovecot built
		// from source may come without them.
		if !userExists("dovecot") {
			d.InternalUser = s.own.name
		}
		if !userExists("dovenull") {
			d.LoginUser = s.own.name
		}
	}
	conf := filepath.Join(s.dir, "dovecot.conf")
	if err := writeConf(conf, d); err != nil {
		return err
	}

	proc, err := startProcess(bin, conf, filepath.Join(s.dir, "dovecot.stderr"))
	if err != nil {
		return err
	}
	tb.Cleanup(func() {
		if err := proc.kill(); err != nil {
			tb.Errorf("dovecottest: %v", err)
		}
	})
	s.proc = proc

	deadline := time.Now().Add(startTimeout)
	for p, addr := range s.addrs {
		for !ready(Protocol(p), addr) {
			select {
			case <-proc.exited:
				return fmt.Errorf("dovecot exited: %v", proc.cmd.ProcessState)
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready on %s after %v", Protocol(p), addr, startTimeout)
			}
		}
	}
	return nil
}

// ready reports whether a listener accepts connections and, for the plain
// protocols, greets: the greeting comes once the auth process is up.
func ready(p Protocol, addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	var greeting string
	switch p {
	case IMAP:
		greeting = "* OK"
	case POP3:
		greeting = "+OK"
	default:
		return true
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, greeting)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Log returns what Dovecot logged so far: its standard error (where it
// reports configuration errors) and its log file.
func (s *Server) Log() string {
	var b bytes.Buffer
	for _, name := range []string{"dovecot.stderr", "dovecot.log"} {
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(&b, "read %s: %v\n", name, err)
		}
		if len(data) > 0 {
			fmt.Fprintf(&b, "--- %s:\n%s", name, data)
		}
	}
	return b.String()
}

// Addr returns the host:port of a listener.
func (s *Server) Addr(p Protocol) string { return s.addrs[p] }

// User returns the mail account's user name.
func (s *Server) User() string { return s.user }

// Password returns the mail account's password.
func (s *Server) Password() string { return s.pass }

// CAFile returns the path of the PEM file of the CA that signed the
// server's certificate (valid for 127.0.0.1, ::1 and localhost).
func (s *Server) CAFile() string { return s.certs.ca }

// CertPool returns a pool holding only that CA.
func (s *Server) CertPool() *x509.CertPool { return s.certs.pool }

// TLSConfig returns a client configuration that trusts the server's
// certificate and verifies it for 127.0.0.1.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.certs.pool, ServerName: "127.0.0.1"}
}

// Maildir returns the root of the account's Maildir.
func (s *Server) Maildir() string { return s.maildir }
