package mailfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// MboxVariant says how quoted From lines in an mbox are unquoted.
type MboxVariant int

const (
	// MboxRD unquotes every line matching ^>+From by removing one ">".
	// It is the default.
	MboxRD MboxVariant = iota
	// MboxO unquotes only ">From " lines; ">>From " stays as it is.
	MboxO
)

// MboxOptions tune an MboxReader. The zero value reads mboxrd and returns
// bodies with LF turned into CRLF.
type MboxOptions struct {
	Variant MboxVariant
	// Raw returns the bytes as they are in the file (after unquoting)
	// instead of applying CRLF.
	Raw bool
}

const (
	mboxBufSize   = 64 << 10 // read buffer; lines may be longer
	maxHeaderBuf  = 1 << 20  // header bytes buffered to learn flags and labels
	fromPeekSize  = 1 << 10  // look-ahead for a From_ line after a Content-Length body
	maxFromLine   = 8 << 10  // a longer line is never a From_ line
	maxContentLen = 1 << 40
)

// MboxReader reads the messages of an mbox one by one. See the package
// documentation for the format rules. Errors other than io.EOF are sticky.
type MboxReader struct {
	mailbox string
	opts    MboxOptions
	br      *bufio.Reader
	closer  io.Closer
	ra      io.ReaderAt // set when Content-Length bodies can be checked at any length
	base    int64       // offset of the stream's start in ra
	off     int64       // stream offset of the next byte br returns
	peekBuf []byte
	keyBuf  [24]byte

	started bool
	next    int // what comes next: nextEOF, nextFrom or nextPreamble
	fromBuf []byte
	n       int
	err     error

	m      msgReader
	hdr    []byte
	replay replayReader
	crlf   crlfReader
}

const (
	nextEOF = iota
	nextFrom
	nextPreamble
)

// OpenMbox opens the mbox file at path. Its messages get the given mailbox
// name ("INBOX" when empty). Close the reader when done.
func OpenMbox(path string, mailbox string, opts MboxOptions) (*MboxReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open mbox: %w", err)
	}
	r := NewMboxReader(f, mailbox, opts)
	r.closer = f
	return r, nil
}

// NewMboxReader reads an mbox from rd. When rd is also an io.ReaderAt and
// io.Seeker (an *os.File), Content-Length headers are checked by looking
// ahead in the file; otherwise only within the read buffer.
func NewMboxReader(rd io.Reader, mailbox string, opts MboxOptions) *MboxReader {
	if mailbox == "" {
		mailbox = "INBOX"
	}
	r := &MboxReader{mailbox: mailbox, opts: opts, br: bufio.NewReaderSize(rd, mboxBufSize)}
	if ra, ok := rd.(io.ReaderAt); ok {
		if s, ok := rd.(io.Seeker); ok {
			if pos, err := s.Seek(0, io.SeekCurrent); err == nil {
				r.ra, r.base = ra, pos
			}
		}
	}
	r.m.r = r
	r.m.done = true
	return r
}

// Close closes the file opened by OpenMbox.
func (r *MboxReader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Next returns the next message, or io.EOF after the last one. The previous
// message's Body is invalid from then on.
func (r *MboxReader) Next() (*Message, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		r.started = true
		if err := r.start(); err != nil {
			r.err = err
			return nil, err
		}
	} else if !r.m.done {
		if _, err := io.Copy(io.Discard, &r.m); err != nil {
			r.err = err
			return nil, err
		}
	}
	var date time.Time
	switch r.next {
	case nextEOF:
		return nil, io.EOF
	case nextFrom:
		date, _ = fromLine(r.fromBuf)
		r.m.begin(true)
	case nextPreamble:
		r.m.begin(false)
	}
	r.n++

	// Buffer the header section to learn flags, labels and the date.
	r.hdr = r.hdr[:0]
	for r.m.inHeader && !r.m.done && len(r.hdr) < maxHeaderBuf {
		if cap(r.hdr)-len(r.hdr) < 4096 {
			r.hdr = append(r.hdr, make([]byte, 16<<10)...)[:len(r.hdr)]
		}
		n, err := r.m.Read(r.hdr[len(r.hdr):cap(r.hdr)])
		r.hdr = r.hdr[:len(r.hdr)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			r.err = err
			return nil, err
		}
	}
	h := parseMboxHeader(r.hdr, date.IsZero())
	if date.IsZero() {
		date = h.date
	}
	msg := &Message{
		Mailbox: r.mailbox,
		Labels:  h.labels,
		Key:     string(strconv.AppendInt(append(r.keyBuf[:0], "mbox:"...), int64(r.n), 10)),
		Flags:   h.flags,
		Date:    date,
	}
	r.replay = replayReader{hdr: r.hdr, m: &r.m}
	if r.opts.Raw {
		msg.Body = &r.replay
	} else {
		r.crlf.reset(&r.replay)
		msg.Body = &r.crlf
	}
	return msg, nil
}

