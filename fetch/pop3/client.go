package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Security is how the connection is protected.
type Security int

const (
	// SecurityTLS is TLS from the first byte ("POP3S", usually port 995).
	// It is the zero value.
	SecurityTLS Security = iota
	// SecurityStartTLS is a plain connection (usually port 110) upgraded
	// with STLS before anything else is sent; Dial fails if the server does
	// not offer STLS.
	SecurityStartTLS
	// SecurityNone is a plain connection: passwords and mail travel
	// unencrypted.
	SecurityNone
)

// String returns the config spelling: "tls", "starttls" or "none".
func (s Security) String() string {
	switch s {
	case SecurityTLS:
		return "tls"
	case SecurityStartTLS:
		return "starttls"
	case SecurityNone:
		return "none"
	}
	return fmt.Sprintf("Security(%d)", int(s))
}

// ParseSecurity parses "tls", "starttls" or "none".
func ParseSecurity(s string) (Security, error) {
	for _, v := range []Security{SecurityTLS, SecurityStartTLS, SecurityNone} {
		if strings.EqualFold(s, v.String()) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("pop3: unknown security %q (want tls, starttls or none)", s)
}

// DefaultTimeout is the per-read and per-write deadline when Options.Timeout
// is zero.
const DefaultTimeout = 60 * time.Second

// A Dialer makes the TCP connection. *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options configure Dial. The zero value dials with implicit TLS, verifies
// the certificate against the system roots, and times out after 60 s of
// silence.
type Options struct {
	Security Security
	// TLSConfig is used for TLS and STLS. The caller supplies extra roots
	// (RootCAs) here; ServerName defaults to the host in addr. May be nil.
	TLSConfig *tls.Config
	// Timeout bounds every single read and write on the connection
	// (not a whole operation: a large RETR may take longer, as long as
	// data keeps coming). Zero means DefaultTimeout.
	Timeout time.Duration
	// Dialer makes the TCP connection; nil means a net.Dialer with Timeout.
	Dialer Dialer
	// Logger, if set, receives each command (with secrets redacted) and each
	// status line at debug level. Message contents are never logged.
	Logger *slog.Logger
}

// A Client is one POP3 session. Create it with Dial. A Client is not safe
// for concurrent use.
type Client struct {
	raw       net.Conn // the TCP connection; closed to interrupt blocked I/O
	conn      net.Conn // raw, or TLS over it
	br        *bufio.Reader
	bw        *bufio.Writer
	host      string
	tlsConfig *tls.Config
	timeout   time.Duration
	log       *slog.Logger

	greeting  string
	timestamp string
	isTLS     bool

	body *body // an open RETR or TOP payload
	err  error // why the client can no longer be used

	pipelining bool  // the server's last CAPA listed PIPELINING
	queue      []int // messages announced by RetrAhead whose RETR is not sent yet
	ahead      []int // messages whose RETR is sent and whose reply is not read yet
}

const bufSize = 32 << 10

// Dial connects to addr ("host:port"), sets up the security that opts ask
// for and reads the greeting. ctx bounds the whole of Dial.
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("pop3: bad address %q: %w", addr, err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := opts.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: timeout}
	}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &NetError{Op: "dial " + addr, Err: err, timeout: timeout}
	}
	c := newClient(raw, host, opts)
	if err := c.connect(ctx, opts.Security); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func newClient(raw net.Conn, host string, opts Options) *Client {
	c := &Client{
		raw:       raw,
		host:      host,
		tlsConfig: opts.TLSConfig,
		timeout:   opts.Timeout,
		log:       opts.Logger,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	c.setConn(&deadlineConn{Conn: raw, timeout: c.timeout})
	return c
}

func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, bufSize)
	c.bw = bufio.NewWriterSize(conn, 4096)
}

// connect runs the start of a session: TLS, greeting, STLS.
func (c *Client) connect(ctx context.Context, sec Security) error {
	switch sec {
	case SecurityTLS:
		if err := c.handshake(ctx); err != nil {
			return err
		}
	case SecurityStartTLS, SecurityNone:
	default:
		return fmt.Errorf("pop3: unknown security %v", sec)
	}
	if err := c.run(ctx, cmdGreeting, c.readGreeting); err != nil {
		var ne *NetError
		if sec != SecurityTLS && errors.As(err, &ne) && ne.Timeout() {
			ne.hint = "if the port expects TLS from the start, usually 995, set security to \"tls\""
		}
		return err
	}
	if sec != SecurityStartTLS {
		return nil
	}
	// RFC 2595: look for STLS in CAPA; a server without CAPA may still
	// have STLS, so try it then.
	caps, err := c.Capa(ctx)
	var se *ServerError
	switch {
	case errors.As(err, &se):
	case err != nil:
		return err
	case !caps.Has("STLS"):
		return fmt.Errorf("%w on %s (set security to \"tls\" if it listens for TLS on another port)", ErrNoSTLS, c.host)
	}
	return c.STLS(ctx)
}

func (c *Client) readGreeting() error {
	ok, text, err := c.readStatus(cmdGreeting)
	if err != nil {
		return err
	}
	if !ok {
		return serverError(cmdGreeting, text)
	}
	c.greeting = printable(text)
	c.timestamp = timestamp(text)
	return nil
}

// Greeting returns the text of the server's greeting, after "+OK".
func (c *Client) Greeting() string { return c.greeting }

