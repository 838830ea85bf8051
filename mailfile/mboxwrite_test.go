package mailfile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestMboxWriter(t *testing.T) {
	date := time.Date(2024, 3, 5, 7, 8, 9, 0, time.FixedZone("", 3600))
	tests := []struct {
		name, from, body, want string
	}{
		{"lf", "a@b.c", "S: 1\n\nb\n", "From a@b.c Tue Mar  5 06:08:09 2024\nS: 1\n\nb\n\n"},
		{"crlf kept", "a@b.c", "S: 1\r\n\r\nb\r\n", "From a@b.c Tue Mar  5 06:08:09 2024\nS: 1\r\n\r\nb\r\n\r\n"},
		{"no final newline", "a@b.c", "S: 1\n\nb", "From a@b.c Tue Mar  5 06:08:09 2024\nS: 1\n\nb\n"},
		{"final cr", "a@b.c", "b\r", "From a@b.c Tue Mar  5 06:08:09 2024\nb\r\r\n"},
		{"empty", "a@b.c", "", "From a@b.c Tue Mar  5 06:08:09 2024\n\n"},
		{"quoting", "a@b.c", "From x\n>From y\n>>From z\n> From w\nFromage\n From\n>>>\nFrom",
			"From a@b.c Tue Mar  5 06:08:09 2024\n>From x\n>>From y\n>>>From z\n> From w\nFromage\n From\n>>>\nFrom\n"},
		{"empty sender", "", "b\n", "From MAILER-DAEMON Tue Mar  5 06:08:09 2024\nb\n\n"},
		{"sender with spaces", "a b\tc\n", "b\n", "From a_b_c_ Tue Mar  5 06:08:09 2024\nb\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewMboxWriter(&buf).Write(tt.from, date, strings.NewReader(tt.body)); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("Write(%q) wrote %q, want %q", tt.body, buf.String(), tt.want)
			}
		})
	}
}

func TestMboxWriterZeroDate(t *testing.T) {
	var buf bytes.Buffer
	w := NewMboxWriter(&buf)
	w.now = func() time.Time { return time.Date(2001, 1, 2, 3, 4, 5, 0, time.UTC) }
	if err := w.Write("x@y", time.Time{}, strings.NewReader("b\n")); err != nil {
		t.Fatal(err)
	}
	if want := "From x@y Tue Jan  2 03:04:05 2001\nb\n\n"; buf.String() != want {
		t.Errorf("wrote %q, want %q", buf.String(), want)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestMboxWriterErrors(t *testing.T) {
	w := NewMboxWriter(&failWriter{})
	if err := w.Write("a", time.Unix(0, 0), strings.NewReader("b\n")); err == nil {
		t.Error("Write to a failing writer succeeded")
	}
	boom := errors.New("boom")
	w = NewMboxWriter(io.Discard)
	if err := w.Write("a", time.Unix(0, 0), io.MultiReader(strings.NewReader("b\n"), errReader{boom})); !errors.Is(err, boom) {
		t.Errorf("Write with failing body = %v, want %v", err, boom)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestMboxRoundTrip writes tricky messages and reads them back.
func TestMboxRoundTrip(t *testing.T) {
	msgs := []string{
		"",
		"\n",
		"\r\n",
		"\r",
		"\n\n",
		"From x\n",
		"From a@b.c Sat Feb  6 23:42:23 2010\n",
		"S: 1\n\nFrom a@b.c Sat Feb  6 23:42:23 2010\n\n>From x\r\n>>From y\n",
		"S: 1\r\n\r\nbody\r\n\r\n",
		"no newline at end",
		"ends with cr\r",
		"ends with cr cr\r\r",
		">",
		">From",
		">From ",
		"\xef\xbb\xbfS: bom\n\n",
		"Content-Length: 3\n\nFrom a@b.c Sat Feb  6 23:42:23 2010\n",
	}
	var buf bytes.Buffer
	w := NewMboxWriter(&buf)
	for _, m := range msgs {
		if err := w.Write("a@b.c", time.Unix(1e9, 0), strings.NewReader(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := bodies(readMbox(t, bytes.NewReader(buf.Bytes()), MboxOptions{Raw: true}))
	if len(got) != len(msgs) {
		t.Fatalf("read %d messages, want %d: %q", len(got), len(msgs), got)
	}
	for i := range msgs {
		if got[i] != msgs[i] {
			t.Errorf("message %d = %q, want %q", i+1, got[i], msgs[i])
		}
	}
	got = bodies(readMbox(t, bytes.NewReader(buf.Bytes()), MboxOptions{}))
	for i := range msgs {
		if want := string(refCRLF([]byte(msgs[i]))); got[i] != want {
			t.Errorf("message %d with CRLF = %q, want %q", i+1, got[i], want)
		}
	}
}
