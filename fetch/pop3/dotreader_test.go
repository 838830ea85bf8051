package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var dotTests = []struct {
	name string
	wire string // what follows the +OK line
	want string
	rest string // left unread after the terminator
	err  error
}{
	{name: "empty", wire: ".\r\n", want: ""},
	{name: "empty, bare LF terminator", wire: ".\n", want: ""},
	{name: "one line", wire: "a\r\n.\r\nNEXT", want: "a\r\n", rest: "NEXT"},
	{name: "stuffed dot", wire: "..a\r\n.\r\n", want: ".a\r\n"},
	{name: "stuffed lone dots", wire: "..\r\n...\r\n.\r\n", want: ".\r\n..\r\n"},
	{name: "unstuffed dot loses it", wire: ".a\r\n.\r\n", want: "a\r\n"},
	{name: "dot not at line start", wire: "a.\r\nb..\r\n.\r\n", want: "a.\r\nb..\r\n"},
	{name: "bare LF lines", wire: "a\nb\n.\n", want: "a\nb\n"},
	{name: "stuffed after bare LF", wire: "a\n..\n.\r\n", want: "a\n.\n"},
	{name: "bare CR is not a line end", wire: "a\r.\r\n.\r\n", want: "a\r.\r\n"},
	{name: "dot CR then data", wire: ".\rx\r\n.\r\n", want: "\rx\r\n"},
	{name: "dot CR dot", wire: ".\r.\r\n.\r\n", want: "\r.\r\n"},
	{name: "dot CR CR LF", wire: ".\r\r\n.\r\n", want: "\r\r\n"},
	{name: "blank lines", wire: "\r\n\r\n\n.\r\n", want: "\r\n\r\n\n"},
	{name: "long line", wire: strings.Repeat("x", 100000) + "\r\n.\r\n", want: strings.Repeat("x", 100000) + "\r\n"},
	{name: "long stuffed line", wire: "." + strings.Repeat(".", 5000) + "\r\n.\r\n", want: strings.Repeat(".", 5000) + "\r\n"},
	{name: "nothing", wire: "", err: io.ErrUnexpectedEOF},
	{name: "no terminator", wire: "abc\r\n", want: "abc\r\n", err: io.ErrUnexpectedEOF},
	{name: "cut in a line", wire: "abc", want: "abc", err: io.ErrUnexpectedEOF},
	{name: "cut after dot", wire: "a\r\n.", want: "a\r\n", err: io.ErrUnexpectedEOF},
	{name: "cut after dot CR", wire: "a\r\n.\r", want: "a\r\n", err: io.ErrUnexpectedEOF},
}

// readPatterns read a dotReader in different ways; underlying wraps the
// connection side, outer the reader itself.
var readPatterns = []struct {
	name       string
	bufSize    int
	underlying func(io.Reader) io.Reader
	outer      func(io.Reader) io.Reader
}{
	{"plain", 4096, nil, nil},
	{"small buffer", 16, nil, nil},
	{"one byte in", 16, iotest.OneByteReader, nil},
	{"half reads in", 16, iotest.HalfReader, nil},
	{"data with EOF", 16, iotest.DataErrReader, nil},
	{"one byte out", 4096, nil, iotest.OneByteReader},
	{"half reads out", 16, iotest.HalfReader, iotest.HalfReader},
}

func TestDotReader(t *testing.T) {
	for _, tc := range dotTests {
		for _, p := range readPatterns {
			t.Run(tc.name+"/"+p.name, func(t *testing.T) {
				var in io.Reader = strings.NewReader(tc.wire)
				if p.underlying != nil {
					in = p.underlying(in)
				}
				br := bufio.NewReaderSize(in, p.bufSize)
				var r io.Reader = newDotReader(br)
				if p.outer != nil {
					r = p.outer(r)
				}
				got, err := io.ReadAll(r)
				if string(got) != tc.want || !errors.Is(err, tc.err) && err != tc.err {
					t.Errorf("unstuff(%q) = %q, %v; want %q, %v", trunc([]byte(tc.wire)), trunc(got), err, trunc([]byte(tc.want)), tc.err)
				}
				if rest, _ := io.ReadAll(br); tc.err == nil && string(rest) != tc.rest {
					t.Errorf("unstuff(%q) left %q unread, want %q", tc.wire, rest, tc.rest)
				}
			})
		}
	}
}

