// Package fetch runs one archiving pass: each Source (an IMAP or POP3
// account, or an imported Maildir or mbox) streams raw messages into the
// archive through a Session, which group-commits them and only then lets
// the source advance its sync state. The package knows the archive but not
// the index: callers learn what was committed through Options.OnCommit.
package fetch

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/mailkeep/mailkeep/archive"
)

// The archive's types that sources use, so that source packages depend on
// fetch alone.
type (
	ID          = archive.ID
	Location    = archive.Location
	LocationKey = archive.LocationKey
	SyncState   = archive.SyncState
	Batch       = archive.Batch
	Committed   = archive.Committed
	UIDCount    = archive.UIDCount
)

// Source archives one account (or one imported file tree).
type Source interface {
	// Name is the account name, as locations record it.
	Name() string
	// Sync archives what is new. It stores through s and records what it
	// did in s's report. It returns an error only when the account as a
	// whole failed (cannot connect, wrong password); problems with single
	// messages or mailboxes go into the report.
	Sync(ctx context.Context, s *Session) error
}

// Security is how a connection is protected.
type Security string

const (
	TLS      Security = "tls"      // implicit TLS (IMAPS 993, POP3S 995)
	STARTTLS Security = "starttls" // plain connection upgraded with STARTTLS / STLS
	None     Security = "none"     // plaintext; loopback only unless allowed
)

// DeleteMode says when a POP3 source deletes mail from the server.
type DeleteMode string

const (
	DeleteNever        DeleteMode = "never"
	DeleteAfterArchive DeleteMode = "after-archive"
	DeleteOlderThan    DeleteMode = "older-than"
)

// Account is what a network source needs to know of one account. The
// command line builds it from the config; sources never see the config.
type Account struct {
	Name           string
	Host           string
	Port           int
	Security       Security
	AllowPlaintext bool // plaintext login to a non-loopback host
	Username       string
	// Password returns the password; it is called only when needed and
	// its result must never be logged or put in an error.
	Password  func(ctx context.Context) (string, error)
	TLSConfig *tls.Config // roots (system + tls_ca_file) and ServerName; nil means defaults

	Include []string // IMAP mailbox glob patterns; empty means all
	Exclude []string

	Delete          DeleteMode    // POP3 only
	DeleteOlderThan time.Duration // with DeleteOlderThan
	APOP            bool          // POP3: use APOP when the greeting offers it

	MaxMessageSize int64 // messages larger than this are skipped and reported; 0 means no limit

	// Connections is how many IMAP connections a run uses at once, each
	// syncing a different mailbox. 0 means 2.
	Connections int

	// Timeout bounds every single network wait (connect, each read and
	// write). 0 means 60 s.
	Timeout time.Duration
}

// GetPassword runs the account's password source once. A missing or
// failing source is permanent (retrying cannot fix it); a cancellation is
// returned as it is.
func (a Account) GetPassword(ctx context.Context) (string, error) {
	if a.Password == nil {
		return "", Permanent(fmt.Errorf("account %s has no password configured", a.Name))
	}
	pw, err := a.Password(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", Permanent(fmt.Errorf("password for account %s: %w", a.Name, err))
	}
	return pw, nil
}

// PasswordOnce returns a copy of a whose password source runs at most
// once, however often it is asked: a run logs in on every connection and
// again after each retry, and a password command may ask the user, or be
// slow. A call that fails because its context ended is not remembered.
// Call it once per run, so that the next run reads the password afresh.
func (a Account) PasswordOnce() Account {
	pw := a.Password
	if pw == nil {
		return a
	}
	var (
		mu   sync.Mutex
		done bool
		val  string
		err  error
	)
	a.Password = func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			val, err = pw(ctx)
			done = err == nil || ctx.Err() == nil
		}
		return val, err
	}
	return a
}

// Addr returns host:port.
func (a Account) Addr() string { return joinHostPort(a.Host, a.Port) }
