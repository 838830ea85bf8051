package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"golang.org/x/sync/errgroup"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/internal/zap"
	"github.com/mailkeep/mailkeep/message"
)

// How Update reads the catalog and how much one Bleve batch may hold.
const (
	pageSize      = 1000     // messages per ChangesAfter call
	countPageSize = 10000    // messages per call when counting
	maxBatchBytes = 16 << 20 // raw bytes of the messages in one batch
	// maxUnpersisted is how many batches may wait in memory to be written
	// out (each is an in-memory segment of up to BatchSize documents).
	maxUnpersisted = 3
	// indexWriters is how many batches Bleve is given at once.
	indexWriters = 2
)

// Update indexes every message whose catalog facts changed after the
// index's high-water mark: new messages, new locations, new flags. It is
// cheap when nothing changed. It returns how many messages it indexed.
//
// Messages are read and parsed by Options.Workers goroutines; two writers
// add them to Bleve in batches. The high-water mark (the catalog change
// sequence up to which everything is indexed) is written in a Bleve batch
// given after every batch of that sequence is in the index, so after a
// crash at any point the index and the catalog agree: at worst some
// messages are indexed again.
func (x *Index) Update(ctx context.Context, progress func(done, total int)) (int, error) {
	if x.opts.ReadOnly {
		return 0, ErrReadOnly
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	return x.update(ctx, progress)
}

// HighWater returns the catalog change sequence up to which the index is
// complete.
func (x *Index) HighWater() (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bi == nil {
		return 0, errClosed
	}
	return highWater(x.bi)
}

func highWater(bi bleve.Index) (int64, error) {
	v, err := bi.GetInternal(keyHWM)
	if err != nil {
		return 0, fmt.Errorf("read index high-water mark: %w", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read index high-water mark %q: %w", v, err)
	}
	return n, nil
}

// chunk is up to BatchSize consecutive messages of a page: one Bleve batch.
// last is set when the chunk completes a change sequence: the new
// high-water mark (messages come in sequence order).
type chunk struct {
	infos   []archive.Info
	docs    []*document.Document
	last    int64
	pending atomic.Int32  // documents still being built
	ready   chan struct{} // closed when pending reaches 0
}

func (c *chunk) finish() {
	if c.pending.Add(-1) == 0 {
		close(c.ready)
	}
}

type job struct {
	c *chunk
	i int
}

// update does Update's work; the caller holds writeMu.
func (x *Index) update(ctx context.Context, progress func(done, total int)) (int, error) {
	x.mu.RLock()
	bi := x.bi
	x.mu.RUnlock()
	if bi == nil {
		return 0, errClosed
	}
	hwm, err := highWater(bi)
	if err != nil {
		return 0, err
	}
	seq, err := x.arc.ChangeSeq(ctx)
	if err != nil {
		return 0, err
	}
	if seq <= hwm {
		return 0, nil
	}
	total, err := x.countChanges(ctx, hwm)
	if err != nil || total == 0 {
		return 0, err
	}
	if progress != nil {
		progress(0, total)
	}
	n, err := bi.DocCount()
	if err != nil {
		return 0, err
	}
	if total < bulkMin || uint64(total) <= n {
		return x.index(ctx, bi, hwm, total, progress)
	}
	defer lowerGCPercent()()
	if bi, err = x.reopen(true); err != nil {
		return 0, err
	}
	done, err := x.index(ctx, bi, hwm, total, progress)
	if err == nil && done > 0 {
		err = compact(ctx, bi)
	}
	if _, rerr := x.reopen(false); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return done, err
}

// index indexes the total messages changed after hwm into bi.
func (x *Index) index(ctx context.Context, bi bleve.Index, hwm int64, total int, progress func(done, total int)) (int, error) {
	g, gctx := errgroup.WithContext(ctx)
	chunks := make(chan *chunk, 2)
	jobs := make(chan job, 4*x.opts.Workers)

	// Producer: pages of the catalog, cut into chunks.
	g.Go(func() error {
		defer close(jobs)
		defer close(chunks)
		since := hwm
		for {
			infos, last, err := x.arc.ChangesAfter(gctx, since, pageSize)
			if err != nil {
				return err
			}
			if len(infos) == 0 {
				return nil
			}
			for len(infos) > 0 {
				n, bytes := 0, int64(0)
				for n < len(infos) && n < x.opts.BatchSize && (n == 0 || bytes+infos[n].Size <= maxBatchBytes) {
					bytes += infos[n].Size
					n++
				}
				c := &chunk{infos: infos[:n:n], docs: make([]*document.Document, n), ready: make(chan struct{})}
				infos = infos[n:]
				switch {
				case len(infos) == 0:
					c.last = last // the page ends with a complete sequence
				case infos[0].Changed != c.infos[n-1].Changed:
					c.last = c.infos[n-1].Changed // the chunk does
				}
				c.pending.Store(int32(n))
				select {
				case chunks <- c:
				case <-gctx.Done():
					return gctx.Err()
				}
				for i := range n {
					select {
					case jobs <- job{c, i}:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
			}
			since = last
		}
	})

	// Workers: read, parse, build documents.
	for range x.opts.Workers {
		g.Go(func() error {
			for j := range jobs {
				doc, err := x.buildOne(gctx, j.c.infos[j.i])
				if err != nil {
					return err
				}
				j.c.docs[j.i] = doc
				j.c.finish()
			}
			return nil
		})
	}

	// Writers: one Bleve batch per chunk, handed out in order to
	// indexWriters goroutines, since making a batch's segment is most of a
	// build's work and Bleve does it in the caller. Bleve takes unsafe
	// batches faster than it writes them out, holding them in memory; so
	// no batch is handed out before the one maxUnpersisted batches back is
	// on disk. The high-water mark goes into a batch handed out after every
	// batch up to that sequence is in the index (Bleve returned from it),
	// and into the final one.
	var (
		mu       sync.Mutex
		done     int     // documents in batches Bleve returned from
		marks    []int64 // each handed-out batch's chunk.last
		returned = map[int]bool{}
		prefix   int   // batches before this one all returned
		mark     = hwm // high-water mark of those
	)
	finished := func(seq, n int) {
		mu.Lock()
		defer mu.Unlock()
		returned[seq] = true
		for returned[prefix] {
			delete(returned, prefix)
			if marks[prefix] > 0 {
				mark = marks[prefix]
			}
			prefix++
		}
		done += n
		total = max(total, done) // messages archived since the count
		if progress != nil {
			progress(done, total)
		}
	}
	type work struct {
		seq int
		b   *bleve.Batch
		n   int
	}
	works := make(chan work)
	for range indexWriters {
		g.Go(func() error {
			for w := range works {
				if err := bi.Batch(w.b); err != nil {
					return fmt.Errorf("write index: %w", err)
				}
				finished(w.seq, w.n)
			}
			return nil
		})
	}
	batches := 0
	g.Go(func() error {
		defer close(works)
		var persisted []chan error
		written := hwm
		for c := range chunks {
			if len(persisted) >= maxUnpersisted {
				select {
				case err := <-persisted[0]:
					if err != nil {
						return fmt.Errorf("write index: %w", err)
					}
				case <-gctx.Done():
					return gctx.Err()
				}
				persisted = persisted[1:]
			}
			select {
			case <-c.ready:
			case <-gctx.Done():
				return gctx.Err()
			}
			b := bi.NewBatch()
			for _, d := range c.docs {
				if err := b.IndexAdvanced(d); err != nil {
					return fmt.Errorf("index %s: %w", d.ID(), err)
				}
			}
			mu.Lock()
			marks = append(marks, c.last)
			m := mark
			mu.Unlock()
			if m > written {
				b.SetInternal(keyHWM, []byte(strconv.FormatInt(m, 10)))
				written = m
			}
			ch := make(chan error, 1)
			b.SetPersistedCallback(func(err error) { ch <- err })
			persisted = append(persisted, ch)
			select {
			case works <- work{batches, b, len(c.docs)}:
			case <-gctx.Done():
				return gctx.Err()
			}
			batches++
			if batches%releaseEvery == 0 {
				releasePages(bi)
			}
			if x.stopAfter > 0 && batches >= x.stopAfter {
				return errStopped
			}
		}
		return nil
	})
	err := g.Wait()
	if errors.Is(err, errStopped) {
		err = nil
	}
	if err == nil && batches > 0 {
		err = persist(ctx, bi, mark)
	}
	return done, err
}

// Merging. Each persisted batch is a segment file (with the batches
// persisted at the same time); scorch's merger joins them in the
// background, in tiers of up to MaxSegmentsPerTier segments of about the
// same size, counting a segment of fewer than FloorSegmentSize documents
// as that size. Bleve's default floor, 2,000, makes every new batch of an
// index under 20,000 messages merge with most of the index again: while a
// 2,000 message archive was indexed, each message was rewritten about 4
// times, and merging took a third of the CPU. With a floor of two batches,
// small segments merge with their like.
//
// A bulk Update (one that indexes at least bulkMin messages, and more than
// the index holds: a first build, a reindex, a large import) merges almost
// nothing while it runs (searches meanwhile see up to a few hundred
// segments) and ends by merging everything into one segment: each message
// is written twice, not once per tier, and one segment is the smallest on
// disk (each segment repeats the dictionary of its terms) and the fastest
// to search.
const (
	floorSegment = 300  // documents: two default batches (Options.BatchSize)
	bulkMin      = 1000 // documents
)

// mergePlan is the scorch merge plan for bulk Updates or everyday ones.
func mergePlan(bulk bool) map[string]any {
	p := map[string]any{"FloorSegmentSize": floorSegment}
	if bulk {
		// 100 segments per tier: 30,000 messages in segments of about
		// 1,000 before anything merges, 330,000 before the second tier.
		p["MaxSegmentsPerTier"] = 100
	}
	return p
}

// releaseEvery is how many batches an index build writes between calls of
// releasePages.
const releaseEvery = 8

// releasePages releases the resident pages of the index's segment files.
// Scorch reads them through file mappings (to merge them, and to look up
// each batch's IDs), and every page it has read would otherwise count in
// the process's memory until the segment is merged away: during a build,
// hundreds of megabytes of page cache that look like mailkeep's own. The
// pages stay in the kernel's page cache; one read again comes back from it.
func releasePages(bi bleve.Index) {
	ai, err := bi.Advanced()
	if err != nil {
		return
	}
	r, err := ai.Reader()
	if err != nil {
		return
	}
	defer r.Close() // holds the segments open while their pages go
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		for _, s := range snap.Segments() {
			zap.ReleasePages(s.Segment())
		}
	}
}

// compact merges the whole index into one segment and writes that out.
func compact(ctx context.Context, bi bleve.Index) error {
	ai, err := bi.Advanced()
	if err != nil {
		return fmt.Errorf("merge index: %w", err)
	}
	s, ok := ai.(*scorch.Scorch)
	if !ok {
		return nil
	}
	opts := mergeplan.SingleSegmentMergePlanOptions
	opts.SegmentsPerMergeTask = 1 << 20 // one task: one segment
	if err := s.ForceMerge(ctx, &opts); err != nil {
		return fmt.Errorf("merge index: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	mark, err := highWater(bi)
	if err != nil {
		return err
	}
	if err := persist(ctx, bi, mark); err != nil { // records the merged segment
		return err
	}
	waitCleanup(ctx, s)
	return nil
}

// waitCleanup waits, a few seconds at most, until scorch has deleted the
// segment files a merge replaced. It does so in the background once the
// merged segment is recorded; an index closed before that (a reindex that
// exits, say) would keep them on disk, twice its size, until it is next
// open long enough.
func waitCleanup(ctx context.Context, s *scorch.Scorch) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for range 200 {
		st := s.StatsMap()
		files, _ := st["CurOnDiskFiles"].(uint64)
		segs, _ := st["TotFileSegmentsAtRoot"].(uint64)
		if files <= segs+1 { // the segments and root.bolt
			return
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// reopen closes the Bleve index and opens it again with the merge plan of
// a bulk Update or of everyday ones. The caller holds writeMu.
func (x *Index) reopen(bulk bool) (bleve.Index, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bi == nil {
		return nil, errClosed
	}
	err := x.bi.Close()
	x.bi = nil
	if err != nil {
		return nil, fmt.Errorf("close index: %w", err)
	}
	bi, err := bleve.OpenUsing(x.dir, x.bleveConfig(bulk))
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", x.dir, err)
	}
	x.bi = bi
	return bi, nil
}

// persist waits until everything batched so far is on disk. Batches are
// "unsafe" (Bleve returns before writing them out, see bleveConfig), so
// the work is written and synced once per Update, not once per batch; the
// index on disk is always a consistent snapshot, so a crash only loses the
// batches since, high-water mark included.
func persist(ctx context.Context, bi bleve.Index, mark int64) error {
	b := bi.NewBatch()
	b.SetInternal(keyHWM, []byte(strconv.FormatInt(mark, 10)))
	return writeSync(ctx, bi, b)
}

// writeSync applies b and waits until it is on disk.
func writeSync(ctx context.Context, bi bleve.Index, b *bleve.Batch) error {
	ch := make(chan error, 1)
	b.SetPersistedCallback(func(err error) { ch <- err })
	if err := bi.Batch(b); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	select {
	case err := <-ch:
		if err != nil {
			return fmt.Errorf("write index: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errStopped ends an Update early (the stopAfter test seam).
var errStopped = errors.New("stopped")

// countChanges counts the messages changed after since.
func (x *Index) countChanges(ctx context.Context, since int64) (int, error) {
	n := 0
	for {
		infos, last, err := x.arc.ChangesAfter(ctx, since, countPageSize)
		if err != nil {
			return 0, err
		}
		if len(infos) == 0 {
			return n, nil
		}
		n += len(infos)
		since = last
	}
}

// buildOne reads one message and makes its document. A message whose
// object cannot be read is indexed by its catalog facts and logged; only a
// catalog error stops the update.
func (x *Index) buildOne(ctx context.Context, info archive.Info) (*document.Document, error) {
	locs, err := x.arc.Locations(ctx, info.ID)
	if err != nil {
		return nil, err
	}
	f := &facts{info: info, locs: locs}
	if f.msg, err = x.parseObject(info.ID, 0); err != nil {
		x.log.Warn("index: read message", "id", info.ID.String(), "err", err)
	}
	return buildDoc(f, x.an), nil
}

// parseObject parses a message as it streams from its object (a 50 MB
// message is never in memory whole), its first limit bytes when limit is
// not 0 (unverified then: the object's hash needs all of it). err is a
// failure to open or read the object; the message is then what could be
// parsed, or nil.
func (x *Index) parseObject(id archive.ID, limit int64) (*message.Message, error) {
	rc, err := x.arc.Open(id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var r io.Reader = rc
	if limit > 0 {
		r = io.LimitReader(rc, limit)
	}
	er := &errReader{r: r}
	m := x.parse(id, er)
	return m, er.err
}

// errReader keeps the first read error other than io.EOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// parse parses a message, logging rather than failing if the parser panics.
func (x *Index) parse(id archive.ID, r io.Reader) (m *message.Message) {
	defer func() {
		if v := recover(); v != nil {
			x.log.Error("index: message parser panicked", "id", id.String(), "panic", v)
			m = nil
		}
	}()
	return message.Parse(r)
}
