package pop3

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
)

// benchMessage is about 8 MiB of 78-byte lines, every tenth starting with
// a dot.
func benchMessage() []byte {
	var b bytes.Buffer
	b.WriteString("Subject: benchmark\r\n\r\n")
	for i := 0; b.Len() < 8<<20; i++ {
		if i%10 == 0 {
			b.WriteByte('.')
		}
		b.WriteString(strings.Repeat("x", 75) + "\r\n")
	}
	return b.Bytes()
}

// BenchmarkRetr measures RETR throughput over loopback, server included.
func BenchmarkRetr(b *testing.B) {
	msg := benchMessage()
	s := startServer(b, pop3test.Options{}, pop3test.Message{Data: msg})
	c := login(b, s, Options{})
	ctx := context.Background()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		rc, err := c.Retr(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		if err != nil || n != int64(len(msg)) {
			b.Fatalf("Retr read %d bytes, %v; want %d", n, err, len(msg))
		}
	}
}

// BenchmarkDotReader measures unstuffing alone, from memory.
func BenchmarkDotReader(b *testing.B) {
	msg := benchMessage()
	wire := stuffRef(msg)
	r := bytes.NewReader(wire)
	br := bufio.NewReaderSize(r, bufSize)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(wire)
		br.Reset(r)
		n, err := io.CopyBuffer(io.Discard, newDotReader(br), buf)
		if err != nil || n != int64(len(msg)) {
			b.Fatalf("read %d bytes, %v; want %d", n, err, len(msg))
		}
	}
}
