package imap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/mailkeep/mailkeep/fetch"
)

// defaultTimeout bounds each network wait when Account.Timeout is 0.
const defaultTimeout = 60 * time.Second

// timeoutConn gives every network wait a deadline: each Read and Write
// must make progress within timeout, however long the whole response (a
// 50 MB literal) takes. go-imap's client sets fixed deadlines of its own
// (30 s per response, even while no command is pending, and 5 minutes per
// literal); they are ignored here and replaced by these.
type timeoutConn struct {
	net.Conn
	timeout time.Duration

	mu      sync.Mutex
	paused  bool
	readErr error // sticky: go-imap's decoder reads again after an error
}

func (c *timeoutConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if err := c.readErr; err != nil {
		c.mu.Unlock()
		return 0, err
	}
	if !c.paused {
		c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	if err != nil {
		// A timed-out read would otherwise be retried several times by
		// the decoder, each waiting the full timeout.
		c.mu.Lock()
		c.readErr = err
		c.mu.Unlock()
	}
	return n, err
}

func (c *timeoutConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// The client's own deadlines are ignored (see timeoutConn).
func (c *timeoutConn) SetDeadline(time.Time) error      { return nil }
func (c *timeoutConn) SetReadDeadline(time.Time) error  { return nil }
func (c *timeoutConn) SetWriteDeadline(time.Time) error { return nil }

// pause lifts the read deadline while the source waits for nothing from
// the server (a commit to disk may take longer than the timeout); resume
// sets it again, for the read that is pending too.
func (c *timeoutConn) pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paused = true
	c.Conn.SetReadDeadline(time.Time{})
}

func (c *timeoutConn) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paused = false
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
}

// conn is one logged-in connection to the account's server.
type conn struct {
	c    *imapclient.Client
	tc   *timeoutConn
	stop func() bool // stops closing the connection when ctx ends
	addr string

	condstore bool // CONDSTORE (or IMAP4rev2, which does not imply it: see caps)
	esearch   bool
}

// dial connects, protects and logs in. Errors are permanent when trying
// again cannot help (certificate, password, plaintext refused).
func dial(ctx context.Context, a fetch.Account) (*conn, error) {
	addr := a.Addr()
	switch a.Security {
	case fetch.TLS, fetch.STARTTLS:
	case fetch.None:
		if !a.AllowPlaintext && !isLoopback(a.Host) {
			return nil, fetch.Permanent(fmt.Errorf("refusing to send the password for %s unencrypted to %s: "+
				"security \"none\" is only for loopback hosts; use security = \"tls\" or \"starttls\", or set allow_plaintext = true", a.Name, a.Host))
		}
	default:
		return nil, fetch.Permanent(fmt.Errorf("account %s: unknown security %q (want tls, starttls or none)", a.Name, a.Security))
	}
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	d := net.Dialer{Timeout: timeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fetch.ConnLost(fmt.Errorf("connect to %s: %w", addr, err))
	}
	tc := &timeoutConn{Conn: raw, timeout: timeout}
	cn := &conn{tc: tc, addr: addr}
	// go-imap's client knows no context: closing the connection ends
	// whatever it waits for.
	cn.stop = context.AfterFunc(ctx, func() { raw.Close() })
	fail := func(err error) (*conn, error) {
		cn.stop()
		if cn.c != nil {
			cn.c.Close()
		}
		raw.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}

	cfg := a.TLSConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = a.Host
	}
	opts := &imapclient.Options{}
	switch a.Security {
	case fetch.TLS:
		tlsConn := tls.Client(tc, cfg)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return fail(tlsError(a.Host, addr, err))
		}
		cn.c = imapclient.New(tlsConn, opts)
	case fetch.STARTTLS:
		opts.TLSConfig = cfg
		c, err := imapclient.NewStartTLS(tc, opts)
		if err != nil {
			var ierr *goimap.Error
			if errors.As(err, &ierr) {
				return fail(fetch.Permanent(fmt.Errorf("STARTTLS on %s: %w (the server does not offer it: use security = \"tls\" on its IMAPS port)", addr, err)))
			}
			return fail(tlsError(a.Host, addr, err))
		}
		cn.c = c
	default:
		cn.c = imapclient.New(tc, opts)
	}
	if err := cn.c.WaitGreeting(); err != nil {
		return fail(fetch.ConnLost(fmt.Errorf("greeting from %s: %w", addr, err)))
	}
	if cn.c.State() != goimap.ConnStateAuthenticated { // PREAUTH needs no login
		if err := login(ctx, cn.c, a, addr); err != nil {
			return fail(err)
		}
	}
	caps := cn.c.Caps()
	if caps == nil {
		return fail(fetch.ConnLost(fmt.Errorf("CAPABILITY from %s: no answer", addr)))
	}
	cn.condstore = caps.Has(goimap.CapCondStore)
	cn.esearch = caps.Has(goimap.CapESearch) || caps.Has(goimap.CapIMAP4rev2)
	return cn, nil
}

