package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mailkeep/mailkeep/archive"
)

// Options configure a run.
type Options struct {
	Kind     string // "fetch" (default) or "import": recorded with the run
	Logger   *slog.Logger
	Progress Progress
	// OnCommit hears of every committed batch, after it is durable (the
	// index uses it to make new mail searchable during a run).
	OnCommit func(Committed)
	Now      func() time.Time
	Backoff  Backoff
	// Parallel is how many accounts run at once (default 2).
	Parallel int
}

// Session is a source's handle on the archive and on its part of the
// report during one run.
type Session struct {
	arc   *archive.Archive
	rep   *AccountReport
	mu    *sync.Mutex // guards rep and the whole Report
	opts  Options
	log   *slog.Logger
	boxes map[string]*MailboxReport
}

// Account returns the account name.
func (s *Session) Account() string { return s.rep.Account }

// Log returns the logger for this account.
func (s *Session) Log() *slog.Logger { return s.log }

// Now returns the current time.
func (s *Session) Now() time.Time { return s.opts.Now() }

// Backoff returns the retry policy.
func (s *Session) Backoff() Backoff { return s.opts.Backoff }

// Mailbox returns the report of one mailbox, creating it. Callers update
// its fields through Update.
func (s *Session) Mailbox(name string) *MailboxReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.boxes[name]; ok {
		return m
	}
	m := &MailboxReport{Mailbox: name}
	s.boxes[name] = m
	s.rep.Mailboxes = append(s.rep.Mailboxes, m)
	return m
}

// Update changes a mailbox report under the report's lock (the status
// page may read it during a run).
func (s *Session) Update(mailbox string, fn func(m *MailboxReport)) {
	m := s.Mailbox(mailbox)
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(m)
}

// Warn records a warning for the account and logs it.
func (s *Session) Warn(msg string) {
	s.log.Warn(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rep.Warnings = append(s.rep.Warnings, msg)
}

// State returns a mailbox's sync state.
func (s *Session) State(ctx context.Context, mailbox string) (SyncState, bool, error) {
	return s.arc.State(ctx, s.Account(), mailbox)
}

// Locations returns what the archive recorded of a mailbox.
func (s *Session) Locations(ctx context.Context, mailbox string) ([]Location, error) {
	return s.arc.MailboxLocations(ctx, s.Account(), mailbox)
}

// UIDCounts counts a mailbox's IMAP locations per UIDVALIDITY (see
// archive.MailboxUIDCounts): enough to see that nothing changed.
func (s *Session) UIDCounts(ctx context.Context, mailbox string) ([]UIDCount, error) {
	return s.arc.MailboxUIDCounts(ctx, s.Account(), mailbox)
}

// LiveMailboxes returns the account's mailboxes whose IMAP locations the
// server had at the last look (see archive.LiveMailboxes).
func (s *Session) LiveMailboxes(ctx context.Context) ([]string, error) {
	return s.arc.LiveMailboxes(ctx, s.Account())
}

// Has reports whether the archive holds a message.
func (s *Session) Has(ctx context.Context, id ID) (bool, error) { return s.arc.Has(ctx, id) }

// NewBatch starts a batch.
func (s *Session) NewBatch() *Batch { return s.arc.NewBatch() }

// Commit makes a batch durable, counts its new messages into the mailbox's
// report, and tells OnCommit. Only after it returns may a source advance
// anything on the server side (POP3 DELE).
func (s *Session) Commit(ctx context.Context, mailbox string, b *Batch) (Committed, error) {
	if b.Empty() {
		return Committed{}, nil
	}
	n, bytes := b.Len(), b.Bytes()
	res, err := b.Commit(ctx)
	if err != nil {
		return res, fmt.Errorf("store %s/%s: %w", s.Account(), mailbox, err)
	}
	s.Update(mailbox, func(m *MailboxReport) {
		m.New += len(res.New)
		m.Seen += n
		m.Bytes += bytes
	})
	s.log.Debug("committed batch", "mailbox", mailbox, "n", n, "new", len(res.New))
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(res)
	}
	return res, nil
}

// Progress reports a mailbox's transfer progress.
func (s *Session) Progress(mailbox string, msgs, totalMsgs int, bytes, totalBytes int64) {
	s.opts.Progress.Update(ProgressEvent{Account: s.Account(), Mailbox: mailbox, Msgs: msgs, TotalMsgs: totalMsgs, Bytes: bytes, TotalBytes: totalBytes})
}

// Run syncs every source into the archive and records the run. Accounts
// fail independently: one account's error is in its report and the others
// still run. The error is non-nil only when the run could not be recorded;
// use Report.OK to see whether everything was archived.
func Run(ctx context.Context, arc *archive.Archive, sources []Source, opts Options) (*Report, error) {
	if opts.Kind == "" {
		opts.Kind = "fetch"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Progress == nil {
		opts.Progress = noProgress{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Backoff.Attempts == 0 {
		opts.Backoff = DefaultBackoff()
	}
	if opts.Parallel < 1 {
		opts.Parallel = 2
	}
	rep := &Report{Kind: opts.Kind, Started: opts.Now()}
	runID, err := arc.StartRun(ctx, opts.Kind)
	if err != nil {
		return rep, err
	}
	var mu sync.Mutex
	g := new(errgroup.Group) // accounts never fail the group: errors go into reports
	g.SetLimit(opts.Parallel)
	for _, src := range sources {
		ar := &AccountReport{Account: src.Name(), Started: opts.Now()}
		rep.Accounts = append(rep.Accounts, ar)
		s := &Session{arc: arc, rep: ar, mu: &mu, opts: opts, boxes: map[string]*MailboxReport{},
			log: opts.Logger.With("account", src.Name())}
		g.Go(func() error {
			err := syncOne(ctx, src, s)
			mu.Lock()
			defer mu.Unlock()
			ar.Finished = opts.Now()
			sortMailboxes(ar.Mailboxes)
			if err != nil {
				ar.Error = err.Error()
				ar.Permanent = IsPermanent(err)
				s.log.Error("account failed", "err", err, "permanent", ar.Permanent)
			}
			return nil
		})
	}
	g.Wait()
	opts.Progress.Done()
	rep.Finished = opts.Now()
	t := rep.Totals()
	js, _ := json.Marshal(rep)
	ferr := arc.FinishRun(ctx, archive.Run{ID: runID, OK: rep.OK(), New: t.New, Failed: t.Failed + t.FailedAccounts,
		Summary: rep.Summary(), Report: string(js), Finished: rep.Finished})
	// The caller prints or logs the summary (the CLI on stdout, serve in
	// its scheduler's log line): here only for debugging.
	opts.Logger.Debug("run finished", "summary", rep.Summary())
	return rep, ferr
}

func syncOne(ctx context.Context, src Source, s *Session) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in %s: %v\n%s", src.Name(), r, debug.Stack())
		}
	}()
	err = src.Sync(ctx, s)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted; what was complete is archived: %w", err)
	}
	return err
}

// ParseReport reads a report stored with a run.
func ParseReport(js string) (*Report, error) {
	var r Report
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return nil, fmt.Errorf("read run report: %w", err)
	}
	return &r, nil
}
