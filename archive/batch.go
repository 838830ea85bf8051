package archive

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LocationKey names a place a message was found: an IMAP mailbox, its
// UIDVALIDITY and the UID; a POP3 maildrop and the UIDL; or an imported
// file's mailbox and key (UIDL holds the key, UID and UIDValidity are 0).
type LocationKey struct {
	Account     string
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	UIDL        string
}

// Location is where a message was found, with what the server said of it.
type Location struct {
	LocationKey
	Flags        []string
	InternalDate time.Time // zero when unknown
	Size         int64     // size the server reported, 0 when unknown
	FirstSeen    time.Time
	LastSeen     time.Time
	GoneSince    time.Time // zero while the server still has it
	Superseded   bool      // seen under a UIDVALIDITY the server has since replaced
	Message      ID
}

// SyncState is how far a mailbox has been archived.
type SyncState struct {
	Account     string
	Mailbox     string
	UIDValidity uint32
	LastUID     uint32 // highest UID archived
	ModSeq      uint64 // CONDSTORE HIGHESTMODSEQ when flags were last synced
	Updated     time.Time
}

// Added says what Batch.Add staged.
type Added struct {
	ID   ID
	Size int64
}

// Batch collects messages, locations and sync-state changes that become
// durable together in Commit. Add may be called from several goroutines.
// A Batch is used once: after Commit or Discard it is empty again.
type Batch struct {
	a      *Archive
	mu     sync.Mutex
	staged []staged
	ids    map[ID]bool
	locs   []Location
	states []SyncState
	gone   []goneMark
	flags  []Location
	supers []LocationKey
	bytes  int64
	tmpDir string // this batch's own directory under tmp/, made on first Add
}

type goneMark struct {
	key  LocationKey
	when time.Time
}

// NewBatch starts a batch.
func (a *Archive) NewBatch() *Batch { return &Batch{a: a, ids: map[ID]bool{}} }

// Add streams one message into the batch and records its locations. The
// message is not stored until Commit returns without error.
func (b *Batch) Add(r io.Reader, locs ...Location) (Added, error) {
	if b.a.readOnly {
		return Added{}, ErrReadOnly
	}
	st, err := b.a.stage(r, b.dir)
	if err != nil {
		return Added{}, err
	}
	return b.add(st, locs), nil
}

// AddBytes is Add for a message already in memory: one that is not large
// is hashed and compressed where it is, without a copy. raw may be reused
// once AddBytes returns.
func (b *Batch) AddBytes(raw []byte, locs ...Location) (Added, error) {
	if len(raw) > smallObject {
		return b.Add(bytes.NewReader(raw), locs...)
	}
	if b.a.readOnly {
		return Added{}, ErrReadOnly
	}
	st, err := b.a.stageSmall(raw)
	if err != nil {
		return Added{}, err
	}
	return b.add(st, locs), nil
}

func (b *Batch) add(st staged, locs []Location) Added {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ids[st.id] && st.tmp != "" {
		os.Remove(st.tmp) // the same bytes twice in one batch
		st.tmp = ""
	}
	b.ids[st.id] = true
	b.staged = append(b.staged, st)
	b.bytes += st.size
	for _, l := range locs {
		l.Message = st.id
		b.locs = append(b.locs, l)
	}
	return Added{ID: st.id, Size: st.size}
}

// dir returns the batch's temp directory for large messages. Each batch
// writes into a fresh directory: a directory that has held thousands of files stays large and
// slow on ext4 even when empty again.
func (b *Batch) dir() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tmpDir == "" {
		d, err := os.MkdirTemp(filepath.Join(b.a.dir, "tmp"), "batch-")
		if err != nil {
			return "", fmt.Errorf("create temp dir: %w", err)
		}
		b.tmpDir = d
	}
	return b.tmpDir, nil
}

