package mailfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

// archived returns the corpus messages as the archive holds them: CRLF
// applied to the file's bytes.
func archived(tb testing.TB, small bool) (paths []string, msgs [][]byte) {
	tb.Helper()
	for _, p := range testenv.CorpusMessages(tb, small) {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
		msgs = append(msgs, refCRLF(b))
	}
	return paths, msgs
}

// quotable reports whether m has a line matching ^>*From .
func quotable(m []byte) bool {
	for len(m) > 0 {
		line := bytes.TrimLeft(m, ">")
		if bytes.HasPrefix(line, []byte("From ")) {
			return true
		}
		i := bytes.IndexByte(m, '\n')
		if i < 0 {
			return false
		}
		m = m[i+1:]
	}
	return false
}

// TestMboxRoundTripCorpus exports every corpus message (as archived, with
// CRLF) to one mbox and imports it again: the bytes must be identical.
func TestMboxRoundTripCorpus(t *testing.T) {
	t.Parallel()
	paths, msgs := archived(t, testing.Short())
	var buf bytes.Buffer
	w := NewMboxWriter(&buf)
	date := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	withFrom := 0
	for i, m := range msgs {
		if quotable(m) {
			withFrom++
		}
		if err := w.Write("someone@example.com", date, bytes.NewReader(m)); err != nil {
			t.Fatalf("%s: %v", paths[i], err)
		}
	}
	for _, raw := range []bool{false, true} {
		r := NewMboxReader(bytes.NewReader(buf.Bytes()), "Export", MboxOptions{Raw: raw})
		for i := 0; ; i++ {
			m, err := r.Next()
			if err == io.EOF {
				if i != len(msgs) {
					t.Fatalf("read back %d messages, want %d", i, len(msgs))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if i >= len(msgs) {
				t.Fatalf("read back more than %d messages", len(msgs))
			}
			got, err := io.ReadAll(m.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, msgs[i]) {
				t.Errorf("%s (raw %v): read back %d bytes, want %d; first difference at %d", paths[i], raw, len(got), len(msgs[i]), firstDiff(got, msgs[i]))
			}
			if !m.Date.Equal(date) {
				t.Errorf("%s: Date = %v, want %v", paths[i], m.Date, date)
			}
		}
	}
	t.Logf("%d messages, %d with lines matching ^>*From , %d bytes of mbox", len(msgs), withFrom, buf.Len())
	if withFrom == 0 {
		t.Error("no corpus message has a From line to quote")
	}
}

// TestMaildirRoundTripCorpus writes every parser-test corpus message into a
// Maildir and reads it back.
func TestMaildirRoundTripCorpus(t *testing.T) {
	paths, msgs := archived(t, true)
	// fsync is not what this test is about; keep it fast.
	defer func(f func(*os.File) error, d func(string) error) { syncFile, syncDir = f, d }(syncFile, syncDir)
	syncFile = func(*os.File) error { return nil }
	syncDir = func(string) error { return nil }

	root := t.TempDir()
	w := NewMaildirWriter(root)
	date := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	want := map[string]int{} // key → index
	mailboxes := []string{"INBOX", "Archive/2020", "Entwürfe"}
	for i, m := range msgs {
		p, err := w.Write(mailboxes[i%3], []string{FlagSeen}, date, bytes.NewReader(m))
		if err != nil {
			t.Fatal(err)
		}
		key, _ := splitMaildirName(filepath.Base(p))
		want[mailboxes[i%3]+"\x00"+key] = i
	}
	r, err := OpenMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		i, ok := want[m.Mailbox+"\x00"+m.Key]
		if !ok {
			t.Errorf("unexpected message %s %s", m.Mailbox, m.Key)
			continue
		}
		got, err := io.ReadAll(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msgs[i]) {
			t.Errorf("%s: read back %d bytes, want %d; first difference at %d", paths[i], len(got), len(msgs[i]), firstDiff(got, msgs[i]))
		}
		if len(m.Flags) != 1 || m.Flags[0] != FlagSeen || !m.Date.Equal(date) {
			t.Errorf("%s: flags %q date %v", paths[i], m.Flags, m.Date)
		}
	}
	if n != len(msgs) {
		t.Errorf("read back %d messages, want %d", n, len(msgs))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
