package imap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"golang.org/x/sync/errgroup"

	"github.com/mailkeep/mailkeep/fetch"
)

// Options tune a Source. The zero value is fine.
type Options struct {
	// BatchMessages and BatchBytes bound one group commit: at most this
	// many messages, and this many bytes unless a single message is
	// larger (defaults 500 and 32 MB). State advances once per batch.
	BatchMessages int
	BatchBytes    int64
}

// Source archives one IMAP account. It implements fetch.Source.
type Source struct {
	acct fetch.Account
	opts Options
}

// New returns the source of an IMAP account.
func New(acct fetch.Account, opts Options) *Source {
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

// Sync implements fetch.Source: it archives every selected mailbox. A
// broken connection is retried with the session's backoff and the run
// resumes where it stopped; as long as each attempt makes progress
// (commits a batch), the attempts start counting again.
func (s *Source) Sync(ctx context.Context, ss *fetch.Session) error {
	r := &run{src: s, acct: s.acct.PasswordOnce(), s: ss, boxes: map[string]*boxRun{}}
	for {
		before := r.commits.Load()
		err := ss.Backoff().Retry(ctx, r.attempt, func(attempt int, err error, wait time.Duration) {
			ss.Log().Warn("IMAP connection failed, retrying", "attempt", attempt, "err", err, "wait", wait.Round(time.Millisecond))
		})
		if err == nil {
			return nil
		}
		if fetch.IsPermanent(err) || ctx.Err() != nil || r.commits.Load() == before {
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			return err
		}
		ss.Log().Info("IMAP connection keeps failing but the run advances; going on", "err", err)
	}
}

// run is one Sync: what survives from one connection attempt to the next.
type run struct {
	src     *Source
	acct    fetch.Account // src's, its password read once
	s       *fetch.Session
	listed  []mailbox // nil until LIST succeeded
	done    map[string]bool
	boxes   map[string]*boxRun
	commits atomic.Int64 // batches committed, to tell progress from a failure loop
	mu      sync.Mutex   // guards done and boxes while connections run
	busy    func()       // a mailbox has messages to fetch: open the other connections
}

// mailbox is one LIST entry.
type mailbox struct {
	name  string // UTF-8, the server's delimiter
	delim rune
}

// attempt connects and syncs every mailbox not done yet, over up to
// Account.Connections connections at once, each taking the next mailbox
// in turn. The first connection lists the mailboxes; the others are only
// opened once a mailbox turns out to have messages to fetch, so that a
// run without news costs one login. A further connection that cannot be
// opened (a server limiting connections per user) only leaves the work to
// the others. A connection that breaks stops taking mailboxes, and its
// error ends the attempt once the others have finished theirs: the next
// attempt resumes what is not done.
func (r *run) attempt(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cn, err := dial(ctx, r.acct)
	if err != nil {
		return err
	}
	defer cn.close()
	r.s.Log().Debug("connected", "addr", cn.addr, "security", r.acct.Security, "condstore", cn.condstore)
	if r.listed == nil {
		boxes, err := listMailboxes(cn)
		if err != nil {
			return r.connErr(ctx, err)
		}
		if err := r.markVanished(ctx, boxes); err != nil {
			return err
		}
		r.listed, r.done = r.filter(boxes), map[string]bool{}
	}
	var todo []string
	for _, mb := range r.listed {
		if !r.done[mb.name] {
			todo = append(todo, mb.name)
		}
	}
	conns := r.acct.Connections
	if conns == 0 {
		conns = 2
	}
	conns = max(1, min(conns, len(todo)))
	pre := startPrefetch(ctx, r.s, todo, conns)
	defer pre.stop()
	queue := make(chan string, len(todo))
	for _, name := range todo {
		queue <- name
	}
	close(queue)
	more, first := make(chan struct{}), make(chan struct{})
	r.busy = sync.OnceFunc(func() { close(more) })
	var g errgroup.Group
	g.Go(func() error {
		defer close(first)
		return r.work(ctx, cn, queue, pre)
	})
	for range conns - 1 {
		g.Go(func() error {
			select {
			case <-more:
			case <-first: // the first connection did it all
				return nil
			}
			if len(queue) == 0 {
				return nil
			}
			extra, err := dial(ctx, r.acct)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.s.Log().Info("a further IMAP connection failed; going on with fewer", "err", err)
				return nil
			}
			defer extra.close()
			return r.work(ctx, extra, queue, pre)
		})
	}
	return g.Wait()
}

// work syncs the mailboxes it takes from queue over cn, until the queue is
// empty or cn fails.
func (r *run) work(ctx context.Context, cn *conn, queue <-chan string, pre *prefetcher) error {
	for name := range queue {
		err := r.syncMailbox(ctx, cn, name, pre)
		pre.release(name)
		var ierr *goimap.Error
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &ierr) && !fetch.IsPermanent(err):
			// The server refused something for this mailbox only (it
			// vanished, or cannot be read): the others go on.
			r.s.Warn(fmt.Sprintf("mailbox %s not archived: %v", name, err))
		default:
			return r.connErr(ctx, err)
		}
		r.mu.Lock()
		r.done[name] = true
		r.mu.Unlock()
	}
	return nil
}

// connErr returns ctx's error when the run was cancelled (the connection
// was closed for that reason), else err.
func (r *run) connErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// listMailboxes returns every selectable mailbox, INBOX first.
func listMailboxes(cn *conn) ([]mailbox, error) {
	cmd := cn.c.List("", "*", nil)
	var out []mailbox
	for d := cmd.Next(); d != nil; d = cmd.Next() {
		if slices.ContainsFunc(d.Attrs, func(a goimap.MailboxAttr) bool {
			return strings.EqualFold(string(a), string(goimap.MailboxAttrNoSelect)) ||
				strings.EqualFold(string(a), string(goimap.MailboxAttrNonExistent))
		}) {
			continue
		}
		out = append(out, mailbox{name: d.Mailbox, delim: d.Delim})
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("LIST: %w", err)
	}
	slices.SortFunc(out, func(a, b mailbox) int {
		if (a.name == "INBOX") != (b.name == "INBOX") {
			if a.name == "INBOX" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	out = slices.CompactFunc(out, func(a, b mailbox) bool { return a.name == b.name })
	return out, nil
}

// filter applies the account's include and exclude patterns.
func (r *run) filter(boxes []mailbox) []mailbox {
	a := r.src.acct
	out := []mailbox{}
	for _, mb := range boxes {
		if selected(mb.name, mb.delim, a.Include, a.Exclude) {
			out = append(out, mb)
		} else {
			r.s.Log().Debug("mailbox left out by include/exclude", "mailbox", mb.name)
		}
	}
	return out
}
