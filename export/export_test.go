package export

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sort"
	"testing"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/mailfile"
)

// TestRoundTrip exports an archive as mbox and as Maildir and imports each
// into a fresh archive: the same ids, the same count.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, err := archive.Open(ctx, t.TempDir(), archive.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	b := src.NewBatch()
	msgs := mailgen.Generate(mailgen.Options{Seed: 9, BigEvery: -1}, 300)
	// Lines that mbox must quote, and a message without a final newline.
	extra := [][]byte{
		[]byte("Subject: from\r\n\r\nFrom the start\r\n>From quoted\r\n>>From twice\r\n"),
		[]byte("Subject: no newline at the end\r\n\r\nend"),
	}
	for _, m := range msgs {
		extra = append(extra, m.Raw)
	}
	for i, raw := range extra {
		mb := "INBOX"
		if i%3 == 0 {
			mb = "Archive/2019"
		}
		if _, err := b.Add(bytes.NewReader(raw), archive.Location{LocationKey: archive.LocationKey{Account: "a", Mailbox: mb, UIDL: string(rune('a' + i%26))}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ids, err := All(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	want := idStrings(ids)

	for _, format := range []Format{Mbox, Maildir} {
		t.Run(string(format), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			res, err := Write(ctx, src, ids, format, out, nil)
			if err != nil || res.Messages != len(ids) {
				t.Fatalf("Write = %+v, %v", res, err)
			}
			var r fetch.MessageReader
			if format == Mbox {
				r, err = mailfile.OpenMbox(out, "restored", mailfile.MboxOptions{})
			} else {
				r, err = mailfile.OpenMaildir(out)
			}
			if err != nil {
				t.Fatal(err)
			}
			dst, err := archive.Open(ctx, t.TempDir(), archive.Options{Create: true})
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			rep, err := fetch.Run(ctx, dst, []fetch.Source{fetch.NewImport("restored", r)}, fetch.Options{Kind: "import"})
			if err != nil || !rep.OK() {
				t.Fatalf("import: %v %s", err, rep.Summary())
			}
			got, _ := All(ctx, dst)
			if g := idStrings(got); !equal(g, want) {
				t.Fatalf("%s round trip: %d ids, want the %d exported", format, len(g), len(want))
			}
			for _, id := range ids[:5] {
				a, _ := src.ReadAll(id)
				rc, _ := dst.Open(id)
				b, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(a, b) {
					t.Fatalf("%s: message %s differs after the round trip", format, id.Short())
				}
			}
		})
	}
}

func idStrings(ids []archive.ID) []string {
	var s []string
	for _, id := range ids {
		s = append(s, id.String())
	}
	sort.Strings(s)
	return s
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
