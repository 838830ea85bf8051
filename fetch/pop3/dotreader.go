package pop3

import (
	"bufio"
	"bytes"
	"io"
)

// dotReader reads the payload of a multi-line POP3 response from r: it
// removes one leading dot from each line that begins with one, stops at the
// terminating "." line (".\r\n", or ".\n"), and passes every other byte
// through unchanged, CR and LF included. A line begins at the start and
// after every LF. Lines of any length stream through in pieces; nothing is
// buffered beyond r's buffer.
//
// After io.EOF, r is positioned just after the terminator. If r ends before
// the terminator, Read returns io.ErrUnexpectedEOF.
type dotReader struct {
	r     *bufio.Reader
	state dotState
}

type dotState uint8

const (
	dotLineStart dotState = iota // at the start of a line
	dotData                      // inside a line
	dotDot                       // read a dot at the start of a line
	dotDotCR                     // read ".\r" at the start of a line
	dotEOF                       // read the terminator
)

var dotLine = []byte("\n.")

func newDotReader(r *bufio.Reader) *dotReader { return &dotReader{r: r} }

func (d *dotReader) Read(p []byte) (n int, err error) {
	for n < len(p) {
		if d.state == dotEOF {
			return n, io.EOF
		}
		// Return what we have rather than wait for the network.
		if n > 0 && d.r.Buffered() == 0 {
			return n, nil
		}
		switch d.state {
		case dotLineStart, dotData:
			if _, err := d.r.Peek(1); err != nil {
				return n, noEOF(err)
			}
			buf, _ := d.r.Peek(min(d.r.Buffered(), len(p)-n))
			if d.state == dotLineStart && buf[0] == '.' {
				d.r.Discard(1)
				d.state = dotDot
				continue
			}
			// Copy up to the next line that starts with a dot, at once.
			d.state = dotData
			if i := bytes.Index(buf, dotLine); i >= 0 {
				buf = buf[:i+1]
				d.state = dotLineStart
			} else if buf[len(buf)-1] == '\n' {
				d.state = dotLineStart
			}
			n += copy(p[n:], buf)
			d.r.Discard(len(buf))
		case dotDot:
			b, err := d.r.ReadByte()
			if err != nil {
				return n, noEOF(err)
			}
			switch b {
			case '\n': // ".\n": a terminator written with a bare LF
				d.state = dotEOF
			case '\r':
				d.state = dotDotCR
			default: // the stuffed dot is dropped; b is data
				p[n] = b
				n++
				d.state = dotData
			}
		case dotDotCR:
			b, err := d.r.ReadByte()
			if err != nil {
				return n, noEOF(err)
			}
			if b == '\n' {
				d.state = dotEOF
				continue
			}
			// ".\r" then more: a line ".\r…" that lost its dot.
			d.r.UnreadByte()
			p[n] = '\r'
			n++
			d.state = dotData
		}
	}
	return n, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: a payload must end with its
// terminator, not with the connection.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
