package imap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/freelist"
)

// streamAbove is the size above which a message streams from the
// connection into the archive as it arrives. Smaller ones are read whole
// (once) and hashed, compressed and staged on other cores while the next
// one arrives.
const streamAbove = 1 << 20

// fetchBatch fetches the bodies of es into one batch and hands it to be
// committed, with the state advanced as far as it may go, while the next
// batch is fetched. Messages the server does not deliver are asked for
// once more one by one, then reported as failed. After a broken
// connection what was complete is committed before the error returns.
func (bs *boxSync) fetchBatch(ctx context.Context, es []entry, adv *advance) error {
	start := time.Now()
	b := bs.s.NewBatch()
	st := &stager{bs: bs, b: b, sem: make(chan struct{}, runtime.GOMAXPROCS(0)),
		free: freelist.New[[]byte](runtime.GOMAXPROCS(0) + 1), stored: map[uint32]bool{}}
	seen := map[uint32]bool{}
	_, err := bs.fetchBodies(st, es, seen)
	if err == nil {
		for _, e := range es {
			if seen[e.uid] {
				continue
			}
			var serr *goimap.Error
			serr, err = bs.fetchBodies(st, []entry{e}, seen)
			if err != nil {
				break
			}
			if !seen[e.uid] {
				why := "the server sent no data for it"
				if serr != nil {
					why = "the server said: " + cleanText(serr.Error())
				}
				bs.br.failed[e.uid] = why
				bs.s.Log().Warn("message not delivered by the server; retried next run", "mailbox", bs.name, "uid", e.uid, "reason", why)
			}
		}
	}
	if serr := st.wait(); serr != nil {
		b.Discard()
		return serr // the archive failed: nothing more to do
	}
	for uid := range st.stored {
		adv.mark(uid)
		delete(bs.br.failed, uid)
	}
	fetched := time.Now()
	// Commits go in order: this batch's state may only follow the
	// previous batch's.
	if werr := bs.waitCommit(); werr != nil {
		b.Discard()
		return werr
	}
	state := bs.st
	state.UIDValidity, state.LastUID, state.ModSeq = bs.uv, max(bs.st.LastUID, adv.lastUID()), bs.modseq
	b.SetState(state)
	bs.s.Log().Debug("batch", "mailbox", bs.name, "n", len(st.stored), "asked", len(es), "last_uid", state.LastUID,
		"fetch_dur", fetched.Sub(start).Round(time.Millisecond), "wait_dur", time.Since(fetched).Round(time.Millisecond))
	if err != nil {
		if cerr := bs.commitNow(ctx, b, state); cerr != nil {
			return cerr
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	bs.commitAsync(ctx, b, state)
	return nil
}

// inflight is a batch being committed.
type inflight struct {
	done chan error
	st   fetch.SyncState
}

// commitAsync commits b in the background; waitCommit waits for it.
func (bs *boxSync) commitAsync(ctx context.Context, b *fetch.Batch, st fetch.SyncState) {
	f := &inflight{done: make(chan error, 1), st: st}
	bs.wrote = true
	go func() {
		_, err := bs.s.Commit(ctx, bs.name, b)
		f.done <- err
	}()
	bs.inflight = f
}

// waitCommit waits for the batch being committed, if any, and takes its
// state as the committed one. The read deadline rests meanwhile: a
// commit may take longer than the network timeout.
func (bs *boxSync) waitCommit() error {
	f := bs.inflight
	if f == nil {
		return nil
	}
	bs.inflight = nil
	bs.cn.tc.pause()
	defer bs.cn.tc.resume()
	if err := <-f.done; err != nil {
		return fetch.Permanent(err)
	}
	bs.commits.Add(1)
	bs.st, bs.stored = f.st, true
	return nil
}

// commitNow commits b and waits.
func (bs *boxSync) commitNow(ctx context.Context, b *fetch.Batch, st fetch.SyncState) error {
	bs.commitAsync(ctx, b, st)
	return bs.waitCommit()
}

// fetchBodies streams the bodies of es into the stager (UID FETCH set
// (UID BODY.PEEK[])) and notes what arrived in seen. A NO from the
// server is returned as serr; err is a broken connection or a failed
// store.
func (bs *boxSync) fetchBodies(st *stager, es []entry, seen map[uint32]bool) (serr *goimap.Error, err error) {
	want := make(map[uint32]*entry, len(es))
	var set goimap.UIDSet
	for i := range es {
		set.AddNum(goimap.UID(es[i].uid))
		want[es[i].uid] = &es[i]
	}
	cmd := bs.cn.c.Fetch(set, &goimap.FetchOptions{UID: true, BodySection: []*goimap.FetchItemBodySection{{Peek: true}}})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		if err = bs.readBody(st, msg, want, seen); err != nil {
			break
		}
	}
	var lerr *literalError
	if errors.As(err, &lerr) {
		// go-imap lets its decoder go on once a literal failed, and
		// would read that literal again in Close, racing with it: the
		// connection is broken anyway, so drop it without touching the
		// command again.
		bs.cn.c.Close()
		return nil, fetch.ConnLost(lerr.err)
	}
	cerr := cmd.Close()
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		if errors.As(cerr, &serr) {
			return serr, nil
		}
		return nil, fetch.ConnLost(fmt.Errorf("fetch from %s: %w", bs.name, cerr))
	}
	return nil, nil
}

