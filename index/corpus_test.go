package index

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// corpusArchive stores every file of the corpus as one message (an mbox
// file too, as a single blob): account "corpus", the mailbox is the top
// folder (e.g. "spamassassin-t"), the key the path below it. It returns the
// archive and the number of distinct files.
func corpusArchive(t *testing.T) (*archive.Archive, int) {
	t.Helper()
	dir := testenv.CorpusDir(t)
	files := testenv.CorpusFiles(t)
	a := newTestArchive(t)
	ctx := context.Background()
	distinct := map[[32]byte]bool{}
	b := a.NewBatch()
	for i, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		distinct[sha256.Sum256(raw)] = true
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		mbox, key, _ := strings.Cut(rel, "/")
		if _, err := b.Add(strings.NewReader(string(raw)), archive.Location{LocationKey: archive.LocationKey{Account: "corpus", Mailbox: mbox, UIDL: key}}); err != nil {
			t.Fatalf("add %s: %v", rel, err)
		}
		if b.Len() == 1000 || i == len(files)-1 {
			if _, err := b.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a, len(distinct)
}

// TestCorpus indexes the whole corpus and runs queries over its
// multilingual part whose counts were found by reading the files.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	a, distinct := corpusArchive(t)
	x := openTestIndex(t, a, Options{})
	st, err := a.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if int(st.Messages) != distinct {
		t.Fatalf("archive holds %d messages, want %d distinct files", st.Messages, distinct)
	}
	wantDocs(t, x, distinct)

	for _, c := range corpusQueries {
		if got := count(t, x, c.q); got != c.want {
			t.Errorf("Search(%q).Total = %d, want %d (%s)", c.q, got, c.want, c.why)
		}
	}
}

var corpusQueries = []struct {
	q    string
	want int
	why  string
}{}