// AddLocation records another location of a message that is already
// archived (or added earlier to this batch).
func (b *Batch) AddLocation(id ID, loc Location) {
	b.mu.Lock()
	defer b.mu.Unlock()
	loc.Message = id
	b.locs = append(b.locs, loc)
}

// SetState advances a mailbox's sync state when the batch commits.
func (b *Batch) SetState(st SyncState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.states = append(b.states, st)
}

// MarkGone records that the server no longer has the message at key.
func (b *Batch) MarkGone(key LocationKey, when time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gone = append(b.gone, goneMark{key, when})
}

// SetFlags records new flags of a known location (matched by its key).
func (b *Batch) SetFlags(key LocationKey, flags []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flags = append(b.flags, Location{LocationKey: key, Flags: flags})
}

// Supersede marks every location of key's account and mailbox whose
// UIDVALIDITY differs from key.UIDValidity as superseded: the server
// renumbered the mailbox.
func (b *Batch) Supersede(key LocationKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.supers = append(b.supers, key)
}

// Len is the number of messages added.
func (b *Batch) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.staged)
}

// Bytes is the raw size of the messages added.
func (b *Batch) Bytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes
}

// Empty reports whether Commit would have nothing to do.
func (b *Batch) Empty() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.staged)+len(b.locs)+len(b.states)+len(b.gone)+len(b.flags)+len(b.supers) == 0
}

// Discard drops what the batch holds and removes its temporary files.
func (b *Batch) Discard() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, st := range b.staged {
		if st.tmp != "" {
			os.Remove(st.tmp)
		}
	}
	b.reset()
}

func (b *Batch) reset() {
	if b.tmpDir != "" {
		os.RemoveAll(b.tmpDir)
		b.tmpDir = ""
	}
	b.staged, b.locs, b.states, b.gone, b.flags, b.supers = nil, nil, nil, nil, nil, nil
	b.ids = map[ID]bool{}
	b.bytes = 0
}

// Committed says what a Commit stored.
type Committed struct {
	New      []ID  // messages the archive did not hold before, in the order added
	Messages int   // messages in the batch, duplicates included
	Bytes    int64 // raw bytes of the new messages
	Seq      int64 // the change sequence of this commit (see Changes)
}

// Commit makes the batch durable: object data is synced, objects are
// renamed into place and their names synced, and then the catalog rows
// and sync states are written in one transaction (synchronous=FULL). It
// ignores cancellation of ctx once started, so an interrupted run still
// keeps what it has completed. On error nothing of the batch is recorded
// (objects may remain without catalog rows; verify adopts them).
func (b *Batch) Commit(ctx context.Context) (Committed, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.reset()
	a := b.a
	if a.readOnly {
		return Committed{}, ErrReadOnly
	}
	ctx = context.WithoutCancel(ctx)
	if err := b.persistObjects(); err != nil {
		for _, st := range b.staged {
			if st.tmp != "" {
				os.Remove(st.tmp)
			}
		}
		return Committed{}, err
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	var res Committed
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = b.record(ctx, tx)
		return err
	})
	if err != nil {
		return Committed{}, fmt.Errorf("commit catalog: %w", err)
	}
	return res, nil
}