// readBody takes one message of a FETCH response.
func (bs *boxSync) readBody(st *stager, msg *imapclient.FetchMessageData, want map[uint32]*entry, seen map[uint32]bool) error {
	var uid uint32
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = uint32(it.UID)
		case imapclient.FetchItemDataBodySection:
			e := want[uid]
			if e == nil || seen[uid] || it.Literal == nil || len(it.Section.Part) > 0 || it.Section.Specifier != goimap.PartSpecifierNone {
				continue // the client discards it
			}
			loc := fetch.Location{LocationKey: bs.key(uid), Flags: e.flags, InternalDate: e.date, Size: e.size}
			if err := st.add(uid, it.Literal, loc); err != nil {
				return err
			}
			seen[uid] = true
		}
	}
	return nil
}

// stager adds messages to a batch, small ones on up to GOMAXPROCS
// goroutines at once.
type stager struct {
	bs   *boxSync
	b    *fetch.Batch
	sem  chan struct{}
	wg   sync.WaitGroup
	free freelist.List[[]byte] // buffers of stored messages, for the next ones

	mu     sync.Mutex
	stored map[uint32]bool // added to the batch
	err    error           // the first failure to store
}

// add reads one literal and stores it, or hands it to a goroutine that
// does. The error is a broken connection or an earlier failure to store.
func (st *stager) add(uid uint32, lit goimap.LiteralReader, loc fetch.Location) error {
	if err := st.failed(); err != nil {
		return err
	}
	size := lit.Size()
	if size > streamAbove {
		r := &exactReader{r: lit, want: size}
		if _, err := st.b.Add(r, loc); err != nil {
			if r.err != nil {
				return &literalError{fmt.Errorf("read UID %d of %s: %w", uid, st.bs.name, r.err)}
			}
			return fetch.Permanent(fmt.Errorf("store UID %d of %s: %w", uid, st.bs.name, err))
		}
		st.done(uid, size)
		return nil
	}
	buf := st.buf(size)
	if n, err := io.ReadFull(lit, buf); err != nil {
		return &literalError{fmt.Errorf("read UID %d of %s: connection ended %d bytes into a %d-byte message: %w", uid, st.bs.name, n, size, err)}
	}
	st.sem <- struct{}{}
	st.wg.Go(func() {
		defer func() { <-st.sem }()
		_, err := st.b.AddBytes(buf, loc)
		st.free.Put(buf)
		if err != nil {
			st.fail(fetch.Permanent(fmt.Errorf("store UID %d of %s: %w", uid, st.bs.name, err)))
			return
		}
		st.done(uid, size)
	})
	return nil
}

// buf returns a buffer of size bytes, reusing one a stored message freed:
// one for each staging goroutine and one being read into.
func (st *stager) buf(size int64) []byte {
	if b, ok := st.free.Get(); ok && int64(cap(b)) >= size {
		return b[:size]
	}
	return make([]byte, size)
}

func (st *stager) done(uid uint32, size int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stored[uid] = true
	p := &st.bs.prog
	p.msgs++
	p.bytes += size
	st.bs.s.Progress(st.bs.name, p.msgs, p.total, p.bytes, p.totalBytes)
}

func (st *stager) fail(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err == nil {
		st.err = err
	}
}

func (st *stager) failed() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.err
}

// wait waits for the goroutines and returns the first failure to store.
func (st *stager) wait() error {
	st.wg.Wait()
	return st.failed()
}

// literalError is a failure to read a message from the connection.
type literalError struct{ err error }

func (e *literalError) Error() string { return e.err.Error() }
func (e *literalError) Unwrap() error { return e.err }

// exactReader reads a literal and fails unless it gets every byte the
// literal announced: go-imap's literal reader ends with io.EOF when the
// connection does, which would store a truncated message.
type exactReader struct {
	r    io.Reader
	want int64
	n    int64
	err  error // the read error, if reading failed
}

func (e *exactReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	switch {
	case err == io.EOF && e.n != e.want:
		err = fmt.Errorf("connection ended %d bytes into a %d-byte message: %w", e.n, e.want, io.ErrUnexpectedEOF)
	case err == nil && e.n > e.want:
		err = fmt.Errorf("literal longer than announced")
	}
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