// Close closes the connection without QUIT: messages marked with DELE in
// this session stay on the server. Close after Quit does nothing.
func (c *Client) Close() error {
	if c.err != nil {
		return nil
	}
	c.err = ErrClosed
	c.dropBody()
	return c.raw.Close()
}

// fail records why the client is unusable and closes the connection.
func (c *Client) fail(err error) {
	if c.err == nil {
		c.err = err
		c.raw.Close()
	}
	c.dropBody()
}

// dropBody forgets an open payload; its reads will fail.
func (c *Client) dropBody() {
	if c.body != nil {
		c.body.stop() // release ctx now: the payload may never be read again
		c.body = nil
	}
}

// ready reports whether a new command may be sent.
func (c *Client) ready(ctx context.Context, op string) error {
	switch {
	case c.err == ErrClosed:
		return ErrClosed
	case c.err != nil:
		return fmt.Errorf("pop3 %s: connection lost earlier: %w", op, c.err)
	case c.body != nil:
		return fmt.Errorf("pop3 %s: the previous %s payload is still open (read it to the end or close it)", op, c.body.op)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pop3 %s: %w", op, context.Cause(ctx))
	}
	return nil
}

// run runs f, one exchange with the server, under ctx: cancelling ctx
// closes the connection, which makes blocked I/O return.
func (c *Client) run(ctx context.Context, op string, f func() error) error {
	if err := c.ready(ctx, op); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.abort)
	err := c.discardAhead(op)
	if err == nil {
		err = f()
	}
	return c.end(ctx, stop, op, err)
}

func (c *Client) abort() { c.raw.Close() }

// end finishes an operation begun under ctx whose AfterFunc stop is given,
// and decides whether the connection survives err.
func (c *Client) end(ctx context.Context, stop func() bool, op string, err error) error {
	if !stop() && ctx.Err() != nil {
		// ctx was cancelled and abort closed the connection. A result
		// already complete is still good; the session is not. (stop also
		// returns false when dropBody stopped it before: ctx is not done.)
		cerr := fmt.Errorf("pop3 %s: %w", op, context.Cause(ctx))
		c.fail(cerr)
		if err != nil {
			return cerr
		}
		return nil
	}
	var se *ServerError
	if err != nil && !errors.As(err, &se) {
		c.fail(err)
	}
	return err
}

func (c *Client) netError(op string, err error) error {
	return &NetError{Op: op, Err: err, timeout: c.timeout}
}

// send writes one command line. redacted, if not "", is logged instead.
func (c *Client) send(op, line, redacted string) error {
	if c.log != nil {
		if redacted == "" {
			redacted = line
		}
		c.log.Debug("pop3 send", "cmd", redacted)
	}
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return c.netError(op, err)
	}
	return nil
}

// readLine reads one line, without its line ending.
func (c *Client) readLine(op string) (string, error) {
	var buf []byte
	for {
		chunk, err := c.br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLine {
			return "", &ProtocolError{Cmd: op, Msg: fmt.Sprintf("reply line longer than %d bytes", maxLine)}
		}
		if err == nil && buf == nil {
			buf = chunk
			break
		}
		buf = append(buf, chunk...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return "", c.netError(op, noEOF(err))
		}
	}
	line := buf[:len(buf)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

// readStatus reads a status line.
func (c *Client) readStatus(op string) (ok bool, text string, err error) {
	line, err := c.readLine(op)
	if err != nil {
		return false, "", err
	}
	if c.log != nil {
		c.log.Debug("pop3 recv", "line", printable(line))
	}
	ok, text, valid := parseStatus(line)
	if !valid {
		return false, "", &ProtocolError{Cmd: op, Line: printable(line), Msg: "reply is neither +OK nor -ERR"}
	}
	return ok, text, nil
}

// cmd sends a command and reads its status line; -ERR is a *ServerError.
func (c *Client) cmd(op, line string) (text string, err error) {
	if err := c.send(op, line, ""); err != nil {
		return "", err
	}
	return c.reply(op)
}

// reply reads the status line of a command sent (maybe ahead); -ERR is a
// *ServerError.
func (c *Client) reply(op string) (text string, err error) {
	ok, text, err := c.readStatus(op)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", serverError(op, text)
	}
	return text, nil
}

// readLines reads the lines of a multi-line listing (CAPA, LIST, UIDL),
// unstuffed, up to the terminating ".".
func (c *Client) readLines(op string) ([]string, error) {
	var lines []string
	for {
		line, err := c.readLine(op)
		if err != nil {
			return nil, err
		}
		if line == "." {
			return lines, nil
		}
		lines = append(lines, strings.TrimPrefix(line, "."))
	}
}

// checkArg rejects an argument that would break the command line. The
// argument itself is not quoted in the error: it may be a password.
func checkArg(op, arg string) error {
	if arg == "" || strings.ContainsAny(arg, "\r\n\x00") {
		return fmt.Errorf("pop3 %s: argument is empty or contains a line break or NUL", op)
	}
	return nil
}

// deadlineConn gives every Read and Write its own deadline.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

// Deadlines are wall-clock by nature: the kernel's clock, not an injected
// one. Setting one fails only on a closed connection (net.Pipe: also when
// the peer closed), and then Read or Write reports the better error: EOF.
func (d *deadlineConn) Read(p []byte) (int, error) {
	d.Conn.SetReadDeadline(time.Now().Add(d.timeout))
	return d.Conn.Read(p)
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	d.Conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.Conn.Write(p)
}

var _ io.ReadWriter = (*deadlineConn)(nil)
