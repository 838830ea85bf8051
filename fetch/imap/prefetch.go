package imap

import (
	"context"
	"runtime"
	"sync"

	"github.com/mailkeep/mailkeep/fetch"
)

// boxArchive is what the archive holds of one mailbox, as a sync starts
// from it: the sync state and, per UIDVALIDITY, how many locations it
// has and how many of those are live. That, with EXAMINE's answer, tells
// whether the mailbox changed; only a mailbox that may have changed has
// its locations (a row per message) read in full. The mailboxes are read
// ahead, in parallel, while the server answers EXAMINE.
type boxArchive struct {
	st     fetch.SyncState
	ok     bool // st was in the archive
	counts []fetch.UIDCount
	err    error
}

// readArchived reads a mailbox's state and location counts.
func readArchived(ctx context.Context, s *fetch.Session, name string) boxArchive {
	st, ok, err := s.State(ctx, name)
	if err != nil {
		return boxArchive{err: err}
	}
	counts, err := s.UIDCounts(ctx, name)
	if err != nil {
		return boxArchive{err: err}
	}
	return boxArchive{st: st, ok: ok, counts: counts}
}

// prefetcher reads the archived side of mailboxes ahead of their sync, in
// the order they are synced, holding at most slots of them at once: those
// being synced (one per connection) and those read ahead of them; there
// are more slots than connections. Nothing it reads changes
// meanwhile: the archive has one writer, this run, which writes a
// mailbox's rows only while syncing that mailbox, after taking what was
// read of it. Each connection attempt has its own prefetcher, started once
// the previous attempt has ended.
type prefetcher struct {
	s      *fetch.Session
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slots  chan struct{}
	boxes  map[string]*ahead
}

// ahead is one mailbox read ahead.
type ahead struct {
	name     string
	done     chan struct{} // closed once a (and slot) are set
	a        boxArchive
	slot     bool // the read took a slot, given back by release
	released bool
}

// startPrefetch starts reading the mailboxes in names, in that order.
func startPrefetch(ctx context.Context, s *fetch.Session, names []string, workers int) *prefetcher {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetcher{s: s, cancel: cancel, slots: make(chan struct{}, max(min(runtime.GOMAXPROCS(0), 4), workers)+1),
		boxes: make(map[string]*ahead, len(names))}
	var order []*ahead
	for _, name := range names {
		if p.boxes[name] == nil {
			p.boxes[name] = &ahead{name: name, done: make(chan struct{})}
			order = append(order, p.boxes[name])
		}
	}
	p.wg.Go(func() {
		for i, ah := range order {
			select {
			case p.slots <- struct{}{}:
			case <-ctx.Done():
				for _, ah := range order[i:] {
					ah.a = boxArchive{err: ctx.Err()}
					close(ah.done)
				}
				return
			}
			ah.slot = true
			p.wg.Go(func() {
				defer close(ah.done)
				ah.a = readArchived(ctx, s, ah.name)
			})
		}
	})
	return p
}

// get returns what was read of name, waiting for it. A mailbox that was
// not read ahead, or was released, is read now.
func (p *prefetcher) get(ctx context.Context, name string) boxArchive {
	ah := p.boxes[name]
	if ah == nil || ah.released {
		return readArchived(ctx, p.s, name)
	}
	select {
	case <-ah.done:
		return ah.a
	case <-ctx.Done():
		return boxArchive{err: ctx.Err()}
	}
}

// release says the sync of name is over, whether or not it used what was
// read: the result is dropped and its slot goes to the next mailbox. The
// mailboxes are released in the order they are read in, so by then a slot
// is free for this one, and waiting for its read ends.
func (p *prefetcher) release(name string) {
	ah := p.boxes[name]
	if ah == nil || ah.released {
		return
	}
	ah.released = true
	<-ah.done
	ah.a = boxArchive{}
	if ah.slot {
		<-p.slots
	}
}

// stop ends the reads still running and waits for them.
func (p *prefetcher) stop() {
	p.cancel()
	p.wg.Wait()
}