// persistObjects makes the batch's new objects durable at their final
// names. Order: data synced before any rename, names synced before the
// catalog commit, so an object name never points at incomplete data.
func (b *Batch) persistObjects() error {
	a := b.a
	var tmps, finals []string
	var ids []ID
	for _, st := range b.staged {
		if st.tmp != "" {
			tmps = append(tmps, st.tmp)
			finals = append(finals, a.objectPath(st.id))
			ids = append(ids, st.id)
		}
	}
	if len(tmps) == 0 {
		return nil
	}
	tmpDir := filepath.Join(a.dir, "tmp")
	fsWide, err := syncAll(tmpDir)
	if err != nil {
		return fmt.Errorf("sync objects: %w", err)
	}
	if !fsWide {
		for _, t := range tmps {
			if err := syncPath(t); err != nil {
				return err
			}
		}
	}
	for i, t := range tmps {
		if _, err := a.mkdirObjects(ids[i]); err != nil {
			return fmt.Errorf("store object: %w", err)
		}
		if err := rename(t, finals[i]); err != nil {
			return fmt.Errorf("store object: %w", err)
		}
	}
	if fsWide, err = syncAll(tmpDir); err != nil {
		return fmt.Errorf("sync objects: %w", err)
	}
	if !fsWide {
		// New fan-out directories must be durable in their parents too.
		var parents []string
		for _, f := range finals {
			parents = append(parents, filepath.Dir(f), filepath.Dir(filepath.Dir(f)))
		}
		if err := syncDirs(append(finals, parents...)); err != nil {
			return err
		}
	}
	return nil
}

func syncPath(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sync object: %w", err)
	}
	err = syncFile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync object: %w", err)
	}
	return nil
}

func (a *Archive) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func unixTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func joinFlags(flags []string) string {
	f := append([]string(nil), flags...)
	sort.Strings(f)
	return strings.Join(f, " ")
}

