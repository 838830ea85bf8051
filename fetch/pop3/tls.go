package pop3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// STLS upgrades the connection to TLS (RFC 2595), verifying the server's
// certificate with Options.TLSConfig. Dial does this itself for
// SecurityStartTLS. As RFC 2595 asks, capabilities learnt before no longer
// hold: call Capa again if needed.
func (c *Client) STLS(ctx context.Context) error {
	if c.isTLS {
		return errors.New("pop3 STLS: connection already uses TLS")
	}
	return c.run(ctx, "STLS", func() error {
		if _, err := c.cmd("STLS", "STLS"); err != nil {
			return err
		}
		if c.br.Buffered() > 0 {
			// Bytes sent before the handshake would be read as if they had
			// come over TLS: a known injection attack.
			return &ProtocolError{Cmd: "STLS", Msg: "server sent data between +OK and the TLS handshake"}
		}
		return c.tlsHandshake()
	})
}

func (c *Client) handshake(ctx context.Context) error {
	return c.run(ctx, "TLS handshake", c.tlsHandshake)
}

func (c *Client) tlsHandshake() error {
	cfg := c.tlsConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.host
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		return c.tlsError(err)
	}
	c.setConn(tc)
	c.isTLS = true
	return nil
}

// tlsError sorts a handshake error into permanent (*TLSError, with a hint
// for the user) and temporary (*NetError).
func (c *Client) tlsError(err error) error {
	var (
		hostErr x509.HostnameError
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		alert   tls.AlertError
	)
	switch {
	case errors.As(err, &hostErr):
		return &TLSError{Host: c.host, Err: err, hint: "the certificate is for another host name: check the account's host"}
	case errors.As(err, &verify):
		return &TLSError{Host: c.host, Err: err, hint: "if the server uses a self-signed certificate or a private CA, set tls_ca_file to that CA certificate"}
	case errors.As(err, &record):
		return &TLSError{Host: c.host, Err: err, hint: "the server does not speak TLS on this port: check port and security"}
	case errors.As(err, &alert):
		return &TLSError{Host: c.host, Err: err, hint: "the server refused the TLS handshake"}
	}
	return c.netError("TLS handshake", err)
}
