package mailfile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// refCRLF is the obviously correct CRLF on a whole input.
func refCRLF(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// chunkReader returns data in pieces of random sizes (seeded), some empty.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), c.rng.IntN(9))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// readSmall reads r with a buffer of size n at a time.
func readSmall(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestCRLF(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"no newline", "abc", "abc"},
		{"lf", "a\nb\n", "a\r\nb\r\n"},
		{"crlf kept", "a\r\nb\r\n", "a\r\nb\r\n"},
		{"lone cr kept", "a\rb\r", "a\rb\r"},
		{"cr cr lf", "a\r\r\n", "a\r\r\n"},
		{"leading lf", "\n\nx", "\r\n\r\nx"},
		{"mixed", "a\r\nb\nc\rd\n\r\n", "a\r\nb\r\nc\rd\r\n\r\n"},
		{"nul and 8bit", "\x00\xff\n", "\x00\xff\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"plain", strings.NewReader(tt.in)},
				{"onebyte", iotest.OneByteReader(strings.NewReader(tt.in))},
				{"dataerr", iotest.DataErrReader(strings.NewReader(tt.in))},
			} {
				for _, size := range []int{1, 2, 3, 4096} {
					got, err := readSmall(CRLF(r.r), size)
					if err != nil {
						t.Fatalf("%s/%d: %v", r.name, size, err)
					}
					if string(got) != tt.want {
						t.Errorf("CRLF(%q) %s/%d = %q, want %q", tt.in, r.name, size, got, tt.want)
					}
					r.r = resetReader(r.name, tt.in)
				}
			}
		})
	}
}

func resetReader(name, s string) io.Reader {
	switch name {
	case "onebyte":
		return iotest.OneByteReader(strings.NewReader(s))
	case "dataerr":
		return iotest.DataErrReader(strings.NewReader(s))
	}
	return strings.NewReader(s)
}

func TestCRLFTestReader(t *testing.T) {
	in := []byte(strings.Repeat("line\nother\r\nlone\r", 10000))
	if err := iotest.TestReader(CRLF(bytes.NewReader(in)), refCRLF(in)); err != nil {
		t.Fatal(err)
	}
}

func TestCRLFError(t *testing.T) {
	r := CRLF(io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(io.ErrUnexpectedEOF)))
	got, err := io.ReadAll(r)
	if string(got) != "a\r\n" || err != io.ErrUnexpectedEOF {
		t.Fatalf("ReadAll = %q, %v; want %q, %v", got, err, "a\r\n", io.ErrUnexpectedEOF)
	}
}

func FuzzCRLF(f *testing.F) {
	for _, s := range []string{"", "\n", "\r", "\r\n", "a\r\r\n\n", "x\ry\nz\r\n\n\r"} {
		f.Add([]byte(s), uint64(1), uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed uint64, bufSize uint8) {
		cr := &chunkReader{data: in, rng: rand.New(rand.NewPCG(seed, 7))}
		got, err := readSmall(CRLF(cr), int(bufSize%16)+1)
		if err != nil {
			t.Fatal(err)
		}
		if want := refCRLF(in); !bytes.Equal(got, want) {
			t.Fatalf("CRLF(%q) = %q, want %q", in, got, want)
		}
	})
}
