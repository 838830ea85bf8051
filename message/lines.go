package message

import (
	"bufio"
	"errors"
	"io"
	"sync"
)

// lineBufSize is the longest line handled in one piece. Longer lines come
// in fragments; a fragment is never a boundary or a header field start.
const lineBufSize = 64 << 10

// line is one physical line, or a fragment of an over-long one.
type line struct {
	b     []byte // content without the line ending; valid until the next read
	eol   int    // length of the line ending: 0 (EOF or fragment), 1 or 2
	start int64  // offset of the first byte in the input
	frag  bool   // the line goes on in the next fragment
	cont  bool   // this continues a previous fragment
	// prevEOL is the line-ending length of the line before, which belongs
	// to this line if it is a boundary line.
	prevEOL int
}

// lineReader reads lines with their offsets. Only LF ends a line; a CR
// before it belongs to the ending.
type lineReader struct {
	br      *bufio.Reader
	off     int64 // offset of the next unread byte
	midLine bool  // the last line read was a fragment
	prevEOL int   // line-ending length of the last line read
	back    *line // a line pushed back, with its bytes copied
	err     error // a read error other than EOF
}

// readers recycles the 64 KiB buffers of finished parses.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, lineBufSize) }}

func newLineReader(r io.Reader) *lineReader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return &lineReader{br: br}
}

// release returns the buffer for reuse; lr must not be used after.
func (lr *lineReader) release() {
	lr.br.Reset(nil)
	readers.Put(lr.br)
	lr.br = nil
}

// next returns the next line; false at the end of the input.
func (lr *lineReader) next() (line, bool) {
	if lr.back != nil {
		l := *lr.back
		lr.back = nil
		lr.prevEOL = l.eol
		lr.midLine = l.frag
		return l, true
	}
	if lr.err != nil {
		return line{}, false
	}
	b, err := lr.br.ReadSlice('\n')
	l := line{start: lr.off, cont: lr.midLine, prevEOL: lr.prevEOL}
	lr.off += int64(len(b))
	switch {
	case err == nil:
		n, eol := len(b)-1, 1
		if n > 0 && b[n-1] == '\r' {
			n, eol = n-1, 2
		}
		l.b, l.eol = b[:n], eol
	case errors.Is(err, bufio.ErrBufferFull):
		l.b, l.frag = b, true
	default:
		if !errors.Is(err, io.EOF) {
			lr.err = err
		} else {
			lr.err = io.EOF
		}
		if len(b) == 0 {
			return line{}, false
		}
		l.b = b
	}
	lr.midLine = l.frag
	lr.prevEOL = l.eol
	return l, true
}

// unread pushes l back so that next returns it again.
func (lr *lineReader) unread(l line) {
	l.b = append([]byte(nil), l.b...)
	lr.back = &l
}

// readErr returns the read error that ended the input, nil for EOF.
func (lr *lineReader) readErr() error {
	if lr.err == nil || errors.Is(lr.err, io.EOF) {
		return nil
	}
	return lr.err
}
