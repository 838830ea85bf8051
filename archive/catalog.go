package archive

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // SQLite driver without cgo
)

// migrations take the catalog from version i to i+1. Only ever append.
var migrations = []string{
	// 1: the first catalog.
	`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
	CREATE TABLE messages (
		id           TEXT PRIMARY KEY,            -- lowercase hex SHA-256 of the raw bytes
		size         INTEGER NOT NULL,            -- raw bytes
		stored_size  INTEGER NOT NULL,            -- bytes of the zstd object
		date         INTEGER,                     -- Date header, unix seconds; NULL if absent or unreadable
		message_id   TEXT NOT NULL DEFAULT '',
		from_addr    TEXT NOT NULL DEFAULT '',
		subject      TEXT NOT NULL DEFAULT '',
		parse_status TEXT NOT NULL DEFAULT 'ok',
		added        INTEGER NOT NULL,            -- when first archived, unix seconds
		changed      INTEGER NOT NULL             -- change sequence (see meta change_seq)
	);
	CREATE INDEX messages_changed ON messages(changed);
	CREATE INDEX messages_message_id ON messages(message_id);
	CREATE TABLE locations (
		id            INTEGER PRIMARY KEY,
		message       TEXT NOT NULL REFERENCES messages(id),
		account       TEXT NOT NULL,
		mailbox       TEXT NOT NULL,
		uidvalidity   INTEGER NOT NULL DEFAULT 0,
		uid           INTEGER NOT NULL DEFAULT 0,
		uidl          TEXT NOT NULL DEFAULT '',    -- POP3 UIDL, or the key of an imported file
		flags         TEXT NOT NULL DEFAULT '',    -- space-separated, sorted
		internal_date INTEGER,
		size          INTEGER NOT NULL DEFAULT 0,  -- size the server reported
		first_seen    INTEGER NOT NULL,
		last_seen     INTEGER NOT NULL,
		gone_since    INTEGER,                     -- when the server stopped having it
		UNIQUE (account, mailbox, uidvalidity, uid, uidl, message)
	);
	CREATE INDEX locations_message ON locations(message);
	CREATE TABLE sync_state (
		account     TEXT NOT NULL,
		mailbox     TEXT NOT NULL,
		uidvalidity INTEGER NOT NULL DEFAULT 0,
		last_uid    INTEGER NOT NULL DEFAULT 0,
		modseq      INTEGER NOT NULL DEFAULT 0,
		updated     INTEGER NOT NULL,
		PRIMARY KEY (account, mailbox)
	);
	CREATE TABLE runs (
		id       INTEGER PRIMARY KEY,
		kind     TEXT NOT NULL,                  -- fetch | import
		started  INTEGER NOT NULL,
		finished INTEGER,
		ok       INTEGER NOT NULL DEFAULT 0,
		new      INTEGER NOT NULL DEFAULT 0,
		failed   INTEGER NOT NULL DEFAULT 0,
		summary  TEXT NOT NULL DEFAULT ''
	);
	INSERT INTO meta(key, value) VALUES ('change_seq', '0');`,
	// 2: superseded locations (UIDVALIDITY changes), per-run reports.
	`ALTER TABLE locations ADD COLUMN superseded INTEGER;
	ALTER TABLE runs ADD COLUMN report TEXT NOT NULL DEFAULT '';
	CREATE INDEX locations_mailbox ON locations(account, mailbox, uidvalidity, uid);`,
}

// SchemaVersion is the catalog version this build writes.
var SchemaVersion = len(migrations)

func openCatalog(path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	return db, nil
}

// migrate brings the catalog to want (normally SchemaVersion).
func migrate(ctx context.Context, db *sql.DB, want int) error {
	var have int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read catalog version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("catalog version %d is newer than this mailkeep understands (%d): upgrade mailkeep", have, len(migrations))
	}
	for v := have; v < want; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate catalog to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate catalog to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate catalog to version %d: %w", v+1, err)
		}
	}
	return nil
}