// start skips a byte order mark and blank lines and finds out whether the
// input begins with a From_ line, some other text, or nothing.
func (r *MboxReader) start() error {
	if b, _ := r.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		r.discard(3)
	}
	for {
		b, err := r.br.Peek(5)
		switch {
		case len(b) == 0 && err == io.EOF:
			r.next = nextEOF
			return nil
		case len(b) == 0:
			return fmt.Errorf("read mbox: %w", err)
		case b[0] == '\n':
			r.discard(1)
		case len(b) >= 2 && b[0] == '\r' && b[1] == '\n':
			r.discard(2)
		case bytes.HasPrefix(b, []byte("From ")):
			// At the start of the file any "From " line separates.
			line, err := r.readLine()
			if err != nil {
				return err
			}
			r.fromBuf = append(r.fromBuf[:0], line...)
			r.next = nextFrom
			return nil
		default:
			r.next = nextPreamble
			return nil
		}
	}
}

func (r *MboxReader) discard(n int) {
	k, _ := r.br.Discard(n)
	r.off += int64(k)
}

// readLine consumes a whole line and returns up to maxFromLine bytes of it.
func (r *MboxReader) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		if len(line) < maxFromLine {
			line = append(line, chunk[:min(len(chunk), maxFromLine-len(line))]...)
		}
		switch err {
		case nil, io.EOF:
			return line, nil
		case bufio.ErrBufferFull:
			continue
		default:
			return nil, fmt.Errorf("read mbox: %w", err)
		}
	}
}

// contentLengthOK reports whether a body of n bytes starting at stream
// offset start ends where a From_ line or the end of the input follows,
// directly or after one line ending.
func (r *MboxReader) contentLengthOK(start, n int64) bool {
	data, eof, ok := r.peekAt(start + n)
	if !ok {
		return false
	}
	atFrom := func(d []byte) bool {
		if len(d) == 0 {
			return eof
		}
		if i := bytes.IndexByte(d, '\n'); i >= 0 {
			d = d[:i+1]
		} else if !eof {
			return false // longer than any From_ line we accept here
		}
		_, ok := fromLine(d)
		return ok
	}
	switch {
	case atFrom(data):
		return true
	case bytes.HasPrefix(data, []byte("\r\n")):
		return atFrom(data[2:])
	case bytes.HasPrefix(data, []byte("\n")):
		return atFrom(data[1:])
	}
	return false
}

// peekAt returns up to fromPeekSize bytes of the input at stream offset p
// (p >= r.off) without consuming them, and whether they reach the end of
// the input. ok is false when p is beyond the end or cannot be looked at.
func (r *MboxReader) peekAt(p int64) (data []byte, eof, ok bool) {
	if r.ra != nil {
		if r.peekBuf == nil {
			r.peekBuf = make([]byte, fromPeekSize+1)
		}
		// Read from p-1 so that a p beyond the end can be told from a p at
		// the end. p-1 was consumed already when p is r.off.
		from, skip := p-1, 1
		if p == r.off {
			from, skip = p, 0
		}
		k, err := r.ra.ReadAt(r.peekBuf, r.base+from)
		if err != nil && err != io.EOF {
			return nil, false, false
		}
		if k < skip {
			return nil, false, false
		}
		return r.peekBuf[skip:k], k < len(r.peekBuf), true
	}
	if p-r.off > int64(r.br.Size()-fromPeekSize) {
		return nil, false, false
	}
	rel := int(p - r.off)
	b, err := r.br.Peek(rel + fromPeekSize)
	if err != nil && err != io.EOF {
		return nil, false, false
	}
	if len(b) < rel {
		return nil, false, false
	}
	return b[rel:], len(b) < rel+fromPeekSize, true
}