// TestDotReaderDoesNotWait checks that Read returns the bytes it has
// instead of waiting for more from the network.
func TestDotReaderDoesNotWait(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go pw.Write([]byte("abc\r\n..de"))
	stuck := errors.New("Read waited for more data")
	timer := time.AfterFunc(10*time.Second, func() { pw.CloseWithError(stuck) })
	defer timer.Stop()
	d := newDotReader(bufio.NewReaderSize(pr, 4096))
	buf := make([]byte, 100)
	var got []byte
	for len(got) < len("abc\r\n.de") {
		n, err := d.Read(buf)
		if err != nil {
			t.Fatalf("Read after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "abc\r\n.de" {
		t.Errorf("Read = %q, want %q", got, "abc\r\n.de")
	}
}

// stuffRef is the reference dot-stuffing: what a server sends for payload,
// terminator included.
func stuffRef(payload []byte) []byte {
	var out []byte
	for len(payload) > 0 {
		line := payload
		if i := bytes.IndexByte(payload, '\n'); i >= 0 {
			line = payload[:i+1]
		}
		if line[0] == '.' {
			out = append(out, '.')
		}
		out = append(out, line...)
		payload = payload[len(line):]
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, "\r\n"...)
	}
	return append(out, ".\r\n"...)
}

// unstuffRef is the reference unstuffing of a whole buffer, line by line.
// ok is false when wire has no terminator; payload is then what came before.
func unstuffRef(wire []byte) (payload, rest []byte, ok bool) {
	payload = []byte{}
	for len(wire) > 0 {
		line := wire
		if i := bytes.IndexByte(wire, '\n'); i >= 0 {
			line = wire[:i+1]
		}
		wire = wire[len(line):]
		if s := string(line); s == ".\r\n" || s == ".\n" {
			return payload, wire, true
		}
		payload = append(payload, bytes.TrimPrefix(line, []byte("."))...)
	}
	return payload, nil, false
}

func unstuffStream(wire []byte, bufSize int, chunk int) (payload, rest []byte, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(wire), bufSize)
	d := newDotReader(br)
	buf := make([]byte, chunk)
	for {
		n, err := d.Read(buf)
		payload = append(payload, buf[:n]...)
		if err == io.EOF {
			rest, _ := io.ReadAll(br)
			return payload, rest, nil
		}
		if err != nil {
			return payload, nil, err
		}
		if n == 0 {
			return payload, nil, errors.New("Read returned 0, nil")
		}
	}
}

func FuzzDotReader(f *testing.F) {
	for _, tc := range dotTests {
		f.Add([]byte(tc.wire), uint16(16), uint8(7))
	}
	for _, tc := range edgeCases {
		if len(tc.data) < 2000 { // big seeds slow the fuzzer down
			f.Add([]byte(tc.data), uint16(4096), uint8(255))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, bufSize uint16, chunk uint8) {
		size, n := max(16, int(bufSize)), max(1, int(chunk))

		// A payload stuffed and terminated by the server comes back as it
		// was, plus the CRLF a server adds before the terminator.
		want := data
		if len(data) > 0 && data[len(data)-1] != '\n' {
			want = append(bytes.Clone(data), "\r\n"...)
		}
		wire := append(stuffRef(data), "+OK next"...)
		got, rest, err := unstuffStream(wire, size, n)
		if err != nil || !bytes.Equal(got, want) || string(rest) != "+OK next" {
			t.Fatalf("round trip of %q = %q, rest %q, %v", data, got, rest, err)
		}

		// Any input: the stream agrees with the line-by-line reference.
		refPayload, refRest, ok := unstuffRef(data)
		got, rest, err = unstuffStream(data, size, n)
		if ok {
			if err != nil || !bytes.Equal(got, refPayload) || !bytes.Equal(rest, refRest) {
				t.Fatalf("unstuff(%q) = %q, rest %q, %v; reference %q, rest %q", data, got, rest, err, refPayload, refRest)
			}
		} else if err != io.ErrUnexpectedEOF || !bytes.HasPrefix(refPayload, got) {
			t.Fatalf("unstuff(%q) without terminator = %q, %v; want a prefix of %q and io.ErrUnexpectedEOF", data, got, err, refPayload)
		}
	})
}
