package mailfile

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// FuzzMbox reads arbitrary bytes as an mbox (it must not panic, and the
// messages cannot hold more bytes than the input), then takes the input as
// a list of messages, writes them with MboxWriter and reads them back: the
// bytes must be identical.
func FuzzMbox(f *testing.F) {
	f.Add([]byte(fromA+"S: 1\n\nb\n\n"+fromA+"S: 2\n\n>From x\nFrom y\n"), byte(0))
	f.Add([]byte("\xef\xbb\xbfFrom - \r\nS: 1\r\n\r\nb\r\n\r\nFrom - \r\n"), byte('\n'))
	f.Add([]byte("From a@b.c Sat Feb  6 23:42:23 2010\nContent-Length: 3\n\nab\n\nFrom a@b.c Sat Feb  6 23:42:23 2010\n"), byte('Z'))
	f.Add([]byte("a\x00From x\r\x00>>From \x00\r\x00\n\x00"), byte(0))
	f.Add([]byte("Subject: x\n\n>>>>\n>>>From\n"), byte('>'))
	f.Fuzz(func(t *testing.T, data []byte, sep byte) {
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
			total := 0
			for _, m := range readMbox(t, r, MboxOptions{Raw: true}) {
				total += len(m.Body)
			}
			if total > len(data) {
				t.Fatalf("read %d body bytes from %d input bytes", total, len(data))
			}
		}
		readMbox(t, bytes.NewReader(data), MboxOptions{Variant: MboxO})

		msgs := bytes.Split(data, []byte{sep})
		if len(msgs) > 50 {
			msgs = msgs[:50]
		}
		// A message's own Content-Length header can, when it happens to
		// match the quoted length, make the reader take the body
		// verbatim; real headers never match (see TestMboxContentLength).
		if bytes.Contains(bytes.ToLower(data), []byte("content-length")) {
			return
		}
		var buf bytes.Buffer
		w := NewMboxWriter(&buf)
		for _, m := range msgs {
			if err := w.Write("a@b.c", time.Unix(1e9, 0), bytes.NewReader(m)); err != nil {
				t.Fatal(err)
			}
		}
		got := readMbox(t, bytes.NewReader(buf.Bytes()), MboxOptions{})
		if len(got) != len(msgs) {
			t.Fatalf("wrote %d messages, read %d from %q", len(msgs), len(got), buf.Bytes())
		}
		for i, m := range msgs {
			if want := refCRLF(m); got[i].Body != string(want) {
				t.Fatalf("message %d: wrote %q, read %q (mbox %q)", i, m, got[i].Body, buf.Bytes())
			}
		}
	})
}

// FuzzMaildirFlags checks the info-suffix parser on arbitrary names, and
// that flags written by MaildirWriter's rule parse back.
func FuzzMaildirFlags(f *testing.F) {
	f.Add("1700000000.M1P2Q3.host:2,FRS", "SF")
	f.Add("123.host!2,abc", "")
	f.Add("x:1,S", "DT")
	f.Fuzz(func(t *testing.T, name string, letters string) {
		kw := map[byte]string{'a': "$Label1"}
		key, flags := parseMaildirName(name, kw)
		if !strings.HasPrefix(name, key) {
			t.Fatalf("parseMaildirName(%q) key %q is not a prefix", name, key)
		}
		for _, fl := range flags {
			if fl != "$Label1" && infoLetter(fl) == 0 {
				t.Fatalf("parseMaildirName(%q) gave unknown flag %q", name, fl)
			}
		}
		all := []string{FlagDraft, FlagFlagged, FlagForwarded, FlagAnswered, FlagSeen, FlagDeleted, "$Junk", `\Recent`}
		var in []string
		want := map[string]bool{}
		for i := 0; i < len(letters); i++ {
			fl := all[int(letters[i])%len(all)]
			in = append(in, fl)
			if infoLetter(fl) != 0 {
				want[fl] = true
			}
		}
		unique := strings.ReplaceAll(name, ":", "")
		k2, got := parseMaildirName(unique+":"+maildirInfo(in), nil)
		if k2 != unique || len(got) != len(want) {
			t.Fatalf("round trip of %q %q: key %q flags %q", unique, in, k2, got)
		}
		for _, fl := range got {
			if !want[fl] {
				t.Fatalf("round trip of %q: unexpected flag %q", in, fl)
			}
		}
	})
}
