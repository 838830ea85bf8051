package pop3

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mailkeep/mailkeep/fetch"
)

// Mailbox is the mailbox name POP3 locations are recorded under: a POP3
// account has one maildrop, which is the INBOX.
const Mailbox = "INBOX"

// uidlPrefix starts the made-up UIDL of a message from a server without
// UIDL: "sha256:" and the message's id.
const uidlPrefix = "sha256:"

// SourceOptions tune a Source. The zero value is fine.
type SourceOptions struct {
	// BatchMessages and BatchBytes bound one group commit: at most this
	// many messages, and this many bytes unless a single message is
	// larger (defaults 500 and 32 MB). Deletions of a batch's messages
	// are sent after its commit.
	BatchMessages int
	BatchBytes    int64
}

// Source archives one POP3 account. It implements fetch.Source; see the
// package documentation for what one run does.
type Source struct {
	acct fetch.Account
	opts SourceOptions
}

// NewSource returns the source of a POP3 account with default options.
func NewSource(acct fetch.Account) *Source { return NewSourceOptions(acct, SourceOptions{}) }

// NewSourceOptions returns the source of a POP3 account.
func NewSourceOptions(acct fetch.Account, opts SourceOptions) *Source {
	if opts.BatchMessages <= 0 {
		opts.BatchMessages = 500
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 32 << 20
	}
	return &Source{acct: acct, opts: opts}
}

// Name implements fetch.Source.
func (s *Source) Name() string { return s.acct.Name }

// Sync implements fetch.Source. A broken connection is retried with the
// session's backoff and the run resumes where it stopped (UIDL again, only
// what is not archived yet); as long as each attempt makes progress
// (archives messages), the attempts start counting again.
func (s *Source) Sync(ctx context.Context, ss *fetch.Session) error {
	switch s.acct.Delete {
	case "", fetch.DeleteNever, fetch.DeleteAfterArchive:
	case fetch.DeleteOlderThan:
		if s.acct.DeleteOlderThan <= 0 {
			return fetch.Permanent(fmt.Errorf("account %s: delete = older-than needs a positive duration, like older-than:30d", s.acct.Name))
		}
	default:
		return fetch.Permanent(fmt.Errorf("account %s: unknown delete mode %q (want never, after-archive or older-than:N)", s.acct.Name, s.acct.Delete))
	}
	once := *s // this run's: the password is read once, however often it logs in
	once.acct = s.acct.PasswordOnce()
	r := &run{src: &once, s: ss, log: ss.Log(), durable: map[string]bool{}, failed: map[string]string{}, skipped: map[string]string{}, warned: map[string]bool{}}
	start := ss.Now()
	ss.Mailbox(Mailbox) // the report lists the INBOX even when the login fails
	err := r.retry(ctx)
	var m fetch.MailboxReport
	ss.Update(Mailbox, func(mr *fetch.MailboxReport) { m = *mr })
	lvl := ss.Log().Debug
	if m.Seen > 0 || m.Deleted > 0 || m.Gone > 0 || len(m.Failed) > 0 || err != nil {
		lvl = ss.Log().Info
	}
	lvl("maildrop synced", "mailbox", Mailbox, "on_server", m.OnServer, "archived", m.Archived, "new", m.New, "seen", m.Seen,
		"bytes", m.Bytes, "gone", m.Gone, "deleted", m.Deleted, "failed", len(m.Failed), "skipped", len(m.Skipped),
		"dur", ss.Now().Sub(start).Round(time.Millisecond))
	return err
}

// retry runs attempts until one succeeds, fails permanently, or the
// attempts are used up without progress.
func (r *run) retry(ctx context.Context) error {
	ss := r.s
	for {
		before := len(r.durable)
		err := ss.Backoff().Retry(ctx, r.attempt, func(attempt int, err error, wait time.Duration) {
			ss.Log().Warn("POP3 connection failed, retrying", "attempt", attempt, "err", err, "wait", wait.Round(time.Millisecond))
		})
		if err == nil {
			return nil
		}
		if fetch.IsPermanent(err) || ctx.Err() != nil || len(r.durable) == before {
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			return err
		}
		ss.Log().Info("POP3 connection keeps failing but the run advances; going on", "err", err)
	}
}

// run is one Sync: what survives from one connection attempt to the next.
type run struct {
	src *Source
	s   *fetch.Session
	log *slog.Logger // the session's; nil in tests that only connect
	// durable holds what this run committed: UIDLs, and "id:<hex>" for
	// messages that have no UIDL of their own (no UIDL, or a duplicate).
	// Its growth tells progress from a failure loop.
	durable map[string]bool
	failed  map[string]string // UIDL (or "message n") → why; retried next run
	skipped map[string]string // over the size limit
	warned  map[string]bool
}

// warnOnce records a warning once per run.
func (r *run) warnOnce(key, msg string) {
	if !r.warned[key] {
		r.warned[key] = true
		r.s.Warn(msg)
	}
}

// report writes the failures and skipped messages into the report.
func (r *run) report() {
	r.s.Update(Mailbox, func(m *fetch.MailboxReport) {
		m.Failed = failures(r.failed)
		m.Skipped = failures(r.skipped)
	})
}

func failures(m map[string]string) []fetch.Failure {
	var out []fetch.Failure
	for key, why := range m {
		out = append(out, fetch.Failure{UIDL: key, Reason: why})
	}
	slices.SortFunc(out, func(a, b fetch.Failure) int { return cmp.Compare(a.UIDL, b.UIDL) })
	return out
}
