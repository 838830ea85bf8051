package pop3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// User sends the user name (USER), to be followed by Pass. An -ERR reply
// matches ErrAuth.
func (c *Client) User(ctx context.Context, name string) error {
	if err := checkArg("USER", name); err != nil {
		return err
	}
	return c.run(ctx, "USER", func() error {
		_, err := c.cmd("USER", "USER "+name)
		return err
	})
}

// Pass sends the password (PASS) after User. A wrong password gives an
// error that matches ErrAuth.
func (c *Client) Pass(ctx context.Context, password string) error {
	if err := checkArg("PASS", password); err != nil {
		return err
	}
	return c.run(ctx, "PASS", func() error {
		return c.login("PASS", "PASS "+password, "PASS <redacted>")
	})
}

// APOP logs in with the APOP command: the password itself is not sent,
// only an MD5 digest of it with the greeting's timestamp. It returns
// ErrNoAPOP if the greeting had no timestamp.
func (c *Client) APOP(ctx context.Context, name, password string) error {
	if c.timestamp == "" {
		return ErrNoAPOP
	}
	if checkArg("APOP", name) != nil || strings.ContainsAny(name, " \t") {
		return errors.New("pop3 APOP: user name is empty or contains a space, line break or NUL")
	}
	sum := md5.Sum([]byte(c.timestamp + password))
	return c.run(ctx, "APOP", func() error {
		return c.login("APOP", "APOP "+name+" "+hex.EncodeToString(sum[:]), "APOP "+name+" <redacted>")
	})
}

// AuthPlain logs in with SASL PLAIN (RFC 5034, RFC 4616), offered when
// Capabilities.SASL("PLAIN"). The credentials are sent after the server's
// "+" continuation rather than as an initial response, which every server
// accepts and which keeps the command within 255 octets. A wrong password
// matches ErrAuth.
func (c *Client) AuthPlain(ctx context.Context, username, password string) error {
	if err := checkArg("AUTH", username); err != nil {
		return err
	}
	if err := checkArg("AUTH", password); err != nil {
		return err
	}
	return c.run(ctx, "AUTH", func() error {
		if err := c.send("AUTH", "AUTH PLAIN", ""); err != nil {
			return err
		}
		line, err := c.readLine("AUTH")
		if err != nil {
			return err
		}
		if ok, text, valid := parseStatus(line); valid {
			if ok {
				return &ProtocolError{Cmd: "AUTH", Line: printable(line), Msg: "want a \"+\" continuation"}
			}
			return serverError("AUTH", text)
		}
		if !strings.HasPrefix(line, "+") {
			return &ProtocolError{Cmd: "AUTH", Line: printable(line), Msg: "want a \"+\" continuation"}
		}
		resp := base64.StdEncoding.EncodeToString([]byte("\x00" + username + "\x00" + password))
		return c.login("AUTH", resp, "<redacted>")
	})
}

// login sends a command carrying a secret and reads the verdict.
func (c *Client) login(op, line, redacted string) error {
	if err := c.send(op, line, redacted); err != nil {
		return err
	}
	ok, text, err := c.readStatus(op)
	if err != nil {
		return err
	}
	if !ok {
		return serverError(op, text)
	}
	return nil
}
