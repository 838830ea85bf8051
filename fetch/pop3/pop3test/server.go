// Package pop3test is an in-process POP3 server (RFC 1939 with CAPA, STLS,
// SASL PLAIN and APOP) for tests and for the demo command. It keeps
// per-user maildrops in memory and follows POP3's guarantees: a session
// locks its maildrop, and messages marked with DELE are removed only when
// the session ends with QUIT.
//
// It sends what it stores, byte for byte: lines are dot-stuffed (a dot is
// added to every line that begins with one, a line beginning at the start
// and after every LF), bare LF and bare CR are sent as they are, and a CRLF
// is added before the terminating "." only when a non-empty message does
// not end with LF. (Dovecot differs on two points: it sends every bare LF as
// CRLF, and it sends an empty message as a single CRLF.)
//
// Misbehaviour can be scripted for tests: Options turn capabilities off and
// slow the server down; Message fields make RETR of one message fail or
// drop the connection part way.
package pop3test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"
)

// Options configure a Server. The zero value is a plain-text server on
// 127.0.0.1 with every feature on.
type Options struct {
	// Addr is the address to listen on; "" means "127.0.0.1:0".
	Addr string
	// TLSConfig, with a certificate, turns on TLS: STLS (RFC 2595), or TLS
	// from the first byte when ImplicitTLS is set.
	TLSConfig   *tls.Config
	ImplicitTLS bool

	NoCAPA bool // CAPA answers -ERR
	NoUIDL bool // UIDL answers -ERR and CAPA does not list it
	NoSASL bool // AUTH answers -ERR and CAPA does not list SASL
	NoAPOP bool // the greeting has no timestamp and APOP answers -ERR
	// Capabilities, if not nil, is what CAPA lists, line by line, in
	// place of the capabilities the server has.
	Capabilities []string

	// WriteDelay is slept before each chunk (at most 4 KiB) of a RETR or
	// TOP payload is sent: a slow server. Close interrupts it.
	WriteDelay time.Duration
	// IdleTimeout ends a session that sends nothing for this long; zero
	// means 10 minutes, RFC 1939's minimum.
	IdleTimeout time.Duration
	// OnCommand, if set, is called with each command line before it is
	// handled (PASS, APOP and AUTH arguments redacted), and with the user
	// name once known. It runs on the session's goroutine: blocking in it
	// stalls that session, and Close waits for it.
	OnCommand func(user, line string)
	// Logger receives session errors at debug level; nil discards them.
	Logger *slog.Logger
}

// Message is one message in a maildrop.
type Message struct {
	// UIDL is the message's unique id; Add assigns one when it is "".
	// Duplicates are kept as given.
	UIDL string
	// Data is the message exactly as stored and, after dot-stuffing, sent.
	Data []byte

	// RetrError, if not "", makes RETR and TOP of this message answer
	// "-ERR " + RetrError.
	RetrError string
	// CutAfter, if > 0, makes the server drop the connection after sending
	// that many bytes of the message's RETR or TOP payload (the bytes after
	// the +OK line, as sent: dot-stuffed, with the terminator).
	CutAfter int
}

func (m Message) clone() *Message {
	m.Data = bytes.Clone(m.Data)
	if m.Data == nil {
		m.Data = []byte{}
	}
	return &m
}

// A Server is a running POP3 server. Its methods are safe for concurrent
// use.
type Server struct {
	opts Options
	ln   net.Listener
	log  *slog.Logger
	done chan struct{} // closed by Close
	wg   sync.WaitGroup

	mu     sync.Mutex
	drops  map[string]*maildrop
	conns  map[net.Conn]struct{}
	closed bool
	seq    int // for UIDLs that Add assigns
}

type maildrop struct {
	password *string // nil: no login
	msgs     []*Message
	locked   bool // a session is logged in
}

// NewServer starts a server listening on opts.Addr. Close stops it.
func NewServer(opts Options) (*Server, error) {
	if (opts.ImplicitTLS || opts.TLSConfig != nil) && (opts.TLSConfig == nil || len(opts.TLSConfig.Certificates) == 0 && opts.TLSConfig.GetCertificate == nil) {
		return nil, errors.New("pop3test: TLS needs a TLSConfig with a certificate")
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pop3test: listen: %w", err)
	}
	s := &Server{
		opts:  opts,
		ln:    ln,
		log:   log,
		done:  make(chan struct{}),
		drops: map[string]*maildrop{},
		conns: map[net.Conn]struct{}{},
	}
	s.wg.Go(s.accept)
	return s, nil
}

// Addr returns the address the server listens on, "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server: it stops listening, drops every session (their
// DELEs are not committed) and waits for them to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("pop3test accept", "err", err)
			// Out of file descriptors and the like: wait a little.
			if s.sleep(10*time.Millisecond) != nil {
				return
			}
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Go(func() {
			s.serve(conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
		})
		s.mu.Unlock()
	}
}

var errServerClosed = errors.New("pop3test: server closed")

// sleep waits for d or until the server is closed.
func (s *Server) sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.done:
		return errServerClosed
	}
}

// drop returns user's maildrop, creating it. s.mu must be held.
func (s *Server) drop(user string) *maildrop {
	d := s.drops[user]
	if d == nil {
		d = &maildrop{}
		s.drops[user] = d
	}
	return d
}

// AddUser adds a user, or changes the user's password.
func (s *Server) AddUser(name, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop(name).password = &password
}

// Add appends messages to user's maildrop. Sessions already logged in do
// not see them; the next session does.
func (s *Server) Add(user string, msgs ...Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.drop(user)
	for _, m := range msgs {
		c := m.clone()
		if c.UIDL == "" {
			s.seq++
			c.UIDL = fmt.Sprintf("pop3test-%d", s.seq)
		}
		d.msgs = append(d.msgs, c)
	}
}

// SetMessages replaces user's maildrop; UIDLs are kept as given. A session
// logged in keeps its view, and its DELEs apply only to messages still
// present.
func (s *Server) SetMessages(user string, msgs []Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.drop(user)
	d.msgs = nil
	for _, m := range msgs {
		d.msgs = append(d.msgs, m.clone())
	}
}

// Messages returns a copy of user's maildrop: the messages that remain after
// the sessions that ended with QUIT.
func (s *Server) Messages(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.drops[user]
	if d == nil {
		return nil
	}
	out := make([]Message, len(d.msgs))
	for i, m := range d.msgs {
		out[i] = *m.clone()
	}
	return out
}

// lock logs a session into user's maildrop after check accepts the
// password, and returns a snapshot of the messages. The reply is the -ERR
// text when it fails.
func (s *Server) lock(user string, check func(password string) bool) (*maildrop, []*Message, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.drops[user]
	if d == nil || d.password == nil || !check(*d.password) {
		return nil, nil, "[AUTH] invalid user name or password"
	}
	if d.locked {
		return nil, nil, "[IN-USE] maildrop is locked by another session"
	}
	d.locked = true
	return d, slices.Clone(d.msgs), ""
}

// unlock ends a session's hold on d, first removing deleted messages when
// the session ended with QUIT. It returns how many messages remain.
func (s *Server) unlock(d *maildrop, deleted []*Message) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(deleted) > 0 {
		gone := make(map[*Message]bool, len(deleted))
		for _, m := range deleted {
			gone[m] = true
		}
		d.msgs = slices.DeleteFunc(d.msgs, func(m *Message) bool { return gone[m] })
	}
	d.locked = false
	return len(d.msgs)
}
