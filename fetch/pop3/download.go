package pop3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/mailkeep/mailkeep/fetch"
)

// Storing a message (hashing, compressing, writing a temporary file) costs
// more than receiving it, so the two overlap: a message of up to spoolMax
// bytes is received whole into memory and stored by one of a few workers
// while the next one arrives; a larger message streams from the
// connection into the archive, never held whole. spoolBudget bounds the
// memory of the messages in flight. And while a batch commits (fsync),
// the next one downloads.
const (
	spoolMax    = 1 << 20
	spoolBudget = 8 << 20
)

// pipeline is the workers that store received messages.
type pipeline struct {
	s    *session
	jobs chan job
	wg   sync.WaitGroup
	sem  *semaphore.Weighted // bytes of messages in flight
	bufs sync.Pool
}

// job is one received message to store.
type job struct {
	br   *batchRun
	m    *message
	buf  *bytes.Buffer
	locs []fetch.Location
}

// batchRun is one batch: downloaded, stored, then committed in the
// background while the next downloads.
type batchRun struct {
	b    *fetch.Batch
	msgs []*message
	jobs sync.WaitGroup // its messages being stored

	mu       sync.Mutex
	storeErr error // the first failed store

	done chan struct{} // closed when the commit ended
	err  error         // the commit's error
}

func (s *session) startPipeline() *pipeline {
	p := &pipeline{s: s, jobs: make(chan job), sem: semaphore.NewWeighted(spoolBudget)}
	for range max(runtime.GOMAXPROCS(0), 2) {
		p.wg.Go(func() {
			for j := range p.jobs {
				p.store(j)
			}
		})
	}
	return p
}

// stop ends the workers, once no job is pending.
func (p *pipeline) stop() {
	close(p.jobs)
	p.wg.Wait()
}

