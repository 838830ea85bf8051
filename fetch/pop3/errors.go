package pop3

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var (
	// ErrAuth matches a rejected login (USER, PASS, APOP or AUTH answered
	// with -ERR and no response code that marks the failure as temporary).
	// Trying again with the same credentials will fail again.
	ErrAuth = errors.New("pop3: authentication failed")

	// ErrNoUIDL matches the error of a server that does not support UIDL.
	// The caller can fall back to another way of recognising messages.
	ErrNoUIDL = errors.New("pop3: server does not support UIDL")

	// ErrNoAPOP is returned by APOP when the server's greeting had no
	// timestamp, so the server does not offer APOP.
	ErrNoAPOP = errors.New("pop3: server does not offer APOP (no timestamp in greeting)")

	// ErrNoSTLS is returned when STARTTLS was asked for and the server does
	// not offer STLS.
	ErrNoSTLS = errors.New("pop3: server does not offer STLS")

	// ErrClosed is returned by operations on a closed Client.
	ErrClosed = errors.New("pop3: client closed")
)

// A ServerError is an "-ERR" reply. The connection stays usable.
type ServerError struct {
	Cmd  string // command verb, e.g. "RETR"; never its arguments
	Code string // RFC 2449 response code without brackets, e.g. "IN-USE"; "" if none
	Text string // the server's text after "-ERR", control characters replaced
}

func (e *ServerError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("pop3 %s: server replied -ERR", e.Cmd)
	}
	return fmt.Sprintf("pop3 %s: server replied: %s", e.Cmd, e.Text)
}

// Temporary reports whether the server said the failure will pass: response
// codes IN-USE (maildrop locked by another session), LOGIN-DELAY and SYS/TEMP,
// or an -ERR greeting without a code (typically "too many connections").
func (e *ServerError) Temporary() bool {
	switch e.Code {
	case "IN-USE", "LOGIN-DELAY", "SYS/TEMP":
		return true
	case "":
		return e.Cmd == cmdGreeting
	}
	return false
}

// Is makes errors.Is(err, ErrAuth) true for a rejected login.
func (e *ServerError) Is(target error) bool {
	if target != ErrAuth {
		return false
	}
	switch e.Cmd {
	case "USER", "PASS", "APOP", "AUTH":
		return !e.Temporary() && e.Code != "SYS/PERM"
	}
	return false
}

// A NetError is a failure of the connection: it could not be made, it was
// closed or reset, or the server sent nothing before the timeout. It is
// temporary. The Client is closed after one.
type NetError struct {
	Op      string        // what was being done, e.g. "dial", "RETR"
	Err     error         // the underlying error
	timeout time.Duration // the per-read timeout, for the message
	hint    string        // what the user might do, for the message
}

func (e *NetError) Error() string {
	if e.hint != "" {
		return e.message() + " (" + e.hint + ")"
	}
	return e.message()
}

func (e *NetError) message() string {
	switch {
	case e.Timeout() && e.timeout > 0:
		return fmt.Sprintf("pop3 %s: no answer from server within %s", e.Op, e.timeout)
	case errors.Is(e.Err, io.EOF) || errors.Is(e.Err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("pop3 %s: server closed the connection", e.Op)
	}
	return fmt.Sprintf("pop3 %s: %v", e.Op, e.Err)
}

func (e *NetError) Unwrap() error { return e.Err }

// Temporary reports true: a network failure may pass.
func (e *NetError) Temporary() bool { return true }

// Timeout reports whether the server did not answer within the timeout.
func (e *NetError) Timeout() bool {
	var ne net.Error
	return errors.Is(e.Err, os.ErrDeadlineExceeded) || errors.As(e.Err, &ne) && ne.Timeout()
}

// A ProtocolError is a reply the client cannot understand. It is permanent:
// the same server will answer the same way. The Client is closed after one.
type ProtocolError struct {
	Cmd  string // command verb
	Line string // the offending line, shortened and with control characters replaced
	Msg  string // what was wrong
}

func (e *ProtocolError) Error() string {
	if e.Line == "" {
		return fmt.Sprintf("pop3 %s: %s", e.Cmd, e.Msg)
	}
	return fmt.Sprintf("pop3 %s: %s: %q", e.Cmd, e.Msg, e.Line)
}

// Temporary reports false.
func (e *ProtocolError) Temporary() bool { return false }

// A TLSError is a TLS handshake that failed for a reason that will not pass
// by itself: the certificate is not trusted, or the server does not speak TLS
// on this port.
type TLSError struct {
	Host string // the server's host name
	Err  error  // the handshake error
	hint string
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("pop3: TLS with %s: %v (%s)", e.Host, e.Err, e.hint)
}

func (e *TLSError) Unwrap() error { return e.Err }

// Temporary reports false.
func (e *TLSError) Temporary() bool { return false }

// IsTemporary reports whether err may go away if the operation is tried
// again later: network failures, timeouts and -ERR replies with a temporary
// response code. A wrong password, an untrusted certificate, a missing
// command or a reply that cannot be parsed are permanent.
func IsTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

const maxErrLine = 200

// printable returns s with control characters and invalid UTF-8 replaced by
// U+FFFD, shortened to maxErrLine bytes, so server text is safe to show.
func printable(s string) string {
	if len(s) > maxErrLine {
		s = s[:maxErrLine] + "…"
	}
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}
