package archive

import (
	"bufio"
	"bytes"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

func TestParseHeaderMeta(t *testing.T) {
	tests := []struct {
		name, raw            string
		from, subject, msgID string
		date                 time.Time
		status               string
	}{
		{"LF header", "From: a@example.org\nSubject: hi\nDate: Mon, 2 Jan 2006 15:04:05 +0000\nMessage-ID: <x@y>\n\nWORLD\n",
			"a@example.org", "hi", "x@y", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC), "ok"},
		{"encoded subject", "Subject: =?utf-8?q?J=C3=B6rg?=\r\n\r\nbody", "", "Jörg", "", time.Time{}, "ok"},
		{"no end of header", "Subject: cut", "", "cut", "", time.Time{}, "no end of header"},
		{"mbox From_ line", "From a@example.org Mon Jan  2 15:04:05 2006\nSubject: kept\n\nbody", "", "kept", "", time.Time{}, "ok"},
		{"no field", "not a header\r\n\r\nbody", "", "", "", time.Time{}, "unreadable header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The prefix is often the message itself, with spare capacity
			// behind the header: parsing must not write into it.
			raw := []byte(tt.raw)
			orig := bytes.Clone(raw)
			m := parseHeaderMeta(raw)
			if !bytes.Equal(raw, orig) {
				t.Fatalf("parseHeaderMeta changed its input to %q", raw)
			}
			if m.from != tt.from || m.subject != tt.subject || m.messageID != tt.msgID || !m.date.Equal(tt.date) {
				t.Errorf("meta = %+v, want from %q subject %q id %q date %v", m, tt.from, tt.subject, tt.msgID, tt.date)
			}
			if m.status != tt.status {
				t.Errorf("status = %q, want %q", m.status, tt.status)
			}
		})
	}
}

func TestHeaderEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", -1},
		{"A: b\r\n\r\nbody", 4},
		{"A: b\n\nbody", 4},
		{"A: b\r\n\nbody", 5},
		{"A: b\n\r\nbody", -1},
		{"A: b\r\nC: d\r\n\r\nx\n\ny", 10},
		{"A: b\r\nC: d\r\n", -1},
		{"\n\n", 0},
		{"\r\n\r\n", 0},
		{"A: b\r\n\r", -1},
	}
	for _, tt := range tests {
		if got := headerEnd([]byte(tt.in)); got != tt.want {
			t.Errorf("headerEnd(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// textprotoFields is what parseHeaderMeta read before scanHeader: the
// fields of a textproto.MIMEHeader, for messages whose header it reads
// without an error.
func textprotoFields(prefix []byte) (f [numFields]string, ok bool) {
	end := headerEnd(prefix)
	if end < 0 {
		end = len(prefix)
	}
	head := bytes.TrimLeft(prefix[:end], " \t\r\n\ufeff")
	if bytes.HasPrefix(head, []byte("From ")) {
		// An mbox From_ line, which textproto takes for a malformed
		// field and stops at; scanHeader passes over it.
		_, head, _ = bytes.Cut(head, []byte("\n"))
	}
	head = append(head[:len(head):len(head)], "\r\n\r\n"...)
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(head))).ReadMIMEHeader()
	if err != nil {
		return f, false
	}
	for i, k := range []string{"Date", "Message-Id", "From", "Subject"} {
		f[i] = strings.TrimSpace(hdr.Get(k)) // it keeps trailing space; clean drops it
	}
	return f, true
}

// TestScanHeader: scanHeader reads the same fields as net/textproto from
// every message of the corpus and of the generator whose header textproto
// reads, and goes on past a malformed line where textproto stops.
func TestScanHeader(t *testing.T) {
	var msgs [][]byte
	for _, m := range mailgen.Generate(mailgen.Options{Seed: 3}, 500) {
		msgs = append(msgs, m.Raw)
	}
	for _, path := range testenv.CorpusMessages(t, false) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b[:min(len(b), headerPrefix)])
	}
	// textproto takes "From :" for a field named "From " (see scanHeader).
	spaceBeforeColon := regexp.MustCompile(`(?mi)^(date|message-id|from|subject)[ \t]+:`)
	compared := 0
	for i, raw := range msgs {
		want, ok := textprotoFields(raw)
		if !ok || spaceBeforeColon.Match(raw[:max(headerEnd(raw), 0)]) {
			continue
		}
		compared++
		end := headerEnd(raw)
		if end < 0 {
			end = len(raw)
		}
		got, _ := scanHeader(bytes.TrimLeft(raw[:end], " \t\r\n\ufeff"))
		for k := range got {
			got[k] = strings.TrimSpace(got[k]) // as clean does with both
		}
		if got != want {
			for k := range got {
				if got[k] != want[k] {
					t.Errorf("message %d, %s: scanHeader = %.80q, textproto = %.80q", i, fieldNames[k], got[k], want[k])
				}
			}
		}
	}
	t.Logf("%d of %d headers compared", compared, len(msgs))

	for _, tt := range []struct {
		name, head string
		want       [numFields]string
		ok         bool
	}{
		{"folded", "Subject: one\r\n  two\r\n\tthree \r\nFrom: a@b", [numFields]string{"", "", "a@b", "one two three"}, true},
		{"first wins", "subject:\r\nSubject: second", [numFields]string{}, true},
		{"past a malformed line", "X-Bad line\r\nSubject : hi\r\nDATE: x", [numFields]string{"x", "", "", "hi"}, true},
		{"no field", "just text\r\nmore", [numFields]string{}, false},
		{"LF only", "From: a\n b\nMessage-ID: <m@x>", [numFields]string{"", "<m@x>", "a b", ""}, true},
	} {
		if got, ok := scanHeader([]byte(tt.head)); got != tt.want || ok != tt.ok {
			t.Errorf("%s: scanHeader = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// BenchmarkParseHeaderMeta reads the catalog's header facts of generated
// messages.
func BenchmarkParseHeaderMeta(b *testing.B) {
	var msgs [][]byte
	for _, m := range mailgen.Generate(mailgen.Options{Seed: 3}, 1000) {
		msgs = append(msgs, m.Raw[:min(len(m.Raw), headerPrefix)])
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range msgs {
			parseHeaderMeta(raw)
		}
	}
}
