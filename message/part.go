package message

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNoPart is returned by Part for a path the message does not have.
var ErrNoPart = errors.New("message: no such part")

// Part finds the part at path (an Attachment.Path: "1", "2.1", ...) in a
// raw message and returns its media type (with the charset parameter for
// text), its decoded filename, and a reader of its transfer-decoded bytes
// (base64 and quoted-printable undone, the charset left as it is; an
// enclosed message comes as its raw bytes). The reader decodes raw while
// it is read, so the caller keeps raw until it is done.
func Part(raw []byte, path string) (ctype, filename string, body io.Reader, err error) {
	if !validPath(path) {
		return "", "", nil, fmt.Errorf("part %q: %w", path, ErrNoPart)
	}
	p := newParser(bytes.NewReader(raw))
	p.target = path
	p.src = raw
	p.run()
	p.lr.release()
	loc := p.found
	if loc == nil {
		return "", "", nil, fmt.Errorf("part %q: %w", path, ErrNoPart)
	}
	ctype = loc.ctype
	if strings.HasPrefix(ctype, "text/") && loc.charset != "" {
		if cs := normalizeLabel(loc.charset); cs != "" && knownCharset(cs) {
			ctype += "; charset=" + cs
		}
	}
	src := loc.src
	start, end := min(loc.start, int64(len(src))), min(loc.end, int64(len(src)))
	if end < start {
		end = start
	}
	return ctype, loc.filename, &decodingReader{src: src[start:end], cte: loc.cte}, nil
}

func validPath(path string) bool {
	if path == "" || len(path) > 200 {
		return false
	}
	for _, f := range strings.Split(path, ".") {
		if n, ok := atoiSmall(f); !ok || n == 0 {
			return false
		}
	}
	return true
}

// decodingReader transfer-decodes src in chunks as it is read.
type decodingReader struct {
	src  []byte
	cte  string
	dec  transferDecoder
	out  sliceWriter
	done bool
}

func (r *decodingReader) Read(p []byte) (int, error) {
	if r.dec == nil {
		r.dec = newTransferDecoder(r.cte, &r.out)
	}
	for len(r.out.b) == 0 {
		if r.done {
			return 0, io.EOF
		}
		n := min(len(r.src), 32<<10)
		if n == 0 {
			r.done = true
			_ = r.dec.Close()
			continue
		}
		_, _ = r.dec.Write(r.src[:n])
		r.src = r.src[n:]
	}
	n := copy(p, r.out.b)
	r.out.b = r.out.b[n:]
	if len(r.out.b) == 0 {
		r.out.b = r.out.b[:0:0]
	}
	return n, nil
}
