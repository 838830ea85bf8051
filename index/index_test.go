package index

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/internal/zap"
)

// someMails returns n distinct small messages.
func someMails(n int) []testMail {
	out := make([]testMail, n)
	for i := range out {
		out[i] = testMail{raw: mail(fmt.Sprintf("sender%d@example.com", i%7), "me@example.com",
			fmt.Sprintf("message number %d", i), time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z),
			fmt.Sprintf("body of message %d, word%d", i, i))}
	}
	return out
}

func wantDocs(t *testing.T, x *Index, want int) {
	t.Helper()
	n, err := x.DocCount()
	if err != nil || n != want {
		t.Fatalf("DocCount = %d, %v; want %d", n, err, want)
	}
	if got := count(t, x, ""); got != want {
		t.Fatalf("Search(everything).Total = %d, want %d", got, want)
	}
}

func TestOpenRebuildsMissingIndex(t *testing.T) {
	a := newTestArchive(t)
	addMails(t, a, someMails(30)...)
	ctx := context.Background()
	x := openTestIndex(t, a, Options{})
	wantDocs(t, x, 30)
	if x.Rebuilt() != "no index yet" {
		t.Errorf("Rebuilt() = %q on first open", x.Rebuilt())
	}
	n, err := x.Update(ctx, nil)
	if err != nil || n != 0 {
		t.Fatalf("second Update = %d, %v; want 0, nil", n, err)
	}
	x.Close()

	// Reopen: nothing to do.
	x = openTestIndex(t, a, Options{})
	if x.Rebuilt() != "" {
		t.Errorf("Rebuilt() = %q on reopen", x.Rebuilt())
	}
	wantDocs(t, x, 30)
	x.Close()

	// Delete the index: Open rebuilds it.
	if err := os.RemoveAll(a.IndexDir()); err != nil {
		t.Fatal(err)
	}
	x = openTestIndex(t, a, Options{})
	wantDocs(t, x, 30)
	if count(t, x, "word17") != 1 {
		t.Errorf("word17 not found after rebuild")
	}
}

// TestSegmentsInOwnFormat checks that the index is written in
// internal/zap's compact format, not upstream zap's: every segment file's
// footer carries its version.
func TestSegmentsInOwnFormat(t *testing.T) {
	a := newTestArchive(t)
	addMails(t, a, someMails(40)...)
	x := openTestIndex(t, a, Options{})
	wantDocs(t, x, 40)
	x.Close()
	files, err := filepath.Glob(filepath.Join(a.IndexDir(), "store", "*.zap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no segment files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if v := binary.BigEndian.Uint32(b[len(b)-8:]); v != zap.Version {
			t.Errorf("%s: segment version %d, want %d", filepath.Base(f), v, zap.Version)
		}
	}
}

func TestOpenRebuildsOtherVersion(t *testing.T) {
	a := newTestArchive(t)
	addMails(t, a, someMails(10)...)
	x := openTestIndex(t, a, Options{})
	wantDocs(t, x, 10)
	// Pretend an older mailkeep built it: another mapping version, and a
	// document that the archive does not have.
	b := x.bi.NewBatch()
	b.SetInternal(keyMapping, []byte("0"))
	b.Index("stray", map[string]any{"x": "y"})
	if err := writeSync(context.Background(), x.bi, b); err != nil {
		t.Fatal(err)
	}
	x.Close()

	x = openTestIndex(t, a, Options{})
	if !strings.Contains(x.Rebuilt(), "mapping version 0") {
		t.Errorf("Rebuilt() = %q, want the version named", x.Rebuilt())
	}
	wantDocs(t, x, 10)
}