func (b *Batch) record(ctx context.Context, tx *sql.Tx) (Committed, error) {
	a := b.a
	now := a.now().Unix()
	var res Committed
	var seqStr string
	if err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'change_seq'").Scan(&seqStr); err != nil {
		return res, err
	}
	seq, _ := strconv.ParseInt(seqStr, 10, 64)
	seq++
	res.Seq = seq
	changed := map[ID]bool{}

	insMsg, err := tx.PrepareContext(ctx, `INSERT INTO messages(id, size, stored_size, date, message_id, from_addr, subject, parse_status, added, changed)
		VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING`)
	if err != nil {
		return res, err
	}
	defer insMsg.Close()
	for _, st := range b.staged {
		res.Messages++
		r, err := insMsg.ExecContext(ctx, st.id.String(), st.size, st.stored, unixTime(st.meta.date),
			st.meta.messageID, st.meta.from, st.meta.subject, st.meta.status, now, seq)
		if err != nil {
			return res, fmt.Errorf("insert message %s: %w", st.id.Short(), err)
		}
		if n, _ := r.RowsAffected(); n == 1 {
			res.New = append(res.New, st.id)
			res.Bytes += st.size
		}
	}

	const keyWhere = `account = ? AND mailbox = ? AND uidvalidity = ? AND uid = ? AND uidl = ?`
	keyArgs := func(k LocationKey) []any { return []any{k.Account, k.Mailbox, k.UIDValidity, k.UID, k.UIDL} }
	isNew := map[ID]bool{}
	for _, id := range res.New {
		isNew[id] = true
	}
	if len(b.locs) > 0 {
		if err := b.recordLocations(ctx, tx, now, isNew, changed); err != nil {
			return res, err
		}
	}
	touch := func(where string, args ...any) error {
		rows, err := tx.QueryContext(ctx, `SELECT message FROM locations WHERE `+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			if id, err := ParseID(s); err == nil {
				changed[id] = true
			}
		}
		return rows.Err()
	}
	for _, f := range b.flags {
		flags := joinFlags(f.Flags)
		if err := touch(keyWhere+` AND flags <> ?`, append(keyArgs(f.LocationKey), flags)...); err != nil {
			return res, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE locations SET flags = ?, last_seen = ? WHERE `+keyWhere,
			append([]any{flags, now}, keyArgs(f.LocationKey)...)...); err != nil {
			return res, err
		}
	}
	for _, g := range b.gone {
		if err := touch(keyWhere+` AND gone_since IS NULL`, keyArgs(g.key)...); err != nil {
			return res, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE locations SET gone_since = ? WHERE `+keyWhere+` AND gone_since IS NULL`,
			append([]any{g.when.Unix()}, keyArgs(g.key)...)...); err != nil {
			return res, err
		}
	}
	for _, k := range b.supers {
		where := `account = ? AND mailbox = ? AND uidvalidity <> ? AND superseded IS NULL`
		if err := touch(where, k.Account, k.Mailbox, k.UIDValidity); err != nil {
			return res, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE locations SET superseded = ? WHERE `+where, now, k.Account, k.Mailbox, k.UIDValidity); err != nil {
			return res, err
		}
	}
	for _, st := range b.states {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(account, mailbox, uidvalidity, last_uid, modseq, updated) VALUES (?,?,?,?,?,?)
			ON CONFLICT(account, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,
			modseq = excluded.modseq, updated = excluded.updated`, st.Account, st.Mailbox, st.UIDValidity, st.LastUID, int64(st.ModSeq), now)
		if err != nil {
			return res, fmt.Errorf("save sync state of %s/%s: %w", st.Account, st.Mailbox, err)
		}
	}
	if len(changed) > 0 {
		up, err := tx.PrepareContext(ctx, `UPDATE messages SET changed = ? WHERE id = ?`)
		if err != nil {
			return res, err
		}
		defer up.Close()
		for id := range changed {
			if isNew[id] {
				continue
			}
			if _, err := up.ExecContext(ctx, seq, id.String()); err != nil {
				return res, err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'change_seq'`, strconv.FormatInt(seq, 10)); err != nil {
		return res, err
	}
	return res, nil
}

// recordLocations inserts the batch's locations, or updates the flags and
// last-seen time of those already known, and notes in changed the
// messages whose locations changed. A message new in this batch has no
// locations yet, so its own are inserted without a lookup first.
func (b *Batch) recordLocations(ctx context.Context, tx *sql.Tx, now int64, isNew, changed map[ID]bool) error {
	const keyWhere = `account = ? AND mailbox = ? AND uidvalidity = ? AND uid = ? AND uidl = ? AND message = ?`
	sel, err := tx.PrepareContext(ctx, `SELECT flags, gone_since FROM locations WHERE `+keyWhere)
	if err != nil {
		return err
	}
	defer sel.Close()
	// The same location twice in one batch updates the first.
	ins, err := tx.PrepareContext(ctx, `INSERT INTO locations(message, account, mailbox, uidvalidity, uid, uidl, flags, internal_date, size, first_seen, last_seen)
		VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(account, mailbox, uidvalidity, uid, uidl, message)
		DO UPDATE SET flags = excluded.flags, last_seen = excluded.last_seen`)
	if err != nil {
		return err
	}
	defer ins.Close()
	upd, err := tx.PrepareContext(ctx, `UPDATE locations SET flags = ?, gone_since = NULL, last_seen = ? WHERE `+keyWhere)
	if err != nil {
		return err
	}
	defer upd.Close()
	for _, l := range b.locs {
		flags := joinFlags(l.Flags)
		msg := l.Message.String()
		err := sql.ErrNoRows
		var oldFlags string
		var gone sql.NullInt64
		if !isNew[l.Message] {
			err = sel.QueryRowContext(ctx, l.Account, l.Mailbox, l.UIDValidity, l.UID, l.UIDL, msg).Scan(&oldFlags, &gone)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := ins.ExecContext(ctx, msg, l.Account, l.Mailbox, l.UIDValidity, l.UID, l.UIDL,
				flags, unixTime(l.InternalDate), l.Size, now, now); err != nil {
				return fmt.Errorf("insert location of %s: %w", l.Message.Short(), err)
			}
			changed[l.Message] = true
		case err != nil:
			return err
		default:
			if oldFlags != flags || gone.Valid {
				changed[l.Message] = true
			}
			if _, err := upd.ExecContext(ctx, flags, now, l.Account, l.Mailbox, l.UIDValidity, l.UID, l.UIDL, msg); err != nil {
				return err
			}
		}
	}
	return nil
}
