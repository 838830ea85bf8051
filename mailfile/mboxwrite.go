package mailfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"time"
)

// MboxWriter writes messages to an mbox in the mboxrd variant. It writes a
// message's bytes as they are (an archived message keeps its CRLF line
// endings), quotes every line matching ^>*From with one more ">", and ends
// the message with one line ending of its own, so that an MboxReader reads
// back exactly the bytes written. It is not safe for concurrent use.
type MboxWriter struct {
	w   *bufio.Writer
	br  *bufio.Reader
	now func() time.Time // for messages without a date; overridden by tests
}

// NewMboxWriter returns a writer appending mbox messages to w.
func NewMboxWriter(w io.Writer) *MboxWriter {
	return &MboxWriter{w: bufio.NewWriterSize(w, 64<<10), now: time.Now}
}

// Write writes one message: a From_ line with the envelope sender from
// (spaces and control characters become "_"; "MAILER-DAEMON" when empty) and
// date (in UTC; now when zero), then body, quoted. The data reaches the
// underlying writer before Write returns.
func (w *MboxWriter) Write(from string, date time.Time, body io.Reader) error {
	if date.IsZero() {
		date = w.now()
	}
	if _, err := fmt.Fprintf(w.w, "From %s %s\n", envelopeSender(from), date.UTC().Format(time.ANSIC)); err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	if w.br == nil {
		w.br = bufio.NewReaderSize(body, mboxBufSize)
	} else {
		w.br.Reset(body)
	}
	tail, err := w.quote()
	w.br.Reset(nil)
	if err != nil {
		return err
	}
	// One line ending that the reader takes as part of the separator. A
	// message ending in CR gets CRLF, so that the reader does not take
	// that CR as half of the line ending; CRLF mail gets CRLF for looks.
	end := "\n"
	if tail[1] == '\r' || tail == [2]byte{'\r', '\n'} {
		end = "\r\n"
	}
	if _, err := w.w.WriteString(end); err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	return nil
}

// quote copies the message from w.br to w.w, adding a ">" to lines matching
// ^>*From . It returns the last two bytes written (zero bytes when fewer).
func (w *MboxWriter) quote() (tail [2]byte, err error) {
	write := func(b []byte) {
		switch len(b) {
		case 0:
			return
		case 1:
			tail = [2]byte{tail[1], b[0]}
		default:
			tail = [2]byte{b[len(b)-2], b[len(b)-1]}
		}
		w.w.Write(b) // a write error sticks in w.w and shows at Flush
	}
	var (
		atStart = true
		gt      int64 // '>' at the start of the line, not yet written
	)
	for {
		chunk, rerr := w.br.ReadSlice('\n')
		if rerr != nil && rerr != bufio.ErrBufferFull && rerr != io.EOF {
			return tail, fmt.Errorf("read message: %w", rerr)
		}
		partial := rerr == bufio.ErrBufferFull
		if atStart && len(chunk) > 0 {
			i := 0
			for i < len(chunk) && chunk[i] == '>' {
				i++
			}
			gt += int64(i)
			rest := chunk[i:]
			if len(rest) == 0 && partial {
				continue // a run of '>' longer than the buffer
			}
			// The line is quotable when "From " follows the run. Only after
			// a run of tens of kilobytes can those five bytes straddle the
			// buffer; then peek for the missing ones.
			from := bytes.HasPrefix(rest, []byte("From "))
			if partial && len(rest) < 5 && bytes.HasPrefix([]byte("From "), rest) {
				saved := string(rest)
				more, _ := w.br.Peek(5 - len(saved))
				from = saved+string(more) == "From "
				rest = []byte(saved)
			}
			if from {
				gt++
			}
			writeGT(write, gt)
			gt = 0
			chunk = rest
		}
		write(chunk)
		if rerr == io.EOF {
			writeGT(write, gt)
			return tail, nil
		}
		atStart = !partial
	}
}

var gtRun = bytes.Repeat([]byte{'>'}, 256)

func writeGT(write func([]byte), n int64) {
	for n > 0 {
		k := min(n, int64(len(gtRun)))
		write(gtRun[:k])
		n -= k
	}
}

// envelopeSender makes from usable as the sender of a From_ line.
func envelopeSender(from string) string {
	if from == "" {
		return "MAILER-DAEMON"
	}
	b := []byte(from)
	for i, c := range b {
		if c <= ' ' || c == 0x7f {
			b[i] = '_'
		}
	}
	return string(b)
}
