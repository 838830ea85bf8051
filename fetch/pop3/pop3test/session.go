package pop3test

import (
	"bufio"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxCommand bounds a command line. RFC 2449 allows 255 octets; an AUTH
// response with a long password may be longer.
const maxCommand = 8 << 10

// writeTimeout bounds each write to a client.
const writeTimeout = time.Minute

// session is one client connection.
type session struct {
	s     *Server
	raw   net.Conn
	conn  net.Conn // raw, or TLS over it
	br    *bufio.Reader
	bw    *bufio.Writer
	isTLS bool
	stamp string // APOP timestamp, "" when APOP is off

	user    string     // from USER, or once logged in
	drop    *maildrop  // nil until logged in
	msgs    []*Message // the session's view of the maildrop
	deleted []bool
}

var errQuit = errors.New("quit")

func (s *Server) serve(raw net.Conn) {
	defer raw.Close()
	ss := &session{s: s, raw: raw}
	ss.setConn(&timeoutConn{Conn: raw, read: s.opts.IdleTimeout, write: writeTimeout})
	err := ss.run()
	if ss.drop != nil {
		s.unlock(ss.drop, nil) // not QUIT: nothing is deleted
	}
	if err != nil && !errors.Is(err, errQuit) {
		s.log.Debug("pop3test session", "remote", raw.RemoteAddr().String(), "err", err)
	}
}

func (ss *session) setConn(c net.Conn) {
	ss.conn = c
	ss.br = bufio.NewReaderSize(c, 4096)
	ss.bw = bufio.NewWriterSize(c, 4096)
}

func (ss *session) run() error {
	opts := &ss.s.opts
	if opts.ImplicitTLS {
		if err := ss.startTLS(); err != nil {
			return err
		}
	}
	greeting := "+OK pop3test ready"
	if !opts.NoAPOP {
		ss.stamp = fmt.Sprintf("<%s.%d@pop3test.invalid>", rand.Text(), time.Now().Unix())
		greeting += " " + ss.stamp
	}
	if err := ss.reply(greeting); err != nil {
		return err
	}
	for {
		line, err := ss.readLine()
		if err != nil {
			return err
		}
		if err := ss.handle(line); err != nil {
			return err
		}
	}
}

func (ss *session) readLine() (string, error) {
	var buf []byte
	for {
		chunk, err := ss.br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxCommand {
			ss.reply("-ERR line too long")
			return "", errors.New("command line too long")
		}
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return "", err
		}
	}
	return strings.TrimRight(string(buf), "\r\n"), nil
}

// reply sends lines, each ended with CRLF.
func (ss *session) reply(lines ...string) error {
	for _, l := range lines {
		ss.bw.WriteString(l)
		ss.bw.WriteString("\r\n")
	}
	return ss.bw.Flush()
}

// redact hides the secrets of a command line for OnCommand.
func redact(verb, line string) string {
	switch verb {
	case "PASS":
		return "PASS <redacted>"
	case "APOP":
		if f := strings.Fields(line); len(f) >= 2 {
			return "APOP " + f[1] + " <redacted>"
		}
	case "AUTH":
		if f := strings.Fields(line); len(f) >= 3 {
			return "AUTH " + f[1] + " <redacted>"
		}
	}
	return line
}

