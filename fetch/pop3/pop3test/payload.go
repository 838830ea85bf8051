package pop3test

import (
	"bufio"
	"bytes"
	"errors"
)

// chunkSize is the unit of WriteDelay.
const chunkSize = 4096

// writeStuffed writes data as a multi-line payload: a dot added to each
// line that begins with one (a line begins at the start and after every
// LF), CRLF added when data is not empty and does not end with LF, then the
// terminator ".\r\n". Nothing else is changed.
func writeStuffed(w *bufio.Writer, data []byte) error {
	end := len(data) == 0 || data[len(data)-1] == '\n'
	for len(data) > 0 {
		if data[0] == '.' {
			w.WriteByte('.')
		}
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		w.Write(line)
		data = data[len(line):]
	}
	if !end {
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
	return w.Flush()
}

// top returns the header of a message, the blank line after it and the
// first n lines of the body. A message without a blank line is all header.
func top(data []byte, n int) []byte {
	pos, inBody := 0, false
	for pos < len(data) {
		if inBody {
			if n == 0 {
				break
			}
			n--
		}
		end := len(data)
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			end = pos + i + 1
		}
		if l := string(data[pos:end]); !inBody && (l == "\r\n" || l == "\n") {
			inBody = true
		}
		pos = end
	}
	return data[:pos]
}

var errCut = errors.New("connection dropped as scripted by Message.CutAfter")

// payloadWriter sends a payload to the session, applying WriteDelay and
// Message.CutAfter.
type payloadWriter struct {
	ss  *session
	n   int // bytes sent
	cut int // drop the connection after this many bytes; 0: never
}

func (pw *payloadWriter) Write(p []byte) (int, error) {
	delay := pw.ss.s.opts.WriteDelay
	written := 0
	for len(p) > 0 {
		chunk := p
		if delay > 0 {
			chunk = p[:min(len(p), chunkSize)]
			if err := pw.ss.s.sleep(delay); err != nil {
				return written, err
			}
		}
		if pw.cut > 0 && pw.n+len(chunk) >= pw.cut {
			pw.ss.bw.Write(chunk[:pw.cut-pw.n])
			pw.ss.bw.Flush()
			pw.ss.raw.Close()
			return written, errCut
		}
		if _, err := pw.ss.bw.Write(chunk); err != nil {
			return written, err
		}
		if delay > 0 {
			if err := pw.ss.bw.Flush(); err != nil {
				return written, err
			}
		}
		pw.n += len(chunk)
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}
