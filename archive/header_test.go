package archive

import (
	"bytes"
	"testing"
	"time"
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