// replayReader returns the buffered header bytes, then the rest of the
// message.
type replayReader struct {
	hdr []byte
	m   *msgReader
}

func (b *replayReader) Read(p []byte) (int, error) {
	if len(b.hdr) > 0 {
		n := copy(p, b.hdr)
		b.hdr = b.hdr[n:]
		return n, nil
	}
	return b.m.Read(p)
}

// msgReader streams one message's bytes out of the mbox: it unquotes From
// lines, stops at the next From_ line and holds back each line ending until
// it knows the line ending is not the one that belongs to the separator.
type msgReader struct {
	r    *MboxReader
	done bool
	err  error

	atStart   bool // the next chunk starts a line
	stripLast bool // drop the final line ending at EOF (not for a preamble)
	pend      [2]byte
	npend     int

	// Output queue, drained in this order.
	pendOut [2]byte
	npout   int
	gtOut   int64  // '>' bytes to emit
	kOut    string // a prefix of "From " to emit
	seg     []byte // part of the read buffer

	// A line that starts with a run of '>' longer than a read chunk.
	inRun bool
	gt    int64
	fromK int

	inHeader  bool
	clCount   int
	cl        int64
	checkCL   bool
	protected int64 // bytes still inside a Content-Length body
}

func (m *msgReader) begin(fromLine bool) {
	*m = msgReader{r: m.r, atStart: true, stripLast: fromLine, inHeader: true}
}

// Read fills p with as much of the message as the read buffer holds, and
// reads from the input only when it has nothing yet to return.
func (m *msgReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if m.npout > 0 {
			k := copy(p[n:], m.pendOut[:m.npout])
			copy(m.pendOut[:], m.pendOut[k:m.npout])
			m.npout -= k
			n += k
			continue
		}
		if m.gtOut > 0 {
			k := int(min(int64(len(p)-n), m.gtOut))
			for i := range k {
				p[n+i] = '>'
			}
			m.gtOut -= int64(k)
			n += k
			continue
		}
		if m.kOut != "" {
			k := copy(p[n:], m.kOut)
			m.kOut = m.kOut[k:]
			n += k
			continue
		}
		if len(m.seg) > 0 {
			k := copy(p[n:], m.seg)
			m.seg = m.seg[k:]
			n += k
			continue
		}
		if m.err != nil || m.done || (n > 0 && m.r.br.Buffered() == 0) {
			break
		}
		m.nextChunk()
	}
	switch {
	case n > 0:
		return n, nil
	case m.err != nil:
		return 0, m.err
	case m.done:
		return 0, io.EOF
	}
	return 0, nil
}

func (m *msgReader) setPendOut(b []byte) {
	m.npout = copy(m.pendOut[:], b)
}

// nextChunk reads the next piece of a line and queues its output.
func (m *msgReader) nextChunk() {
	r := m.r
	if m.checkCL {
		m.checkCL = false
		if r.contentLengthOK(r.off, m.cl) {
			m.protected = m.cl
		}
	}
	chunk, err := r.br.ReadSlice('\n')
	r.off += int64(len(chunk))
	partial := false
	switch err {
	case nil:
	case bufio.ErrBufferFull:
		partial = true
	case io.EOF:
		if len(chunk) == 0 {
			m.end()
			return
		}
	default:
		m.err = fmt.Errorf("read mbox: %w", err)
		return
	}
	complete := !partial // ends with '\n', or is the last bytes of the input
	protected := m.protected > 0
	m.protected = max(0, m.protected-int64(len(chunk)))

	switch {
	case m.inRun || m.fromK > 0:
		chunk = m.continueRun(chunk, partial)
		if chunk == nil {
			return
		}
	case m.atStart:
		if !protected && complete && bytes.HasPrefix(chunk, []byte("From ")) {
			if _, ok := fromLine(chunk); ok {
				r.fromBuf = append(r.fromBuf[:0], chunk...)
				r.next = nextFrom
				m.done = true
				return
			}
		}
		if m.inHeader && complete {
			m.headerLine(chunk)
		}
		m.setPendOut(m.pend[:m.npend])
		m.npend = 0
		if !protected && len(chunk) > 0 && chunk[0] == '>' {
			i := 0
			for i < len(chunk) && chunk[i] == '>' {
				i++
			}
			m.inRun, m.gt = true, int64(i)
			chunk = m.continueRun(chunk[i:], partial)
			if chunk == nil {
				return
			}
		}
	default:
		// The middle of a long line: a CR held back from the previous
		// chunk either starts this chunk's CRLF or is an ordinary byte.
		if m.npend == 1 && m.pend[0] == '\r' && len(chunk) == 1 && chunk[0] == '\n' {
			m.pend[1], m.npend = '\n', 2
			m.atStart = true
			return
		}
		m.setPendOut(m.pend[:m.npend])
		m.npend = 0
	}
	m.queue(chunk, partial)
}

