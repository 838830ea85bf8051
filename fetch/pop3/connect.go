package pop3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/mailkeep/mailkeep/fetch"
)

// connect dials the account's server, protects the connection as the
// account says and logs in. Errors are sorted for fetch's retry loop:
// permanent when trying again cannot help (certificate, password,
// plaintext refused, a server that lacks STLS), temporary (fetch.ConnLost)
// for the network.
func (r *run) connect(ctx context.Context) (*Client, error) {
	a := r.src.acct
	addr := a.Addr()
	var sec Security
	switch a.Security {
	case fetch.TLS:
		sec = SecurityTLS
	case fetch.STARTTLS:
		sec = SecurityStartTLS
	case fetch.None:
		sec = SecurityNone
		if !a.AllowPlaintext && !isLoopback(a.Host) {
			return nil, fetch.Permanent(fmt.Errorf("refusing to send the password for %s unencrypted to %s: "+
				"security \"none\" is only for loopback hosts; use security = \"tls\" or \"starttls\", or set allow_plaintext = true", a.Name, a.Host))
		}
	default:
		return nil, fetch.Permanent(fmt.Errorf("account %s: unknown security %q (want tls, starttls or none)", a.Name, a.Security))
	}
	c, err := Dial(ctx, addr, Options{Security: sec, TLSConfig: a.TLSConfig, Timeout: a.Timeout, Logger: r.log})
	if err != nil {
		return nil, r.connErr(ctx, fmt.Errorf("connect to %s: %w", addr, err))
	}
	if err := r.login(ctx, c, sec != SecurityNone); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// login authenticates: APOP when the account asks for it and the greeting
// offers it, else SASL PLAIN when CAPA lists it, else USER and PASS. One
// attempt: a rejected password is final.
func (r *run) login(ctx context.Context, c *Client, encrypted bool) error {
	a := r.src.acct
	addr := a.Addr()
	pw, err := a.GetPassword(ctx)
	if err != nil {
		return err
	}
	switch {
	case a.APOP && c.timestamp != "":
		err = c.APOP(ctx, a.Username, pw)
	case a.APOP && !encrypted:
		return fetch.Permanent(fmt.Errorf("log in to %s: APOP was asked for but the server does not offer it (no timestamp in its greeting); "+
			"not sending the password unencrypted instead: use security = \"tls\" or \"starttls\", or remove auth = \"apop\"", addr))
	default:
		if a.APOP {
			r.warnOnce("apop", "APOP was asked for but the server does not offer it; logged in over the encrypted connection instead")
		}
		caps, cerr := c.Capa(ctx)
		var se *ServerError
		switch {
		case cerr == nil:
		case errors.As(cerr, &se):
			caps = nil // a server without CAPA: USER and PASS
		default:
			return r.connErr(ctx, fmt.Errorf("CAPA from %s: %w", addr, cerr))
		}
		if caps.SASL("PLAIN") {
			err = c.AuthPlain(ctx, a.Username, pw)
		} else if err = c.User(ctx, a.Username); err == nil {
			err = c.Pass(ctx, pw)
		}
	}
	if err == nil {
		return nil
	}
	var se *ServerError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, ErrAuth) && errors.As(err, &se):
		return fetch.Permanent(fmt.Errorf("log in to %s as %q: %w (server said: %s; check the username and password)",
			addr, a.Username, fetch.ErrAuth, se.Text))
	case errors.As(err, &se) && se.Temporary():
		return fmt.Errorf("log in to %s: server busy, try later: %w", addr, err) // retried
	}
	return r.connErr(ctx, fmt.Errorf("log in to %s: %w", addr, err))
}

// connErr sorts an error of the client: ctx's error when the run was
// cancelled, fetch.ConnLost for the network (retried), the error itself
// for a temporary -ERR (retried), and permanent for everything else (an
// untrusted certificate, a missing STLS, a reply that makes no sense).
func (r *run) connErr(ctx context.Context, err error) error {
	var (
		ne *NetError
		se *ServerError
	)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &ne):
		return fetch.ConnLost(err)
	case errors.As(err, &se) && se.Temporary():
		return err
	case errors.Is(err, ErrClosed):
		return fetch.ConnLost(err)
	}
	return fetch.Permanent(err)
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