func (ss *session) handle(line string) error {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	if f := ss.s.opts.OnCommand; f != nil {
		f(ss.user, redact(verb, line))
	}
	args := strings.Fields(arg)
	if verb == "CAPA" {
		return ss.capa()
	}
	if verb == "QUIT" {
		return ss.quit()
	}
	if ss.drop == nil {
		switch verb {
		case "USER":
			if len(args) == 0 {
				return ss.reply("-ERR USER needs a name")
			}
			ss.user = arg
			return ss.reply("+OK send PASS")
		case "PASS":
			return ss.pass(arg)
		case "APOP":
			return ss.apop(args)
		case "AUTH":
			return ss.auth(args)
		case "STLS":
			return ss.stls()
		}
		return ss.reply("-ERR unknown command or not allowed before login")
	}
	switch verb {
	case "STAT":
		n, size := 0, 0
		for i, m := range ss.msgs {
			if !ss.deleted[i] {
				n++
				size += len(m.Data)
			}
		}
		return ss.reply(fmt.Sprintf("+OK %d %d", n, size))
	case "LIST", "UIDL":
		return ss.list(verb, args)
	case "RETR":
		if len(args) != 1 {
			return ss.reply("-ERR RETR needs a message number")
		}
		return ss.retr(args[0], -1)
	case "TOP":
		if len(args) != 2 {
			return ss.reply("-ERR TOP needs a message number and a line count")
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 {
			return ss.reply("-ERR bad line count")
		}
		return ss.retr(args[0], n)
	case "DELE":
		if len(args) != 1 {
			return ss.reply("-ERR DELE needs a message number")
		}
		i, msg := ss.message(args[0])
		if msg != "" {
			return ss.reply("-ERR " + msg)
		}
		ss.deleted[i] = true
		return ss.reply(fmt.Sprintf("+OK message %d deleted", i+1))
	case "NOOP":
		return ss.reply("+OK")
	case "RSET":
		clear(ss.deleted)
		return ss.reply(fmt.Sprintf("+OK %d messages", len(ss.msgs)))
	}
	return ss.reply("-ERR unknown command")
}

func (ss *session) capabilities() []string {
	o := &ss.s.opts
	if o.Capabilities != nil {
		return o.Capabilities
	}
	caps := []string{"TOP", "USER", "RESP-CODES", "PIPELINING"}
	if !o.NoUIDL {
		caps = append(caps, "UIDL")
	}
	if !o.NoSASL {
		caps = append(caps, "SASL PLAIN")
	}
	if ss.stlsOffered() {
		caps = append(caps, "STLS")
	}
	return append(caps, "IMPLEMENTATION pop3test")
}

func (ss *session) stlsOffered() bool {
	o := &ss.s.opts
	return o.TLSConfig != nil && !o.ImplicitTLS && !ss.isTLS && ss.drop == nil
}

func (ss *session) capa() error {
	if ss.s.opts.NoCAPA {
		return ss.reply("-ERR unknown command")
	}
	lines := []string{"+OK capability list follows"}
	for _, c := range ss.capabilities() {
		lines = append(lines, stuffLine(c))
	}
	return ss.reply(append(lines, ".")...)
}

func stuffLine(l string) string {
	if strings.HasPrefix(l, ".") {
		return "." + l
	}
	return l
}

func (ss *session) quit() error {
	if ss.drop == nil {
		ss.reply("+OK bye")
		return errQuit
	}
	var gone []*Message
	for i, m := range ss.msgs {
		if ss.deleted[i] {
			gone = append(gone, m)
		}
	}
	left := ss.s.unlock(ss.drop, gone)
	ss.drop = nil
	ss.reply(fmt.Sprintf("+OK bye, %d messages left", left))
	return errQuit
}

// login locks user's maildrop if check accepts the password.
func (ss *session) login(user string, check func(password string) bool) error {
	d, msgs, msg := ss.s.lock(user, check)
	if msg != "" {
		ss.user = ""
		return ss.reply("-ERR " + msg)
	}
	ss.user, ss.drop, ss.msgs, ss.deleted = user, d, msgs, make([]bool, len(msgs))
	return ss.reply(fmt.Sprintf("+OK %d messages", len(msgs)))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (ss *session) pass(password string) error {
	if ss.user == "" {
		return ss.reply("-ERR USER first")
	}
	return ss.login(ss.user, func(p string) bool { return equal(p, password) })
}

func (ss *session) apop(args []string) error {
	if ss.stamp == "" {
		return ss.reply("-ERR APOP not supported")
	}
	if len(args) != 2 {
		return ss.reply("-ERR APOP needs a name and a digest")
	}
	return ss.login(args[0], func(p string) bool {
		sum := md5.Sum([]byte(ss.stamp + p))
		return equal(hex.EncodeToString(sum[:]), strings.ToLower(args[1]))
	})
}

// auth is SASL PLAIN (RFC 5034), with or without an initial response.
func (ss *session) auth(args []string) error {
	if ss.s.opts.NoSASL {
		return ss.reply("-ERR unknown command")
	}
	if len(args) == 0 || !strings.EqualFold(args[0], "PLAIN") || len(args) > 2 {
		return ss.reply("-ERR unsupported mechanism (PLAIN is)")
	}
	var resp string
	if len(args) == 2 {
		resp = args[1]
		if resp == "=" {
			resp = ""
		}
	} else {
		if err := ss.reply("+ "); err != nil {
			return err
		}
		line, err := ss.readLine()
		if err != nil {
			return err
		}
		if line == "*" {
			return ss.reply("-ERR authentication cancelled")
		}
		resp = line
	}
	dec, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return ss.reply("-ERR invalid base64")
	}
	parts := strings.Split(string(dec), "\x00")
	if len(parts) != 3 || (parts[0] != "" && parts[0] != parts[1]) {
		return ss.reply("-ERR [AUTH] invalid PLAIN response")
	}
	return ss.login(parts[1], func(p string) bool { return equal(p, parts[2]) })
}

func (ss *session) stls() error {
	if !ss.stlsOffered() {
		return ss.reply("-ERR STLS not available")
	}
	if err := ss.reply("+OK begin TLS negotiation"); err != nil {
		return err
	}
	if ss.br.Buffered() > 0 {
		return errors.New("client sent data before the TLS handshake")
	}
	ss.user = ""
	return ss.startTLS()
}

func (ss *session) startTLS() error {
	tc := tls.Server(ss.conn, ss.s.opts.TLSConfig)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	ss.setConn(tc)
	ss.isTLS = true
	return nil
}

// message resolves a message number argument to an index; msg is the
// -ERR text when it cannot.
func (ss *session) message(arg string) (i int, msg string) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > len(ss.msgs) {
		return 0, "no such message"
	}
	if ss.deleted[n-1] {
		return 0, fmt.Sprintf("message %d already deleted", n)
	}
	return n - 1, ""
}

