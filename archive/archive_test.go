package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

func openTest(tb testing.TB, dir string) *Archive {
	tb.Helper()
	a, err := Open(context.Background(), dir, Options{Create: true})
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

func put(tb testing.TB, a *Archive, raw []byte, locs ...Location) ID {
	tb.Helper()
	b := a.NewBatch()
	ad, err := b.Add(bytes.NewReader(raw), locs...)
	if err != nil {
		tb.Fatalf("Add: %v", err)
	}
	if _, err := b.Commit(context.Background()); err != nil {
		tb.Fatalf("Commit: %v", err)
	}
	return ad.ID
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

const sample = "From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\nSubject: =?iso-8859-7?b?xevr5+3p6tw=?=\r\nDate: Mon, 2 Jan 2006 15:04:05 -0700\r\nMessage-ID: <abc@x>\r\n\r\nbody\r\n"

func TestPutOpenRoundTrip(t *testing.T) {
	a := openTest(t, t.TempDir())
	ctx := context.Background()
	loc := Location{LocationKey: LocationKey{Account: "home", Mailbox: "INBOX", UIDValidity: 7, UID: 1}, Flags: []string{`\Seen`}}
	id := put(t, a, []byte(sample), loc)
	if id.String() != sum([]byte(sample)) {
		t.Fatalf("id = %s, want sha256 %s", id, sum([]byte(sample)))
	}
	got, err := a.ReadAll(id)
	if err != nil || string(got) != sample {
		t.Fatalf("ReadAll = %q, %v; want the original bytes", got, err)
	}
	in, err := a.Info(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if in.From != "Jörg <j@example.org>" || in.Subject != "Ελληνικά" || in.MessageID != "abc@x" || in.Date.Unix() != 1136239445 || in.ParseStatus != "ok" {
		t.Errorf("Info = %+v", in)
	}
	if len(in.Locations) != 1 || in.Locations[0].UID != 1 || in.Locations[0].Flags[0] != `\Seen` {
		t.Errorf("Locations = %+v", in.Locations)
	}
	// Same bytes again, another mailbox: one object, two locations.
	loc2 := loc
	loc2.Mailbox = "All Mail"
	if id2 := put(t, a, []byte(sample), loc2); id2 != id {
		t.Fatalf("second put id = %s, want %s", id2, id)
	}
	st, _ := a.Stats(ctx)
	if st.Messages != 1 || st.Locations != 2 || st.BytesRaw != int64(len(sample)) {
		t.Errorf("Stats = %+v, want 1 message, 2 locations", st)
	}
}

func TestBatchDedupAndChanges(t *testing.T) {
	a := openTest(t, t.TempDir())
	ctx := context.Background()
	b := a.NewBatch()
	for i := 0; i < 10; i++ {
		msg := fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i%5)
		if _, err := b.Add(strings.NewReader(msg), Location{LocationKey: LocationKey{Account: "a", Mailbox: "m", UIDL: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := b.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 5 || res.Messages != 10 {
		t.Fatalf("Commit = %d new of %d, want 5 of 10", len(res.New), res.Messages)
	}
	ch, last, err := a.ChangesAfter(ctx, 0, 100)
	if err != nil || len(ch) != 5 || last != res.Seq {
		t.Fatalf("ChangesAfter(0) = %d, %d, %v; want 5 at seq %d", len(ch), last, err, res.Seq)
	}
	// Flags change on one location: that message changes, nothing else.
	b = a.NewBatch()
	b.SetFlags(LocationKey{Account: "a", Mailbox: "m", UIDL: "3"}, []string{`\Flagged`})
	res2, err := b.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ch, _, _ = a.ChangesAfter(ctx, res.Seq, 100)
	if len(ch) != 1 || ch[0].Changed != res2.Seq {
		t.Fatalf("after SetFlags ChangesAfter = %+v, want one message", ch)
	}
	// Gone from the server.
	b = a.NewBatch()
	b.MarkGone(LocationKey{Account: "a", Mailbox: "m", UIDL: "4"}, time.Unix(100, 0))
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	locs, _ := a.MailboxLocations(ctx, "a", "m")
	var gone int
	for _, l := range locs {
		if !l.GoneSince.IsZero() {
			gone++
		}
	}
	if len(locs) != 10 || gone != 1 {
		t.Fatalf("locations = %d, gone %d; want 10, 1", len(locs), gone)
	}
}

func TestStateCommitsWithBatch(t *testing.T) {
	a := openTest(t, t.TempDir())
	ctx := context.Background()
	b := a.NewBatch()
	b.Add(strings.NewReader("a\r\n"))
	b.SetState(SyncState{Account: "x", Mailbox: "INBOX", UIDValidity: 9, LastUID: 42, ModSeq: 5})
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st, ok, err := a.State(ctx, "x", "INBOX")
	if err != nil || !ok || st.LastUID != 42 || st.UIDValidity != 9 || st.ModSeq != 5 {
		t.Fatalf("State = %+v, %v, %v", st, ok, err)
	}
	if _, ok, _ := a.State(ctx, "x", "Other"); ok {
		t.Fatal("State of a never-synced mailbox: ok = true")
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	_, err := Open(context.Background(), dir, Options{})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second Open = %v, want LockedError with our pid", err)
	}
	want := fmt.Sprintf("archive %s is in use by mailkeep (pid %d)", a.Dir(), os.Getpid())
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	// Readers do not need the lock.
	r, err := Open(context.Background(), dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open while locked: %v", err)
	}
	r.Close()
	a.Close()
	b, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	b.Close()
}

func TestVerifyFindsDamageAndAdoptsOrphans(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	ctx := context.Background()
	good := put(t, a, []byte("Subject: good\r\n\r\nfine\r\n"))
	bad := put(t, a, []byte("Subject: bad\r\n\r\nto be damaged\r\n"))
	rep, err := a.Verify(ctx, 2, nil)
	if err != nil || !rep.OK() || rep.Objects != 2 {
		t.Fatalf("Verify on a good archive = %+v, %v", rep, err)
	}
	// Damage: a different valid zstd stream under bad's name.
	tmpDir := func() (string, error) { return filepath.Join(a.dir, "tmp"), nil }
	st, err := a.stage(strings.NewReader("Subject: bad\r\n\r\ntampered\r\n"), tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(st.tmp, a.objectPath(bad)); err != nil {
		t.Fatal(err)
	}
	// Orphan: an object with no catalog row.
	st, _ = a.stage(strings.NewReader("Subject: orphan\r\n\r\n"), tmpDir)
	os.Rename(st.tmp, a.objectPath(st.id))
	// Leftover: an object an interrupted write did not finish.
	left, _ := a.stage(strings.NewReader("Subject: never committed\r\n\r\n"), tmpDir)
	if !strings.HasPrefix(filepath.Base(left.tmp), tempPrefix) || filepath.Dir(left.tmp) != filepath.Dir(a.objectPath(left.id)) {
		t.Fatalf("small message staged at %s, want a %s file in its object directory", left.tmp, tempPrefix)
	}
	rep, err = a.Verify(ctx, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.TempRemoved != 1 || len(rep.Stray) != 0 {
		t.Fatalf("Verify TempRemoved = %d, Stray = %v; want the leftover removed", rep.TempRemoved, rep.Stray)
	}
	if _, err := os.Stat(left.tmp); !os.IsNotExist(err) {
		t.Fatalf("leftover temp object still there: %v", err)
	}
	if rep.OK() || len(rep.Damaged) != 1 || rep.Damaged[0] != bad {
		t.Fatalf("Verify Damaged = %v, want [%s]", rep.Damaged, bad)
	}
	if len(rep.Adopted) != 1 || rep.Adopted[0] != st.id {
		t.Fatalf("Verify Adopted = %v, want [%s]", rep.Adopted, st.id)
	}
	if _, err := a.ReadAll(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ReadAll(damaged) error = %v, want ErrCorrupt", err)
	}
	if _, err := a.ReadAll(good); err != nil {
		t.Fatalf("ReadAll(good) = %v", err)
	}
	os.Remove(a.objectPath(good))
	rep, _ = a.Verify(ctx, 2, nil)
	if len(rep.Missing) != 1 || rep.Missing[0] != good {
		t.Fatalf("Verify Missing = %v, want [%s]", rep.Missing, good)
	}
}

func TestMigrateFromVersion1(t *testing.T) {
	dir := t.TempDir()
	if err := create(dir); err != nil {
		t.Fatal(err)
	}
	db, err := openCatalog(filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := migrate(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	// A row as version 1 wrote it.
	if _, err := db.Exec(`INSERT INTO messages(id, size, stored_size, added, changed) VALUES (?, 3, 12, 1, 1)`, sum([]byte("v1\n"))); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO locations(message, account, mailbox, uid, first_seen, last_seen) VALUES (?, 'a', 'INBOX', 1, 1, 1)`, sum([]byte("v1\n"))); err != nil {
		t.Fatal(err)
	}
	db.Close()
	a := openTest(t, dir)
	var v int
	a.db.QueryRow("PRAGMA user_version").Scan(&v)
	if v != SchemaVersion {
		t.Fatalf("version after Open = %d, want %d", v, SchemaVersion)
	}
	id, _ := ParseID(sum([]byte("v1\n")))
	locs, err := a.Locations(ctx, id)
	if err != nil || len(locs) != 1 || locs[0].Superseded {
		t.Fatalf("Locations of a v1 row = %+v, %v", locs, err)
	}
}

// TestTempFilesOfInterruptedWrites: a process that dies before Commit
// leaves a large message in tmp/ (removed at the next open) and a small
// one as a temp file in its object directory (removed by verify). Neither
// is an object.
func TestTempFilesOfInterruptedWrites(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	b := a.NewBatch()
	small, err := b.Add(strings.NewReader("never committed\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(bytes.NewReader(bytes.Repeat([]byte("large and never committed\r\n"), 100000))); err != nil {
		t.Fatal(err)
	}
	a.Close() // as if the process died before Commit
	ents, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(ents) != 1 {
		t.Fatalf("tmp has %d entries before reopen, want 1", len(ents))
	}
	a = openTest(t, dir)
	ents, _ = os.ReadDir(filepath.Join(dir, "tmp"))
	if len(ents) != 0 {
		t.Fatalf("tmp has %d entries after reopen, want 0", len(ents))
	}
	if _, err := a.Open(small.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open(uncommitted) error = %v, want ErrNotFound", err)
	}
	rep, err := a.Verify(context.Background(), 2, nil)
	if err != nil || !rep.OK() || rep.Objects != 0 || rep.TempRemoved != 1 {
		t.Fatalf("Verify = %+v, %v; want no objects and 1 temp file removed", rep, err)
	}
	if left := objectFiles(t, dir); len(left) != 0 {
		t.Fatalf("files left under objects/: %v", left)
	}
}

// objectFiles lists every file under dir/objects.
func objectFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(dir, "objects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// TestSmallAndLargeMessages stores messages on both sides of the size up
// to which staging happens in memory: each reads back byte-exact, and a
// commit leaves nothing but objects behind.
func TestSmallAndLargeMessages(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	line := []byte("a line of a message that is not small at all\r\n")
	var raws [][]byte
	for _, n := range []int{1, 2, smallObject - 1, smallObject, smallObject + 1, 3 * smallObject} {
		raw := append([]byte("Subject: size\r\n\r\n"), bytes.Repeat(line, n/len(line)+1)...)[:max(n, 1)]
		raws = append(raws, raw)
	}
	b := a.NewBatch()
	var ids []ID
	for _, raw := range raws {
		ad, err := b.Add(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ad.ID)
	}
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, raw := range raws {
		got, err := a.ReadAll(ids[i])
		if err != nil || !bytes.Equal(got, raw) || ids[i].String() != sum(raw) {
			t.Fatalf("message of %d bytes: read %d bytes, %v; id %s", len(raw), len(got), err, ids[i])
		}
	}
	if n := len(objectFiles(t, dir)); n != len(raws) {
		t.Fatalf("%d files under objects/, want %d objects", n, len(raws))
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Fatalf("tmp has %d entries after commit", len(ents))
	}
}

// TestSyncBeforeRename checks the order of effects on the write path: every
// object's data is synced before any object is renamed into place, and the
// names are synced before the catalog records them.
func TestSyncBeforeRename(t *testing.T) {
	a := openTest(t, t.TempDir())
	var events []string
	oldAll, oldRename := syncAll, rename
	t.Cleanup(func() { syncAll, rename = oldAll, oldRename })
	syncAll = func(dir string) (bool, error) { events = append(events, "sync"); return oldAll(dir) }
	rename = func(from, to string) error { events = append(events, "rename"); return oldRename(from, to) }
	b := a.NewBatch()
	b.Add(strings.NewReader("one\r\n"))
	b.Add(strings.NewReader("two\r\n"))
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, ","); got != "sync,rename,rename,sync" {
		t.Fatalf("effects = %s, want sync,rename,rename,sync", got)
	}
}

// TestSyncFailureStoresNothing injects a failing sync: Commit fails, no
// object and no catalog row exist, no temp file is left.
func TestSyncFailureStoresNothing(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	old := syncAll
	t.Cleanup(func() { syncAll = old })
	syncAll = func(string) (bool, error) { return false, errors.New("injected EIO") }
	b := a.NewBatch()
	ad, _ := b.Add(strings.NewReader("lost?\r\n"))
	if _, err := b.Commit(context.Background()); err == nil || !strings.Contains(err.Error(), "injected EIO") {
		t.Fatalf("Commit error = %v, want the injected one", err)
	}
	if ok, _ := a.Has(context.Background(), ad.ID); ok {
		t.Fatal("catalog has a message whose sync failed")
	}
	if _, err := os.Stat(a.objectPath(ad.ID)); err == nil {
		t.Fatal("object exists although its sync failed")
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Fatalf("%d temp files left", len(ents))
	}
	if left := objectFiles(t, dir); len(left) != 0 {
		t.Fatalf("files left under objects/: %v", left)
	}
}

// TestCorpusByteExact stores every file of the shared corpus as it is and
// reads it back: the same bytes, under their SHA-256.
func TestCorpusByteExact(t *testing.T) {
	files := testenv.CorpusFiles(t)
	a := openTest(t, t.TempDir())
	ctx := context.Background()
	b := a.NewBatch()
	want := map[ID]string{}
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ad, err := b.Add(bytes.NewReader(raw), Location{LocationKey: LocationKey{Account: "corpus", Mailbox: "all", UIDL: f}})
		if err != nil {
			t.Fatalf("Add(%s): %v", f, err)
		}
		if ad.ID.String() != sum(raw) {
			t.Fatalf("Add(%s) id = %s, want %s", f, ad.ID, sum(raw))
		}
		want[ad.ID] = f
		if i%500 == 499 {
			if _, err := b.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for id, f := range want {
		raw, _ := os.ReadFile(f)
		got, err := a.ReadAll(id)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("ReadAll(%s) for %s: %d bytes, %v; want %d identical bytes", id.Short(), f, len(got), err, len(raw))
		}
	}
	st, _ := a.Stats(ctx)
	if st.Messages != int64(len(want)) || st.Locations != int64(len(files)) {
		t.Fatalf("Stats = %+v, want %d messages, %d locations", st, len(want), len(files))
	}
	t.Logf("%d files, %d distinct messages, %d raw bytes stored as %d", len(files), len(want), st.BytesRaw, st.BytesStored)
}

func TestMailboxUIDCounts(t *testing.T) {
	a := openTest(t, t.TempDir())
	ctx := context.Background()
	key := func(uv, uid uint32, uidl string) Location {
		return Location{LocationKey: LocationKey{Account: "home", Mailbox: "INBOX", UIDValidity: uv, UID: uid, UIDL: uidl}}
	}
	b := a.NewBatch()
	for i, l := range []Location{key(1, 1, ""), key(1, 2, ""), key(7, 1, ""), key(7, 2, ""), key(7, 3, ""), key(0, 0, "imported-file")} {
		if _, err := b.Add(strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\n", i)), l); err != nil {
			t.Fatal(err)
		}
	}
	b.MarkGone(key(7, 2, "").LocationKey, time.Unix(1700000000, 0))
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := a.MailboxUIDCounts(ctx, "home", "INBOX")
	want := []UIDCount{{UIDValidity: 1, Locations: 2, Live: 2}, {UIDValidity: 7, Locations: 3, Live: 2}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("MailboxUIDCounts = %v, %v; want %v", got, err, want)
	}
	b = a.NewBatch()
	b.Supersede(key(7, 0, "").LocationKey)
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = a.MailboxUIDCounts(ctx, "home", "INBOX")
	if want := []UIDCount{{UIDValidity: 7, Locations: 3, Live: 2}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the renumbering MailboxUIDCounts = %v, want %v", got, want)
	}
	if got, _ := a.MailboxUIDCounts(ctx, "home", "Sent"); len(got) != 0 {
		t.Fatalf("MailboxUIDCounts of an empty mailbox = %v", got)
	}
}

// TestTempNameTaken: a temp object left by an earlier process with the
// same pid does not stop a new one from being written next to it.
func TestTempNameTaken(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	raw := []byte("Subject: taken\r\n\r\nbody\r\n")
	id := sha256.Sum256(raw)
	objDir := filepath.Dir(a.objectPath(id))
	if err := os.MkdirAll(objDir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(objDir, tempPrefix+a.tempBase+"1")
	if err := os.WriteFile(stale, []byte("left by a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := a.NewBatch()
	if _, err := b.AddBytes(raw); err != nil {
		t.Fatalf("AddBytes: %v", err)
	}
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	r, err := a.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("read back %q, %v; want %q", got, err, raw)
	}
	if data, err := os.ReadFile(stale); err != nil || string(data) != "left by a crash" {
		t.Fatalf("stale temp file = %q, %v; want it untouched until verify", data, err)
	}
}

// TestSameLocationTwiceInBatch: a new message added twice at the same
// location in one batch has that location once, with the later flags.
func TestSameLocationTwiceInBatch(t *testing.T) {
	a := openTest(t, t.TempDir())
	key := LocationKey{Account: "a", Mailbox: "m", UIDL: "k"}
	b := a.NewBatch()
	var id ID
	for _, fl := range []string{`\Seen`, `\Flagged`} {
		ad, err := b.AddBytes([]byte("Subject: twice\r\n\r\nx\r\n"), Location{LocationKey: key, Flags: []string{fl}})
		if err != nil {
			t.Fatal(err)
		}
		id = ad.ID
	}
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	locs, err := a.Locations(context.Background(), id)
	if err != nil || len(locs) != 1 || strings.Join(locs[0].Flags, " ") != `\Flagged` {
		t.Fatalf("Locations = %+v, %v; want one with \\Flagged", locs, err)
	}
}

func TestDirSet(t *testing.T) {
	var s dirSet
	ids := []ID{{0x00, 0x00}, {0x00, 0x01}, {0x01, 0x00}, {0xab, 0xcd, 0xef}, {0xff, 0xff}}
	for i, id := range ids {
		for _, later := range ids[i:] {
			if s.has(later) {
				t.Fatalf("before add(%x): has(%x)", id[:2], later[:2])
			}
		}
		s.add(id)
		if !s.has(id) {
			t.Fatalf("after add(%x): not has", id[:2])
		}
		if other := (ID{id[0], id[1], 0x12}); !s.has(other) {
			t.Fatalf("has(%x) depends on more than the first two bytes", other[:3])
		}
	}
}