func TestOpenRebuildsDamagedIndex(t *testing.T) {
	for _, damage := range []struct {
		name string
		fn   func(dir string) error
	}{
		{"meta", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{garbage"), 0o600)
		}},
		{"bolt", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "store", "root.bolt"), []byte(strings.Repeat("garbage!", 4096)), 0o600)
		}},
		{"segments", func(dir string) error {
			files, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
			if len(files) == 0 {
				return errors.New("no segment files")
			}
			for _, f := range files {
				if err := os.WriteFile(f, []byte("garbage"), 0o600); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		t.Run(damage.name, func(t *testing.T) {
			a := newTestArchive(t)
			addMails(t, a, someMails(10)...)
			x := openTestIndex(t, a, Options{})
			x.Close()
			if err := damage.fn(a.IndexDir()); err != nil {
				t.Fatal(err)
			}
			x = openTestIndex(t, a, Options{})
			if !strings.HasPrefix(x.Rebuilt(), "damaged") {
				t.Errorf("Rebuilt() = %q, want damaged", x.Rebuilt())
			}
			wantDocs(t, x, 10)
		})
	}
}

func TestUpdateResumes(t *testing.T) {
	a := newTestArchive(t)
	// Three commits, three change sequences: 20, 10 and 10 messages.
	mails := someMails(40)
	addMails(t, a, mails[:20]...)
	addMails(t, a, mails[20:30]...)
	addMails(t, a, mails[30:]...)
	ctx := context.Background()
	x := openTestIndex(t, a, Options{Defer: true, BatchSize: 8})
	x.stopAfter = 2 // two batches of the first sequence: no high-water mark yet
	n, err := x.Update(ctx, nil)
	if err != nil || n != 16 {
		t.Fatalf("Update stopped = %d, %v; want 16", n, err)
	}
	if hw, _ := x.HighWater(); hw != 0 {
		t.Errorf("HighWater = %d after a partial sequence, want 0", hw)
	}
	x.Close()

	// Start again with batches that end where sequences do.
	x = openTestIndex(t, a, Options{Defer: true, BatchSize: 10})
	x.stopAfter = 2 // the whole first sequence again
	if n, err = x.Update(ctx, nil); err != nil || n != 20 {
		t.Fatalf("Update resumed = %d, %v; want 20", n, err)
	}
	hw1, _ := x.HighWater()
	if hw1 == 0 {
		t.Fatalf("HighWater = 0 after the first sequence")
	}
	x.stopAfter = 1 // the second sequence
	if n, err = x.Update(ctx, nil); err != nil || n != 10 {
		t.Fatalf("Update resumed = %d, %v; want 10", n, err)
	}
	if hw2, _ := x.HighWater(); hw2 <= hw1 {
		t.Errorf("HighWater = %d after the second sequence, want > %d", hw2, hw1)
	}
	x.Close()

	var progress [][2]int
	x = openTestIndex(t, a, Options{BatchSize: 5, Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) }})
	wantDocs(t, x, 40)
	if fmt.Sprint(progress) != "[[0 10] [5 10] [10 10]]" {
		t.Errorf("progress = %v, want [[0 10] [5 10] [10 10]]", progress)
	}
	seq, _ := a.ChangeSeq(ctx)
	if hw, _ := x.HighWater(); hw != seq {
		t.Errorf("HighWater = %d, want the catalog's %d", hw, seq)
	}
}