// login authenticates with LOGIN, or with AUTHENTICATE PLAIN when the
// server says LOGINDISABLED. One attempt: a rejected password is final.
func login(ctx context.Context, c *imapclient.Client, a fetch.Account, addr string) error {
	pw, err := a.GetPassword(ctx)
	if err != nil {
		return err
	}
	caps := c.Caps()
	if caps.Has(goimap.CapLoginDisabled) {
		if !caps.Has(goimap.Cap("AUTH=PLAIN")) {
			return fetch.Permanent(fmt.Errorf("log in to %s: the server allows neither LOGIN nor AUTHENTICATE PLAIN (it may want TLS: use security = \"tls\" or \"starttls\")", addr))
		}
		err = c.Authenticate(sasl.NewPlainClient("", a.Username, pw))
	} else {
		err = c.Login(a.Username, pw).Wait()
	}
	if err == nil {
		return nil
	}
	var ierr *goimap.Error
	if !errors.As(err, &ierr) {
		return fetch.ConnLost(fmt.Errorf("log in to %s: %w", addr, err))
	}
	switch ierr.Code {
	case goimap.ResponseCodeUnavailable, goimap.ResponseCodeLimit, goimap.ResponseCodeInUse:
		return fmt.Errorf("log in to %s: server busy, try later: %w", addr, err) // temporary
	case goimap.ResponseCodePrivacyRequired:
		return fetch.Permanent(fmt.Errorf("log in to %s: the server requires an encrypted connection: use security = \"tls\" or \"starttls\": %w", addr, err))
	}
	return fetch.Permanent(fmt.Errorf("log in to %s as %q: %w (server said: %s; check the username and password)",
		addr, a.Username, fetch.ErrAuth, cleanText(ierr.Text)))
}

// tlsError explains a failed handshake: a certificate that does not
// verify is permanent and says how to trust it.
func tlsError(host, addr string, err error) error {
	var (
		verifyErr *tls.CertificateVerificationError
		hostErr   x509.HostnameError
		record    tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &verifyErr):
		hint := "if the server uses a self-signed certificate or a private CA, set tls_ca_file to that CA certificate (PEM)"
		if errors.As(err, &hostErr) {
			hint = "the certificate is for another host name: check the account's host"
		}
		return fetch.Permanent(fmt.Errorf("TLS certificate of %s does not verify: %w; %s", host, verifyErr.Err, hint))
	case errors.As(err, &record):
		return fetch.Permanent(fmt.Errorf("TLS handshake with %s: the server does not speak TLS on this port: check port and security: %w", addr, err))
	}
	return fetch.ConnLost(fmt.Errorf("TLS handshake with %s: %w", addr, err))
}

// close logs out politely and closes the connection.
func (cn *conn) close() {
	if cn == nil || cn.c == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		cn.c.Logout().Wait()
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	cn.c.Close()
	<-done
	cn.stop()
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// cleanText keeps a server's text printable and short, for errors.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
