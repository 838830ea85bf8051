package mailfile

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// benchSize is the size of the generated mbox streams.
const benchSize = 256 << 20

// genReader yields size bytes by repeating tmpl, generated on the fly.
type genReader struct {
	tmpl []byte
	pos  int
	left int64
}

func newGenReader(tmpl []byte, size int64) *genReader {
	return &genReader{tmpl: tmpl, left: size}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], g.tmpl[g.pos:])
		n += k
		g.pos = (g.pos + k) % len(g.tmpl)
	}
	g.left -= int64(n)
	return n, nil
}

// benchMbox returns mbox text for n messages of about 4 KB each, with the
// usual mix of headers, 72-column lines and quoted From lines; the total
// length is a whole number of messages.
func benchMbox(n int) []byte {
	var buf bytes.Buffer
	w := NewMboxWriter(&buf)
	line := strings.Repeat("lorem ipsum dolor sit amet ", 3)[:72] + "\n"
	for i := range n {
		var m strings.Builder
		fmt.Fprintf(&m, "From: sender%d@example.com\nTo: list@example.org\nSubject: message %d\n", i, i)
		fmt.Fprintf(&m, "Date: Mon, 2 Jan 2006 15:04:05 +0000\nMessage-ID: <%d@example.com>\nStatus: RO\n\n", i)
		for j := range 50 {
			if j == 10 {
				m.WriteString("From the desk of the sender\n>From a quote\n")
			}
			m.WriteString(line)
		}
		w.Write("sender@example.com", time.Unix(1e9, 0), strings.NewReader(m.String()))
	}
	return buf.Bytes()
}

func benchmarkMboxRead(b *testing.B, tmpl []byte, opts MboxOptions) {
	b.ReportAllocs()
	b.SetBytes(benchSize)
	var msgs int
	for b.Loop() {
		r := NewMboxReader(newGenReader(tmpl, benchSize), "", opts)
		msgs = 0
		for {
			m, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, m.Body); err != nil {
				b.Fatal(err)
			}
			msgs++
		}
	}
	b.ReportMetric(float64(msgs), "msgs/op")
}

// BenchmarkMboxRead reads a 256 MB mbox of 4 KB messages, generated lazily.
func BenchmarkMboxRead(b *testing.B) {
	tmpl := benchMbox(64)
	b.Run("crlf", func(b *testing.B) { benchmarkMboxRead(b, tmpl, MboxOptions{}) })
	b.Run("raw", func(b *testing.B) { benchmarkMboxRead(b, tmpl, MboxOptions{Raw: true}) })
}

// BenchmarkMboxReadHugeMessage reads one 256 MB message: allocations and
// memory do not grow with the message.
func BenchmarkMboxReadHugeMessage(b *testing.B) {
	line := []byte(strings.Repeat("x", 75) + "\n")
	head := []byte(fromA + "Subject: huge\n\n")
	b.ReportAllocs()
	b.SetBytes(benchSize)
	for b.Loop() {
		body := newGenReader(line, benchSize-int64(len(head)))
		r := NewMboxReader(io.MultiReader(bytes.NewReader(head), body), "", MboxOptions{})
		m, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, m.Body); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Next(); err != io.EOF {
			b.Fatal(err)
		}
	}
}

// BenchmarkMboxWrite writes 4 KB messages.
func BenchmarkMboxWrite(b *testing.B) {
	msg := benchMbox(1)
	msg = msg[bytes.IndexByte(msg, '\n')+1:]
	w := NewMboxWriter(io.Discard)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := w.Write("a@b.c", time.Unix(1e9, 0), bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCRLF converts LF text.
func BenchmarkCRLF(b *testing.B) {
	line := []byte(strings.Repeat("x", 71) + "\n")
	b.ReportAllocs()
	b.SetBytes(64 << 20)
	for b.Loop() {
		if _, err := io.Copy(io.Discard, CRLF(newGenReader(line, 64<<20))); err != nil {
			b.Fatal(err)
		}
	}
}