func (p *pipeline) buffer() *bytes.Buffer {
	if b, ok := p.bufs.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (p *pipeline) release(b *bytes.Buffer) {
	if b.Cap() <= 2*spoolMax {
		b.Reset()
		p.bufs.Put(b)
	}
}

// store adds a received message to its batch.
func (p *pipeline) store(j job) {
	defer j.br.jobs.Done()
	n := int64(j.buf.Len())
	added, err := j.br.b.AddBytes(j.buf.Bytes(), j.locs...)
	p.release(j.buf)
	p.sem.Release(n)
	if err != nil {
		j.br.mu.Lock()
		if j.br.storeErr == nil {
			j.br.storeErr = fmt.Errorf("store message %s: %w", p.s.key(j.m), err)
		}
		j.br.mu.Unlock()
		return
	}
	p.s.stored(j.br, j.m, added.ID)
}

// stored notes that m is in br's batch under id.
func (s *session) stored(br *batchRun, m *message, id fetch.ID) {
	if m.uidl == "" {
		br.b.AddLocation(id, fetch.Location{LocationKey: s.locKey(uidlPrefix + id.String()), Size: max(m.size, 0)})
	}
	m.id, m.stored = id, true
}

// download fetches todo in batches. Each batch is committed, and only
// then are its messages marked for deletion (when the account says so).
// After a broken connection or a cancellation what was complete is
// committed before the error returns.
func (s *session) download(ctx context.Context, todo []*message) (err error) {
	s.prog = progress{total: len(todo)}
	for _, m := range todo {
		s.prog.totalBytes += max(m.size, 0)
	}
	s.s.Progress(Mailbox, 0, s.prog.total, 0, s.prog.totalBytes)
	p := s.startPipeline()
	defer p.stop()
	var prev *batchRun // committing
	defer func() {
		if prev != nil { // an early return: the commit still counts
			err = errors.Join(err, s.awaitCommit(ctx, prev, false))
		}
	}()
	opts := s.src.opts
	for len(todo) > 0 {
		n, size := 0, int64(0)
		for n < len(todo) && n < opts.BatchMessages && (n == 0 || size+todo[n].size <= opts.BatchBytes) {
			size += max(todo[n].size, 0)
			n++
		}
		br, ferr := s.fetchBatch(ctx, p, todo[:n])
		if prev != nil {
			perr := s.awaitCommit(ctx, prev, ferr == nil)
			prev = nil
			if perr != nil {
				br.b.Discard()
				return perr
			}
		}
		s.startCommit(ctx, br)
		if ferr != nil {
			if cerr := s.awaitCommit(ctx, br, false); cerr != nil {
				return cerr
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return ferr
		}
		prev = br
		todo = todo[n:]
	}
	if last := prev; last != nil {
		prev = nil
		return s.awaitCommit(ctx, last, true)
	}
	return nil
}

// fetchBatch receives the messages of ms into a new batch and waits until
// they are stored. A message the server refuses (-ERR) is reported as
// failed and the others go on; err is a broken connection, a cancellation
// or a failed store, and the batch then holds what was complete.
func (s *session) fetchBatch(ctx context.Context, p *pipeline, ms []*message) (*batchRun, error) {
	br := &batchRun{b: s.s.NewBatch(), msgs: ms}
	nums := make([]int, len(ms))
	for i, m := range ms {
		nums[i] = m.num
	}
	s.c.RetrAhead(nums)
	var err error
	for _, m := range ms {
		if err = s.retr(ctx, p, br, m); err != nil {
			break
		}
	}
	br.jobs.Wait()
	if err == nil && br.storeErr != nil {
		err = fetch.Permanent(br.storeErr)
	}
	return br, err
}

// startCommit commits br's batch in the background.
func (s *session) startCommit(ctx context.Context, br *batchRun) {
	br.done = make(chan struct{})
	go func() {
		defer close(br.done)
		defer br.b.Discard()
		br.err = s.commit(ctx, br.b)
	}()
}

// awaitCommit waits for br's commit; then its messages are durable, and
// with dele, marked for deletion if the account says so.
func (s *session) awaitCommit(ctx context.Context, br *batchRun, dele bool) error {
	<-br.done
	if br.err != nil {
		return br.err
	}
	var got []*message
	for _, m := range br.msgs {
		if m.stored {
			got = append(got, m)
			s.durable[s.durableKey(m)] = true
			delete(s.failed, s.key(m))
			s.archived++
		}
	}
	s.s.Log().Debug("batch", "mailbox", Mailbox, "n", len(got), "asked", len(br.msgs))
	if dele && s.deletable(s.s.Now()) {
		for _, m := range got {
			if err := s.dele(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// durableKey names a committed message in run.durable.
func (s *session) durableKey(m *message) string {
	if m.uidl == "" || m.dup {
		return "id:" + m.id.String()
	}
	return m.uidl
}

// retr receives message m into br: whole into memory and handed to a
// worker when it is small, else streamed into the batch right here. A
// message the server refuses or that is over the size limit is left out
// and nil returned; an error is a broken connection, a cancellation or a
// failed store.
func (s *session) retr(ctx context.Context, p *pipeline, br *batchRun, m *message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rc, err := s.c.Retr(ctx, m.num)
	var se *ServerError
	if errors.As(err, &se) {
		why := "the server said: " + se.Text
		if se.Text == "" {
			why = "the server refused to send it"
		}
		s.failed[s.key(m)] = why
		s.s.Log().Warn("message not delivered by the server; retried next run", "mailbox", Mailbox, "uidl", s.key(m), "reason", why)
		return nil
	}
	if err != nil {
		return s.connErr(ctx, err)
	}
	if err := p.sem.Acquire(ctx, spoolMax); err != nil {
		return ctx.Err()
	}
	cr := &countReader{r: rc, limit: s.acct.MaxMessageSize}
	var locs []fetch.Location
	if m.uidl != "" {
		locs = append(locs, fetch.Location{LocationKey: s.locKey(m.uidl), Size: max(m.size, 0)})
	}
	buf := p.buffer()
	_, err = buf.ReadFrom(io.LimitReader(cr, spoolMax+1))
	if err == nil && buf.Len() <= spoolMax {
		// The whole message: a worker stores it.
		p.sem.Release(spoolMax - int64(buf.Len()))
		br.jobs.Add(1)
		p.jobs <- job{br: br, m: m, buf: buf, locs: locs}
	} else {
		var id fetch.ID
		if err == nil { // larger: the rest streams
			added, aerr := br.b.Add(io.MultiReader(bytes.NewReader(buf.Bytes()), cr), locs...)
			id, err = added.ID, aerr
		}
		p.release(buf)
		p.sem.Release(spoolMax)
		switch {
		case err == nil:
			s.stored(br, m, id)
		case cr.tooBig:
			if err := rc.Close(); err != nil { // read the rest: the session goes on
				return s.connErr(ctx, err)
			}
			s.skipped[s.key(m)] = fmt.Sprintf("larger than announced (%s), over the size limit of %s",
				fetch.HumanBytes(m.size), fetch.HumanBytes(cr.limit))
			return nil
		case cr.err != nil:
			return s.connErr(ctx, fmt.Errorf("read message %d: %w", m.num, cr.err))
		default:
			return fetch.Permanent(fmt.Errorf("store message %s: %w", s.key(m), err))
		}
	}
	s.prog.msgs++
	s.prog.bytes += cr.n
	s.s.Progress(Mailbox, s.prog.msgs, s.prog.total, s.prog.bytes, s.prog.totalBytes)
	s.s.Log().Debug("message", "mailbox", Mailbox, "uidl", s.key(m), "bytes", cr.n)
	return nil
}

// countReader counts what passes and stops at the size limit; it keeps the
// read error, to tell a broken connection from a failed store.
type countReader struct {
	r      io.Reader
	n      int64
	limit  int64 // 0: none
	tooBig bool
	err    error
}

var errTooBig = errors.New("message over the size limit")

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		c.tooBig = true
		return n, errTooBig
	}
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}
