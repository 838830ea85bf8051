package message

import (
	"io"
)

// A transferDecoder undoes a Content-Transfer-Encoding as bytes are
// written to it, passing the result to the next writer. Close flushes
// what is pending. Both decoders are lenient: they decode whatever they
// can and count what they had to skip.
type transferDecoder interface {
	io.Writer
	Close() error
	// bad reports how many input bytes were invalid.
	bad() int
}

func newTransferDecoder(cte string, w io.Writer) transferDecoder {
	switch cte {
	case "base64":
		return &base64Decoder{w: w}
	case "quoted-printable":
		return &qpDecoder{w: w}
	}
	return identity{w}
}

type identity struct{ w io.Writer }

func (d identity) Write(p []byte) (int, error) { return d.w.Write(p) }
func (d identity) Close() error                { return nil }
func (d identity) bad() int                    { return 0 }

var b64val = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xFF
	}
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(a); i++ {
		t[a[i]] = byte(i)
	}
	return t
}()

// base64Decoder skips characters outside the alphabet, treats '=' as the
// end of a quantum (and keeps going: some encoders concatenate padded
// blocks), and decodes a final partial quantum.
type base64Decoder struct {
	w    io.Writer
	q    [4]byte
	n    int
	nbad int
	buf  []byte
}

func (d *base64Decoder) Write(p []byte) (int, error) {
	out := d.buf[:0]
	for _, c := range p {
		v := b64val[c]
		if v == 0xFF {
			switch c {
			case '=':
				out = d.flushQuantum(out)
			case ' ', '\t', '\r', '\n':
			default:
				d.nbad++
			}
			continue
		}
		d.q[d.n] = v
		d.n++
		if d.n == 4 {
			out = append(out, d.q[0]<<2|d.q[1]>>4, d.q[1]<<4|d.q[2]>>2, d.q[2]<<6|d.q[3])
			d.n = 0
		}
	}
	d.buf = out
	if len(out) > 0 {
		if _, err := d.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (d *base64Decoder) flushQuantum(out []byte) []byte {
	switch d.n {
	case 2:
		out = append(out, d.q[0]<<2|d.q[1]>>4)
	case 3:
		out = append(out, d.q[0]<<2|d.q[1]>>4, d.q[1]<<4|d.q[2]>>2)
	case 1:
		d.nbad++
	}
	d.n = 0
	return out
}

func (d *base64Decoder) Close() error {
	out := d.flushQuantum(d.buf[:0])
	if len(out) > 0 {
		_, err := d.w.Write(out)
		return err
	}
	return nil
}

func (d *base64Decoder) bad() int { return d.nbad }

// decodeBase64Lenient decodes a whole base64 text leniently.
func decodeBase64Lenient(b []byte) []byte {
	var out sliceWriter
	d := &base64Decoder{w: &out}
	_, _ = d.Write(b)
	_ = d.Close()
	return out.b
}

type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// qpDecoder decodes quoted-printable: "=XX" escapes, soft line breaks
// (also with white space between '=' and the line end), trailing white
// space removed; a '=' not followed by two hex digits is kept literally.
type qpDecoder struct {
	w     io.Writer
	state int // 0 text, 1 after '=', 2 after '=' and one hex digit, 3 after "=\r", 4 after "=" and blanks
	hi    byte
	hic   byte
	ws    []byte // pending white space (dropped at a line end)
	nbad  int
	buf   []byte
}

func (d *qpDecoder) Write(p []byte) (int, error) {
	out := d.buf[:0]
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch d.state {
		case 1:
			switch {
			case c == '\n':
				d.state = 0
			case c == '\r':
				d.state = 3
			case c == ' ' || c == '\t':
				d.ws = append(d.ws[:0], c)
				d.state = 4
			default:
				if h, ok := unhex(c); ok {
					d.hi, d.hic = h, c
					d.state = 2
					continue
				}
				d.nbad++
				out = append(out, '=')
				d.state = 0
				i-- // reprocess c as text
			}
			continue
		case 2:
			if l, ok := unhex(c); ok {
				out = append(out, d.hi<<4|l)
				d.state = 0
				continue
			}
			d.nbad++
			out = append(out, '=', d.hic)
			d.state = 0
			i--
			continue
		case 3:
			d.state = 0
			if c == '\n' {
				continue
			}
			i--
			continue
		case 4:
			switch c {
			case ' ', '\t':
				if len(d.ws) < 256 {
					d.ws = append(d.ws, c)
				}
				continue
			case '\n':
				d.ws = d.ws[:0]
				d.state = 0
				continue
			case '\r':
				d.ws = d.ws[:0]
				d.state = 3
				continue
			}
			d.nbad++
			out = append(out, '=')
			out = append(out, d.ws...)
			d.ws = d.ws[:0]
			d.state = 0
			i--
			continue
		}
		switch c {
		case ' ', '\t':
			d.ws = append(d.ws, c)
			if len(d.ws) >= 1024 {
				out = append(out, d.ws...)
				d.ws = d.ws[:0]
			}
		case '\r', '\n':
			d.ws = d.ws[:0]
			out = append(out, c)
		case '=':
			out = append(out, d.ws...)
			d.ws = d.ws[:0]
			d.state = 1
		default:
			if len(d.ws) > 0 {
				out = append(out, d.ws...)
				d.ws = d.ws[:0]
			}
			out = append(out, c)
		}
	}
	d.buf = out
	if len(out) > 0 {
		if _, err := d.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (d *qpDecoder) Close() error {
	var out []byte
	switch d.state {
	case 1:
		// A trailing "=" is a soft break at the end of the body.
	case 2:
		out = append(out, '=', d.hic)
	}
	d.state = 0
	if len(out) > 0 {
		_, err := d.w.Write(out)
		return err
	}
	return nil
}

func (d *qpDecoder) bad() int { return d.nbad }
