package pop3

import (
	"io"
	"strconv"
)

// Pipelining (RFC 2449): a server that lists PIPELINING in CAPA takes
// several commands before it answers the first. RetrAhead uses that to keep
// a few RETR commands in flight, so the server reads and sends the next
// message while the client is still taking in this one, instead of one
// round trip and one server-side file open per message in series.

// pipelineWindow is how many RETR commands are in flight at most.
const pipelineWindow = 16

// RetrAhead announces the messages the caller will Retr next, in this
// order. With a server that offers PIPELINING (as its last CAPA answer
// said), the client then sends their RETR commands ahead, a few at a time;
// Retr of the next announced message reads the reply already on its way.
// Any other command, or a Retr out of the announced order, first reads and
// discards the replies still in flight and forgets the rest of the list.
// Without PIPELINING RetrAhead does nothing.
func (c *Client) RetrAhead(ns []int) {
	if !c.pipelining {
		return
	}
	c.queue = append(c.queue[:0], ns...)
}

// takeAhead reports whether the reply to "RETR n" is the next one to read
// (its command sent ahead), and tops up the commands in flight. Otherwise
// it discards what is in flight and the rest of the announced list.
func (c *Client) takeAhead(n int) (bool, error) {
	// The next reply to read is for the first message in flight, else
	// for the first one announced.
	next := c.queue
	if len(c.ahead) > 0 {
		next = c.ahead
	}
	if len(next) == 0 || next[0] != n {
		return false, c.discardAhead("RETR")
	}
	// Top up before reading: the server always has the next one to send.
	for len(c.queue) > 0 && len(c.ahead) < pipelineWindow {
		next := c.queue[0]
		c.queue = c.queue[1:]
		c.ahead = append(c.ahead, next)
		if c.log != nil {
			c.log.Debug("pop3 send", "cmd", "RETR "+strconv.Itoa(next), "pipelined", true)
		}
		c.bw.WriteString("RETR " + strconv.Itoa(next) + "\r\n")
	}
	if err := c.bw.Flush(); err != nil {
		return false, c.netError("RETR", err)
	}
	c.ahead = c.ahead[1:]
	return true, nil
}

// discardAhead reads and drops the replies of the RETR commands in flight
// and forgets the announced list, so that the next command's reply is the
// next one read.
func (c *Client) discardAhead(op string) error {
	c.queue = c.queue[:0]
	for len(c.ahead) > 0 {
		c.ahead = c.ahead[1:]
		ok, _, err := c.readStatus(op)
		if err != nil {
			return err
		}
		if ok {
			if _, err := io.Copy(io.Discard, newDotReader(c.br)); err != nil {
				return c.netError(op, noEOF(err))
			}
		}
	}
	return nil
}
