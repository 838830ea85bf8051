package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Info is what the catalog knows of one message.
type Info struct {
	ID          ID
	Size        int64
	StoredSize  int64
	Date        time.Time // zero when the Date header is missing or unreadable
	MessageID   string
	From        string
	Subject     string
	ParseStatus string
	Added       time.Time
	Changed     int64
	Locations   []Location
}

// Has reports whether the catalog holds id.
func (a *Archive) Has(ctx context.Context, id ID) (bool, error) {
	var n int
	err := a.db.QueryRowContext(ctx, "SELECT count(*) FROM messages WHERE id = ?", id.String()).Scan(&n)
	return n > 0, err
}

const infoCols = `id, size, stored_size, date, message_id, from_addr, subject, parse_status, added, changed`

func scanInfo(sc interface{ Scan(...any) error }) (Info, error) {
	var in Info
	var id string
	var date sql.NullInt64
	var added int64
	if err := sc.Scan(&id, &in.Size, &in.StoredSize, &date, &in.MessageID, &in.From, &in.Subject, &in.ParseStatus, &added, &in.Changed); err != nil {
		return in, err
	}
	var err error
	in.ID, err = ParseID(id)
	if date.Valid {
		in.Date = time.Unix(date.Int64, 0)
	}
	in.Added = time.Unix(added, 0)
	return in, err
}