func (ss *session) list(verb string, args []string) error {
	if verb == "UIDL" && ss.s.opts.NoUIDL {
		return ss.reply("-ERR unknown command")
	}
	entry := func(i int) string {
		if verb == "UIDL" {
			return fmt.Sprintf("%d %s", i+1, ss.msgs[i].UIDL)
		}
		return fmt.Sprintf("%d %d", i+1, len(ss.msgs[i].Data))
	}
	if len(args) > 0 {
		i, msg := ss.message(args[0])
		if msg != "" {
			return ss.reply("-ERR " + msg)
		}
		return ss.reply("+OK " + entry(i))
	}
	ss.bw.WriteString("+OK\r\n")
	for i := range ss.msgs {
		if !ss.deleted[i] {
			ss.bw.WriteString(entry(i))
			ss.bw.WriteString("\r\n")
		}
	}
	return ss.reply(".")
}

// retr sends message arg whole (lines < 0) or its TOP.
func (ss *session) retr(arg string, lines int) error {
	i, msg := ss.message(arg)
	if msg != "" {
		return ss.reply("-ERR " + msg)
	}
	m := ss.msgs[i]
	if m.RetrError != "" {
		return ss.reply("-ERR " + m.RetrError)
	}
	data := m.Data
	if lines >= 0 {
		data = top(data, lines)
		ss.bw.WriteString("+OK top of message follows\r\n")
	} else {
		ss.bw.WriteString(fmt.Sprintf("+OK %d octets\r\n", len(data)))
	}
	if ss.s.opts.WriteDelay > 0 {
		if err := ss.bw.Flush(); err != nil {
			return err
		}
	}
	pw := &payloadWriter{ss: ss, cut: m.CutAfter}
	w := bufio.NewWriterSize(pw, chunkSize)
	if err := writeStuffed(w, data); err != nil {
		return err
	}
	return ss.bw.Flush()
}

// timeoutConn gives every Read and Write its own deadline.
type timeoutConn struct {
	net.Conn
	read, write time.Duration
}

func (c *timeoutConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.read))
	return c.Conn.Read(p)
}

func (c *timeoutConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.write))
	return c.Conn.Write(p)
}
