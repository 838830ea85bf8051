package pop3

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

// Capa asks for the server's capabilities (RFC 2449). A server without CAPA
// answers with a *ServerError.
func (c *Client) Capa(ctx context.Context) (Capabilities, error) {
	var caps Capabilities
	err := c.run(ctx, "CAPA", func() error {
		if _, err := c.cmd("CAPA", "CAPA"); err != nil {
			return err
		}
		lines, err := c.readLines("CAPA")
		if err != nil {
			return err
		}
		caps = parseCapabilities(lines)
		c.pipelining = caps.Has("PIPELINING")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return caps, nil
}

// Stat returns the number of messages in the maildrop and their total size
// in octets (not counting messages marked with DELE).
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	err = c.run(ctx, "STAT", func() error {
		text, err := c.cmd("STAT", "STAT")
		if err != nil {
			return err
		}
		var ok bool
		if count, size, ok = parseStat(text); !ok {
			return &ProtocolError{Cmd: "STAT", Line: printable(text), Msg: "want +OK count size"}
		}
		return nil
	})
	return count, size, err
}

// List returns the number and size of every message.
func (c *Client) List(ctx context.Context) ([]ListEntry, error) {
	var list []ListEntry
	err := c.run(ctx, "LIST", func() error {
		if _, err := c.cmd("LIST", "LIST"); err != nil {
			return err
		}
		lines, err := c.readLines("LIST")
		if err != nil {
			return err
		}
		list = make([]ListEntry, 0, len(lines))
		for _, l := range lines {
			e, ok := parseListLine(l)
			if !ok {
				return &ProtocolError{Cmd: "LIST", Line: printable(l), Msg: "want number size"}
			}
			list = append(list, e)
		}
		return nil
	})
	return list, err
}

// ListOne returns the size of message n.
func (c *Client) ListOne(ctx context.Context, n int) (ListEntry, error) {
	var e ListEntry
	err := c.runNum(ctx, "LIST", n, func(line string) error {
		text, err := c.cmd("LIST", line)
		if err != nil {
			return err
		}
		var ok bool
		if e, ok = parseListLine(text); !ok {
			return &ProtocolError{Cmd: "LIST", Line: printable(text), Msg: "want +OK number size"}
		}
		return nil
	})
	return e, err
}

// UIDL returns the unique id of every message. A server without UIDL gives
// an error that matches ErrNoUIDL. Ids are returned as sent, duplicates
// included.
func (c *Client) UIDL(ctx context.Context) ([]UIDLEntry, error) {
	var list []UIDLEntry
	err := c.run(ctx, "UIDL", func() error {
		if _, err := c.cmd("UIDL", "UIDL"); err != nil {
			return noUIDL(err)
		}
		lines, err := c.readLines("UIDL")
		if err != nil {
			return err
		}
		list = make([]UIDLEntry, 0, len(lines))
		for _, l := range lines {
			e, ok := parseUIDLLine(l)
			if !ok {
				return &ProtocolError{Cmd: "UIDL", Line: printable(l), Msg: "want number id"}
			}
			list = append(list, e)
		}
		return nil
	})
	return list, err
}

// noUIDL turns a permanent -ERR to UIDL into ErrNoUIDL.
func noUIDL(err error) error {
	if se, ok := err.(*ServerError); ok && !se.Temporary() {
		return fmt.Errorf("%w: %w", ErrNoUIDL, err)
	}
	return err
}

// UIDLOne returns the unique id of message n. An -ERR reply is a
// *ServerError; it may mean the message does not exist, so use UIDL to
// learn whether the server supports UIDL at all.
func (c *Client) UIDLOne(ctx context.Context, n int) (UIDLEntry, error) {
	var e UIDLEntry
	err := c.runNum(ctx, "UIDL", n, func(line string) error {
		text, err := c.cmd("UIDL", line)
		if err != nil {
			return err
		}
		var ok bool
		if e, ok = parseUIDLLine(text); !ok {
			return &ProtocolError{Cmd: "UIDL", Line: printable(text), Msg: "want +OK number id"}
		}
		return nil
	})
	return e, err
}

// Dele marks message n for deletion. The server deletes it only when Quit
// succeeds; Rset, Close or a lost connection keep it.
func (c *Client) Dele(ctx context.Context, n int) error {
	return c.runNum(ctx, "DELE", n, func(line string) error {
		_, err := c.cmd("DELE", line)
		return err
	})
}

// Rset unmarks every message marked with DELE in this session.
func (c *Client) Rset(ctx context.Context) error {
	return c.simple(ctx, "RSET")
}

// Noop does nothing, keeping the session alive.
func (c *Client) Noop(ctx context.Context) error {
	return c.simple(ctx, "NOOP")
}

// Quit ends the session: the server deletes the messages marked with DELE
// and answers. Only a nil error means the deletions happened; an -ERR reply
// (a *ServerError) means some were not done. The connection is closed in
// every case.
func (c *Client) Quit(ctx context.Context) error {
	err := c.simple(ctx, "QUIT")
	if err == ErrClosed {
		return err
	}
	c.Close()
	return err
}

func (c *Client) simple(ctx context.Context, verb string) error {
	return c.run(ctx, verb, func() error {
		_, err := c.cmd(verb, verb)
		return err
	})
}

// runNum runs f with the command line "VERB n" after checking n.
func (c *Client) runNum(ctx context.Context, verb string, n int, f func(line string) error) error {
	if n < 1 {
		return fmt.Errorf("pop3 %s: message number %d out of range", verb, n)
	}
	return c.run(ctx, verb, func() error { return f(verb + " " + strconv.Itoa(n)) })
}

// Retr retrieves message n. The returned reader streams its bytes (see the
// package comment for exactly which) and returns io.EOF at the end of the
// message. ctx governs the whole transfer, including the reads. No other
// command may be sent until the reader has returned io.EOF or an error, or
// has been closed; Close reads the rest of the message so the session can
// go on. An -ERR reply is a *ServerError and leaves the session usable.
func (c *Client) Retr(ctx context.Context, n int) (io.ReadCloser, error) {
	if n < 1 {
		return nil, fmt.Errorf("pop3 RETR: message number %d out of range", n)
	}
	return c.fetch(ctx, "RETR", "RETR "+strconv.Itoa(n), n)
}

// Top retrieves the header of message n and the first lines lines of its
// body, as Retr does.
func (c *Client) Top(ctx context.Context, n, lines int) (io.ReadCloser, error) {
	if n < 1 || lines < 0 {
		return nil, fmt.Errorf("pop3 TOP: message %d, %d lines out of range", n, lines)
	}
	return c.fetch(ctx, "TOP", "TOP "+strconv.Itoa(n)+" "+strconv.Itoa(lines), 0)
}

// fetch sends a command whose reply carries a payload; retr is the message
// number of a RETR (whose command may have been sent ahead), else 0.
func (c *Client) fetch(ctx context.Context, op, line string, retr int) (io.ReadCloser, error) {
	if err := c.ready(ctx, op); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, c.abort)
	sent, err := false, error(nil)
	if retr > 0 {
		sent, err = c.takeAhead(retr)
	} else {
		err = c.discardAhead(op)
	}
	switch {
	case err != nil:
	case sent:
		_, err = c.reply(op)
	default:
		_, err = c.cmd(op, line)
	}
	if err != nil {
		return nil, c.end(ctx, stop, op, err)
	}
	b := &body{c: c, ctx: ctx, stop: stop, op: op, dr: newDotReader(c.br)}
	c.body = b
	return b, nil
}

// body is the payload of a RETR or TOP reply.
type body struct {
	c    *Client
	ctx  context.Context // governs the transfer; owned by the caller of Retr
	stop func() bool
	op   string
	dr   *dotReader
	done bool  // terminator read, or failed
	err  error // the error that ended the transfer
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n, err := b.dr.Read(p)
	switch {
	case err == io.EOF:
		b.finish(nil)
	case err != nil:
		err = b.finish(b.c.netError(b.op, err))
	}
	return n, err
}

// finish ends the transfer: the session may go on after a clean end.
func (b *body) finish(err error) error {
	b.done = true
	if b.c.body == b {
		b.c.body = nil
	}
	b.err = b.c.end(b.ctx, b.stop, b.op, err)
	return b.err
}

// Close reads and discards the rest of the message, so the session can go
// on. It returns an error only if that fails.
func (b *body) Close() error {
	if b.done {
		return nil
	}
	_, err := io.Copy(io.Discard, b)
	return err
}