// Info returns the catalog facts and locations of id.
func (a *Archive) Info(ctx context.Context, id ID) (Info, error) {
	in, err := scanInfo(a.db.QueryRowContext(ctx, "SELECT "+infoCols+" FROM messages WHERE id = ?", id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("read catalog: %w", err)
	}
	in.Locations, err = a.Locations(ctx, id)
	return in, err
}

const locCols = `message, account, mailbox, uidvalidity, uid, uidl, flags, internal_date, size, first_seen, last_seen, gone_since, superseded`

func scanLocation(sc interface{ Scan(...any) error }) (Location, error) {
	var l Location
	var msg, flags string
	var idate, gone, sup sql.NullInt64
	var first, last int64
	if err := sc.Scan(&msg, &l.Account, &l.Mailbox, &l.UIDValidity, &l.UID, &l.UIDL, &flags, &idate, &l.Size, &first, &last, &gone, &sup); err != nil {
		return l, err
	}
	l.Message, _ = ParseID(msg)
	if flags != "" {
		l.Flags = strings.Split(flags, " ")
	}
	if idate.Valid {
		l.InternalDate = time.Unix(idate.Int64, 0)
	}
	if gone.Valid {
		l.GoneSince = time.Unix(gone.Int64, 0)
	}
	l.Superseded = sup.Valid
	l.FirstSeen, l.LastSeen = time.Unix(first, 0), time.Unix(last, 0)
	return l, nil
}

func (a *Archive) queryLocations(ctx context.Context, where string, args ...any) ([]Location, error) {
	rows, err := a.db.QueryContext(ctx, "SELECT "+locCols+" FROM locations WHERE "+where+" ORDER BY account, mailbox, uidvalidity, uid, uidl", args...)
	if err != nil {
		return nil, fmt.Errorf("read locations: %w", err)
	}
	defer rows.Close()
	var out []Location
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, fmt.Errorf("read locations: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Locations returns every place id was found.
func (a *Archive) Locations(ctx context.Context, id ID) ([]Location, error) {
	return a.queryLocations(ctx, "message = ?", id.String())
}

// MailboxLocations returns the locations recorded for one mailbox of an
// account (superseded ones included), ordered by UIDVALIDITY, UID and UIDL.
func (a *Archive) MailboxLocations(ctx context.Context, account, mailbox string) ([]Location, error) {
	return a.queryLocations(ctx, "account = ? AND mailbox = ?", account, mailbox)
}

// UIDCount is how many UIDs a mailbox has IMAP locations for under one
// UIDVALIDITY, superseded ones left out (a UID counts once, even if it
// was ever seen holding two messages).
type UIDCount struct {
	UIDValidity uint32
	Locations   int // recorded
	Live        int // of those, the ones the server still had (not gone)
}

// MailboxUIDCounts counts a mailbox's IMAP locations per UIDVALIDITY: what
// a fetch needs to see that nothing changed without reading every row.
func (a *Archive) MailboxUIDCounts(ctx context.Context, account, mailbox string) ([]UIDCount, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT uidvalidity, count(DISTINCT uid), count(DISTINCT CASE WHEN gone_since IS NULL THEN uid END) FROM locations
		WHERE account = ? AND mailbox = ? AND uid <> 0 AND uidl = '' AND superseded IS NULL
		GROUP BY uidvalidity ORDER BY uidvalidity`, account, mailbox)
	if err != nil {
		return nil, fmt.Errorf("count locations of %s/%s: %w", account, mailbox, err)
	}
	defer rows.Close()
	var out []UIDCount
	for rows.Next() {
		var c UIDCount
		if err := rows.Scan(&c.UIDValidity, &c.Locations, &c.Live); err != nil {
			return nil, fmt.Errorf("count locations of %s/%s: %w", account, mailbox, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LiveMailboxes returns, sorted, the synced mailboxes of an account that
// hold IMAP locations the server still had when it was last looked at
// (not gone, not superseded): what a fetch compares with the server's
// LIST to find mailboxes deleted there.
func (a *Archive) LiveMailboxes(ctx context.Context, account string) ([]string, error) {
	// From the sync states (a row per mailbox), each asking the
	// locations index for one live row: no scan of every location.
	rows, err := a.db.QueryContext(ctx, `SELECT s.mailbox FROM sync_state s WHERE s.account = ? AND EXISTS (
		SELECT 1 FROM locations l WHERE l.account = s.account AND l.mailbox = s.mailbox
		AND l.uid <> 0 AND l.uidl = '' AND l.gone_since IS NULL AND l.superseded IS NULL) ORDER BY s.mailbox`, account)
	if err != nil {
		return nil, fmt.Errorf("list mailboxes of %s: %w", account, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var mb string
		if err := rows.Scan(&mb); err != nil {
			return nil, fmt.Errorf("list mailboxes of %s: %w", account, err)
		}
		out = append(out, mb)
	}
	return out, rows.Err()
}

// State returns a mailbox's sync state; ok is false when it was never synced.
func (a *Archive) State(ctx context.Context, account, mailbox string) (st SyncState, ok bool, err error) {
	var updated, modseq int64
	err = a.db.QueryRowContext(ctx, `SELECT account, mailbox, uidvalidity, last_uid, modseq, updated FROM sync_state WHERE account = ? AND mailbox = ?`,
		account, mailbox).Scan(&st.Account, &st.Mailbox, &st.UIDValidity, &st.LastUID, &modseq, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncState{Account: account, Mailbox: mailbox}, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read sync state of %s/%s: %w", account, mailbox, err)
	}
	st.ModSeq, st.Updated = uint64(modseq), time.Unix(updated, 0)
	return st, true, nil
}

// Stats are the archive's totals.
type Stats struct {
	Messages    int64 `json:"messages"`
	Locations   int64 `json:"locations"`
	BytesRaw    int64 `json:"bytes_raw"`
	BytesStored int64 `json:"bytes_stored"`
}

// Stats counts messages, locations and bytes.
func (a *Archive) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := a.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size),0), coalesce(sum(stored_size),0) FROM messages`).Scan(&s.Messages, &s.BytesRaw, &s.BytesStored)
	if err == nil {
		err = a.db.QueryRowContext(ctx, `SELECT count(*) FROM locations`).Scan(&s.Locations)
	}
	if err != nil {
		return s, fmt.Errorf("read catalog: %w", err)
	}
	return s, nil
}

// MailboxCount is the number of messages archived from one mailbox.
type MailboxCount struct {
	Account  string
	Mailbox  string
	Messages int64 // locations not gone from the server and not superseded
	Gone     int64 // locations the server no longer has
}

// MailboxCounts lists every account and mailbox with its counts.
func (a *Archive) MailboxCounts(ctx context.Context) ([]MailboxCount, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT account, mailbox,
		sum(gone_since IS NULL AND superseded IS NULL), sum(gone_since IS NOT NULL)
		FROM locations GROUP BY account, mailbox ORDER BY account, mailbox`)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer rows.Close()
	var out []MailboxCount
	for rows.Next() {
		var c MailboxCount
		if err := rows.Scan(&c.Account, &c.Mailbox, &c.Messages, &c.Gone); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChangeSeq returns the catalog's latest change sequence number.
func (a *Archive) ChangeSeq(ctx context.Context) (int64, error) {
	var s string
	if err := a.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'change_seq'").Scan(&s); err != nil {
		return 0, fmt.Errorf("read catalog: %w", err)
	}
	return strconv.ParseInt(s, 10, 64)
}

// Changes returns up to limit messages whose catalog facts changed (added,
// new location, flags, gone) after sequence since, in sequence order, with
// the sequence of the last one returned. The index follows the catalog with
// it: Changes(0, …) lists everything.
func (a *Archive) Changes(ctx context.Context, since int64, limit int) ([]Info, error) {
	rows, err := a.db.QueryContext(ctx, "SELECT "+infoCols+" FROM messages WHERE changed > ? ORDER BY changed, id LIMIT ?", since, limit)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		in, err := scanInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// ChangesAfter pages through Changes without splitting one sequence number
// across pages: it returns every message of the sequences it covers.
func (a *Archive) ChangesAfter(ctx context.Context, since int64, limit int) ([]Info, int64, error) {
	infos, err := a.Changes(ctx, since, limit)
	if err != nil || len(infos) == 0 {
		return infos, since, err
	}
	last := infos[len(infos)-1].Changed
	if len(infos) == limit {
		// Finish the last sequence so the caller can resume after it.
		rows, err := a.db.QueryContext(ctx, "SELECT "+infoCols+" FROM messages WHERE changed = ? AND id > ? ORDER BY id", last, infos[len(infos)-1].ID.String())
		if err != nil {
			return nil, since, fmt.Errorf("read catalog: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			in, err := scanInfo(rows)
			if err != nil {
				return nil, since, err
			}
			infos = append(infos, in)
		}
		if err := rows.Err(); err != nil {
			return nil, since, err
		}
	}
	return infos, last, nil
}

// Resolve turns a full id or an unambiguous prefix of at least 6 hex
// digits into an ID.
func (a *Archive) Resolve(ctx context.Context, s string) (ID, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) == 64 {
		return ParseID(s)
	}
	if len(s) < 6 || strings.Trim(s, "0123456789abcdef") != "" {
		return ID{}, fmt.Errorf("invalid message id %q: give the 64 hex digits or a prefix of at least 6", truncate(s, 80))
	}
	rows, err := a.db.QueryContext(ctx, "SELECT id FROM messages WHERE id >= ? AND id < ? LIMIT 2", s, s+"g")
	if err != nil {
		return ID{}, fmt.Errorf("read catalog: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return ID{}, err
		}
		ids = append(ids, id)
	}
	switch len(ids) {
	case 0:
		return ID{}, fmt.Errorf("%s: %w", s, ErrNotFound)
	case 1:
		return ParseID(ids[0])
	default:
		return ID{}, fmt.Errorf("message id prefix %s is ambiguous: give more digits", s)
	}
}

// ByMessageID returns the messages whose Message-ID header is mid.
func (a *Archive) ByMessageID(ctx context.Context, mid string) ([]ID, error) {
	mid = strings.Trim(strings.TrimSpace(mid), "<>")
	rows, err := a.db.QueryContext(ctx, "SELECT id FROM messages WHERE message_id = ? ORDER BY date", mid)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer rows.Close()
	var out []ID
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		id, err := ParseID(s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