func TestUpdateFollowsLocationsAndFlags(t *testing.T) {
	a := newTestArchive(t)
	ctx := context.Background()
	raw := mail("x@example.com", "y@example.com", "flags", "Mon, 02 Jan 2006 15:04:05 +0000", "hello")
	b := a.NewBatch()
	key := archive.LocationKey{Account: "home", Mailbox: "INBOX", UIDValidity: 7, UID: 1}
	added, err := b.Add(strings.NewReader(raw), archive.Location{LocationKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	x := openTestIndex(t, a, Options{})
	check := func(q string, want int) {
		t.Helper()
		if got := count(t, x, q); got != want {
			t.Errorf("Search(%q) = %d, want %d", q, got, want)
		}
	}
	check("is:unread", 1)
	check("in:Archive", 0)

	b = a.NewBatch()
	b.SetFlags(key, []string{`\Seen`, `\Flagged`})
	b.AddLocation(added.ID, archive.Location{LocationKey: archive.LocationKey{Account: "work", Mailbox: "Archive", UIDValidity: 1, UID: 9}})
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := x.Update(ctx, nil); err != nil || n != 1 {
		t.Fatalf("Update = %d, %v; want 1", n, err)
	}
	check("is:unread", 0)
	check("is:read is:flagged", 1)
	check("in:Archive", 1)
	check("in:work/archive", 1)
	check("account:work", 1)
	check("in:INBOX", 1)
	wantDocs(t, x, 1)
	r := find(t, x, Request{Query: "hello"})
	if got := strings.Join(r.Hits[0].Mailboxes, ","); got != "home/INBOX,work/Archive" {
		t.Errorf("Mailboxes = %s", got)
	}

	// The server renumbers INBOX: the old location is superseded.
	b = a.NewBatch()
	b.Supersede(archive.LocationKey{Account: "home", Mailbox: "INBOX", UIDValidity: 8})
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Update(ctx, nil); err != nil {
		t.Fatal(err)
	}
	check("in:INBOX", 0)
	check("in:archive", 1)
}

func TestOpenBusy(t *testing.T) {
	a := newTestArchive(t)
	addMails(t, a, someMails(3)...)
	x := openTestIndex(t, a, Options{})
	ctx := context.Background()
	start := time.Now()
	_, err := Open(ctx, a, Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second Open error = %v, want ErrBusy", err)
	}
	if _, err := Open(ctx, a, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrBusy) {
		t.Fatalf("read-only Open while open for writing: error = %v, want ErrBusy", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v to give up", d)
	}
	x.Close()

	// Read-only opens share the index.
	r1, err := Open(ctx, a, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open: %v", err)
	}
	defer r1.Close()
	r2, err := Open(ctx, a, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only Open: %v", err)
	}
	defer r2.Close()
	if n := count(t, r2, ""); n != 3 {
		t.Errorf("read-only search = %d, want 3", n)
	}
	if _, err := r1.Update(ctx, nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Update error = %v, want ErrReadOnly", err)
	}
}

func TestOpenReadOnlyWithoutIndex(t *testing.T) {
	a := newTestArchive(t)
	_, err := Open(context.Background(), a, Options{ReadOnly: true})
	if !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("read-only Open without an index: error = %v, want ErrNotBuilt", err)
	}
}

func TestRebuild(t *testing.T) {
	a := newTestArchive(t)
	addMails(t, a, someMails(15)...)
	x := openTestIndex(t, a, Options{})
	n, err := x.Rebuild(context.Background(), nil)
	if err != nil || n != 15 {
		t.Fatalf("Rebuild = %d, %v; want 15", n, err)
	}
	wantDocs(t, x, 15)
}

// TestKill9 kills a process in the middle of indexing, many times over,
// and checks that the next Open completes the index.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	a := newTestArchive(t)
	const n = 600
	mails := someMails(n)
	for i := 0; i < n; i += 50 {
		addMails(t, a, mails[i:i+50]...)
	}
	dir := a.Dir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$")
		cmd.Env = append(os.Environ(), "MAILKEEP_KILL9_ARCHIVE="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		batches := 0
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "batch") {
				batches++
				if batches == 2+round {
					break
				}
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	x := openTestIndex(t, a, Options{})
	wantDocs(t, x, n)
	if got := count(t, x, "word599"); got != 1 {
		t.Errorf("word599 = %d, want 1", got)
	}
}

// TestKill9Child indexes the archive named by MAILKEEP_KILL9_ARCHIVE,
// printing a line per batch, until it is killed.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv("MAILKEEP_KILL9_ARCHIVE")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	ctx := context.Background()
	a, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	x, err := Open(ctx, a, Options{Defer: true, BatchSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	_, err = x.Update(ctx, func(done, total int) { fmt.Println("batch " + strconv.Itoa(done)) })
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute) // wait to be killed
}
