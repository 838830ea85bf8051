package message

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

// TestCorpusParses parses every file of the corpus (the mbox files as one
// blob each, the Outlook binaries too) and checks the invariants: no
// panic, valid UTF-8 everywhere, every limit kept, and every listed part
// extractable.
func TestCorpusParses(t *testing.T) {
	files := testenv.CorpusFiles(t)
	dir := testenv.CorpusDir(t)
	const shards = 4
	for s := range shards {
		t.Run("shard"+string(rune('0'+s)), func(t *testing.T) {
			t.Parallel()
			for i := s; i < len(files); i += shards {
				path := files[i]
				rel, _ := filepath.Rel(dir, path)
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				m := Parse(bytes.NewReader(raw))
				checkInvariants(t, rel, raw, m)
			}
		})
	}
}

var checkPartOnce sync.Once

func checkInvariants(t *testing.T, name string, raw []byte, m *Message) {
	t.Helper()
	if m.Size != int64(len(raw)) {
		t.Errorf("%s: Size = %d, want %d", name, m.Size, len(raw))
	}
	if len(m.Text) > MaxTextBytes {
		t.Errorf("%s: len(Text) = %d, over MaxTextBytes", name, len(m.Text))
	}
	if len(m.HTML) > 2*MaxHTMLBytes {
		t.Errorf("%s: len(HTML) = %d, over the limit", name, len(m.HTML))
	}
	if len(m.Problems) > MaxProblems+1 {
		t.Errorf("%s: %d problems", name, len(m.Problems))
	}
	if len(m.Attachments) > MaxParts {
		t.Errorf("%s: %d attachments", name, len(m.Attachments))
	}
	for _, p := range m.Problems {
		if strings.HasPrefix(p, "internal error") {
			t.Errorf("%s: %s", name, p)
		}
	}
	strs := []string{m.Subject, m.Text, m.HTML, m.MessageID}
	for _, l := range [][]Address{m.From, m.To, m.Cc, m.Bcc, m.ReplyTo, m.Sender} {
		for _, a := range l {
			strs = append(strs, a.Name, a.Addr)
		}
	}
	for _, a := range m.Attachments {
		strs = append(strs, a.Filename, a.ContentID, a.ContentType)
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8 in %q", name, s)
		}
	}
	if strings.ContainsRune(m.Subject, 0) || strings.ContainsRune(m.Text, 0) {
		t.Errorf("%s: NUL in Subject or Text", name)
	}
	for _, a := range m.Attachments {
		ct, _, body, err := Part(raw, a.Path)
		if err != nil {
			t.Errorf("%s: Part(%s) = %v", name, a.Path, err)
			continue
		}
		if !strings.HasPrefix(ct, a.ContentType) {
			t.Errorf("%s: Part(%s) type %q, want %q", name, a.Path, ct, a.ContentType)
		}
		var n int64
		buf := make([]byte, 32<<10)
		for {
			k, err := body.Read(buf)
			n += int64(k)
			if err != nil {
				break
			}
		}
		if n != a.Size && !m.Truncated {
			t.Errorf("%s: Part(%s) gave %d bytes, Attachment.Size %d", name, a.Path, n, a.Size)
		}
	}
}
