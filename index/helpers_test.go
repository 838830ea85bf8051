package index

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
)

// testMail is a message for a test archive.
type testMail struct {
	raw     string
	mailbox string   // default INBOX
	account string   // default home
	flags   []string // default none
}

// newTestArchive creates an archive in a temporary directory.
func newTestArchive(tb testing.TB) *archive.Archive {
	tb.Helper()
	a, err := archive.Open(context.Background(), tb.TempDir(), archive.Options{Create: true})
	if err != nil {
		tb.Fatalf("archive.Open: %v", err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

// addMails commits mails to a in one batch and returns their ids.
func addMails(tb testing.TB, a *archive.Archive, mails ...testMail) []archive.ID {
	tb.Helper()
	b := a.NewBatch()
	ids := make([]archive.ID, len(mails))
	for i, m := range mails {
		loc := archive.Location{LocationKey: archive.LocationKey{
			Account: m.account, Mailbox: m.mailbox, UIDL: fmt.Sprintf("k%d-%d", time.Now().UnixNano(), i),
		}, Flags: m.flags}
		if loc.Account == "" {
			loc.Account = "home"
		}
		if loc.Mailbox == "" {
			loc.Mailbox = "INBOX"
		}
		added, err := b.Add(strings.NewReader(m.raw), loc)
		if err != nil {
			tb.Fatalf("Batch.Add: %v", err)
		}
		ids[i] = added.ID
	}
	if _, err := b.Commit(context.Background()); err != nil {
		tb.Fatalf("Batch.Commit: %v", err)
	}
	return ids
}

// mail builds a simple message with LF line endings turned into CRLF.
func mail(from, to, subject, date, body string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\nTo: %s\nSubject: %s\nDate: %s\n", from, to, subject, date)
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	if !strings.Contains(strings.Join(extra, "\n"), "Content-Type") {
		b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n")
	}
	b.WriteString("\n" + body + "\n")
	return strings.ReplaceAll(b.String(), "\n", "\r\n")
}

// openTestIndex opens (and updates) the index of a.
func openTestIndex(tb testing.TB, a *archive.Archive, opts Options) *Index {
	tb.Helper()
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	x, err := Open(context.Background(), a, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { x.Close() })
	return x
}

// count runs q and returns the total.
func count(tb testing.TB, x *Index, q string) int {
	tb.Helper()
	r, err := x.Search(context.Background(), Request{Query: q, Limit: 1})
	if err != nil {
		tb.Fatalf("Search(%q): %v", q, err)
	}
	return r.Total
}

// search runs q and returns the result.
func find(tb testing.TB, x *Index, req Request) *Result {
	tb.Helper()
	r, err := x.Search(context.Background(), req)
	if err != nil {
		tb.Fatalf("Search(%q): %v", req.Query, err)
	}
	return r
}

// reflagEvery flags every n-th message of a and updates x: those messages
// are indexed again, and their old documents are left deleted in their
// segments.
func reflagEvery(t *testing.T, a *archive.Archive, x *Index, every int) {
	t.Helper()
	ctx := context.Background()
	b := a.NewBatch()
	n := 0
	err := a.Each(ctx, func(in archive.Info) error {
		if n++; n%every == 0 {
			locs, err := a.Locations(ctx, in.ID)
			if err != nil {
				return err
			}
			for _, l := range locs {
				b.SetFlags(l.LocationKey, []string{`\Flagged`})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if k, err := x.Update(ctx, nil); err != nil || k == 0 {
		t.Fatalf("Update = %d, %v; want messages indexed again", k, err)
	}
}