// queue hands out chunk except its trailing line ending (or trailing CR of
// a partial line), which is held back.
func (m *msgReader) queue(chunk []byte, partial bool) {
	switch n := len(chunk); {
	case n >= 2 && chunk[n-2] == '\r' && chunk[n-1] == '\n':
		m.pend, m.npend = [2]byte{'\r', '\n'}, 2
		chunk = chunk[:n-2]
	case n >= 1 && chunk[n-1] == '\n':
		m.pend, m.npend = [2]byte{'\n'}, 1
		chunk = chunk[:n-1]
	case n >= 1 && chunk[n-1] == '\r':
		m.pend, m.npend = [2]byte{'\r'}, 1
		chunk = chunk[:n-1]
	}
	m.seg = chunk
	m.atStart = !partial && m.npend > 0 && m.pend[m.npend-1] == '\n'
}

// continueRun goes on with a line that started with a run of '>' and
// returns the rest of chunk to queue once it knows whether the line is a
// quoted From line, or nil while it still needs more input.
func (m *msgReader) continueRun(chunk []byte, partial bool) []byte {
	if m.inRun {
		i := 0
		for i < len(chunk) && chunk[i] == '>' {
			i++
		}
		m.gt += int64(i)
		chunk = chunk[i:]
		if len(chunk) == 0 && partial {
			return nil
		}
		m.inRun = false
	}
	want := "From "[m.fromK:]
	k := 0
	for k < len(want) && k < len(chunk) && chunk[k] == want[k] {
		k++
	}
	if k < len(want) && k == len(chunk) && partial {
		m.fromK += k
		return nil
	}
	gt := m.gt
	if k == len(want) && (m.r.opts.Variant == MboxRD || gt == 1) {
		gt--
	}
	m.gtOut, m.kOut = gt, "From "[:m.fromK]
	m.gt, m.fromK = 0, 0
	if chunk == nil {
		chunk = []byte{}
	}
	return chunk
}

// headerLine notes what matters of a header line: Content-Length, and the
// blank line that ends the header section.
func (m *msgReader) headerLine(line []byte) {
	if string(line) == "\n" || string(line) == "\r\n" {
		m.inHeader = false
		if m.clCount == 1 {
			m.checkCL = true
		}
		return
	}
	const name = "content-length:"
	if len(line) > len(name) && bytes.EqualFold(line[:len(name)], []byte(name)) {
		m.clCount++
		v := string(bytes.TrimSpace(line[len(name):]))
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > maxContentLen {
			m.clCount++ // unusable: ignore Content-Length for this message
			return
		}
		m.cl = n
	}
}

// end finishes the message at the end of the input.
func (m *msgReader) end() {
	if m.inRun || m.fromK > 0 {
		m.gtOut, m.kOut = m.gt, "From "[:m.fromK]
		m.inRun, m.gt, m.fromK = false, 0, 0
	}
	lineEnd := m.npend > 0 && m.pend[m.npend-1] == '\n'
	if m.npend > 0 && !(lineEnd && m.stripLast) {
		m.setPendOut(m.pend[:m.npend])
	}
	m.npend = 0
	m.done = true
	m.r.next = nextEOF
}
