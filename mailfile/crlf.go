package mailfile

import (
	"bytes"
	"io"
)

// CRLF returns a reader that yields r's bytes with every LF that is not
// preceded by CR turned into CRLF, and nothing else changed: a lone CR stays
// a lone CR, an existing CRLF stays CRLF. This is how an IMAP server serves
// a message stored with LF line endings (DESIGN.md, invariant 1). It streams
// with a fixed buffer, and a CR at the end of one read followed by LF at the
// start of the next is recognised as CRLF.
func CRLF(r io.Reader) io.Reader {
	return &crlfReader{r: r}
}

const crlfBufSize = 32 << 10

type crlfReader struct {
	r      io.Reader
	buf    []byte // allocated on first Read
	b      []byte // unread part of buf
	prevCR bool   // the last byte taken from r was CR
	pendLF bool   // a CR was emitted for a bare LF whose LF did not fit
	err    error
}

// reset makes c read from r, keeping its buffer.
func (c *crlfReader) reset(r io.Reader) {
	c.r, c.b, c.prevCR, c.pendLF, c.err = r, nil, false, false, nil
}

func (c *crlfReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if c.pendLF {
		p[0] = '\n'
		n, c.pendLF = 1, false
	}
	for n < len(p) {
		if len(c.b) == 0 {
			if n > 0 || c.err != nil {
				break
			}
			if c.buf == nil {
				c.buf = make([]byte, crlfBufSize)
			}
			m, err := c.r.Read(c.buf)
			c.b, c.err = c.buf[:m], err
			if m == 0 && err == nil {
				return 0, nil // let the caller retry
			}
			continue
		}
		i := bytes.IndexByte(c.b, '\n')
		if i < 0 {
			k := copy(p[n:], c.b)
			c.prevCR = c.b[k-1] == '\r'
			c.b = c.b[k:]
			n += k
			continue
		}
		if i > 0 {
			k := copy(p[n:], c.b[:i])
			c.prevCR = c.b[k-1] == '\r'
			c.b = c.b[k:]
			n += k
			if n == len(p) {
				break
			}
		}
		// c.b[0] is an LF and p has room for at least one byte.
		if !c.prevCR {
			p[n] = '\r'
			n++
			if n == len(p) {
				c.pendLF = true
				c.b = c.b[1:]
				c.prevCR = false
				break
			}
		}
		p[n] = '\n'
		n++
		c.b = c.b[1:]
		c.prevCR = false
	}
	if n > 0 {
		return n, nil
	}
	return 0, c.err
}
