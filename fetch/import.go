package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/mailkeep/mailkeep/internal/freelist"
	"github.com/mailkeep/mailkeep/mailfile"
)

// MessageReader yields messages of a Maildir or an mbox (mailfile's
// readers).
type MessageReader interface {
	Next() (*mailfile.Message, error)
	Close() error
}

// Import is a Source that archives the messages of a Maildir or mbox under
// an account name. Each message gets one location per mailbox (its
// Maildir folder, the mbox's mailbox name, or its Gmail labels) keyed by
// the file's own key, so importing the same files again adds nothing.
type Import struct {
	account string
	r       MessageReader
	// Rename maps a mailbox name read from the files to the one recorded;
	// nil keeps names as they are.
	Rename func(string) string
	// Limits of one round of staging and committing.
	BatchMessages int
	BatchBytes    int64
}

// NewImport returns an import of r's messages into account.
func NewImport(account string, r MessageReader) *Import {
	return &Import{account: account, r: r, BatchMessages: 2000, BatchBytes: 64 << 20}
}

// Name implements Source.
func (im *Import) Name() string { return im.account }

// commitQueue is how many staged rounds may wait for their commit.
const commitQueue = 2

// bufferLimit: messages up to this size are read into memory and hashed
// and compressed in parallel; larger ones stream straight into the archive.
const bufferLimit = 4 << 20

// maxKeptBody is the largest buffer an import keeps for the next message:
// one grown for a rare large message is left to the garbage collector.
const maxKeptBody = 1 << 20

// Sync implements Source: it reads the files in rounds, stages each
// round's messages on all cores, and commits each mailbox's batch.
func (im *Import) Sync(ctx context.Context, s *Session) error {
	defer im.r.Close()
	batches := map[string]*Batch{}
	var order []string
	batch := func(mailbox string) *Batch {
		b, ok := batches[mailbox]
		if !ok {
			b = s.NewBatch()
			batches[mailbox] = b
			order = append(order, mailbox)
		}
		return b
	}
	// Rounds commit in the background, one at a time and in order, while
	// the next rounds are read and staged: a commit waits on the disk
	// (syncfs) more than it computes, so staging goes on meanwhile. At
	// most commitQueue rounds wait for their commit.
	type round struct {
		batches map[string]*Batch
		order   []string
	}
	rounds := make(chan round, commitQueue)
	committed := make(chan struct{})
	var cmu sync.Mutex
	var cerr error // the first failed commit: later rounds are not committed
	commitErr := func() error {
		cmu.Lock()
		defer cmu.Unlock()
		return cerr
	}
	go func() {
		defer close(committed)
		for r := range rounds {
			if commitErr() != nil {
				continue
			}
			for _, mb := range r.order {
				if _, err := s.Commit(ctx, mb, r.batches[mb]); err != nil {
					cmu.Lock()
					cerr = err
					cmu.Unlock()
					break
				}
			}
		}
	}()
	closed := false
	wait := func() error {
		if !closed {
			closed = true
			close(rounds)
		}
		<-committed
		return commitErr()
	}
	defer wait()
	commitAsync := func() error {
		if err := commitErr(); err != nil {
			return err
		}
		if len(order) > 0 {
			if closed {
				return errors.New("import: messages staged after the last commit (a bug): not committed")
			}
			rounds <- round{batches, order}
		}
		batches, order = map[string]*Batch{}, nil
		return nil
	}
	commit := func() error {
		if err := commitAsync(); err != nil {
			return err
		}
		return wait()
	}
	// Messages are staged on all cores as they are read; a round ends
	// when its messages are staged, and its batches commit in the
	// background while the next round is read. At most NumCPU messages are
	// held in memory at a time.
	var g *errgroup.Group
	// Buffers of staged messages, one for each stager and the reader.
	free := freelist.New[*bytes.Buffer](runtime.NumCPU() + 1)
	keep := func(b *bytes.Buffer) {
		if b.Cap() <= maxKeptBody {
			free.Put(b)
		}
	}
	stage := func() error {
		if g == nil {
			return nil
		}
		err := g.Wait()
		g = nil
		return err
	}
	add := func(b *Batch, body *bytes.Buffer, locs []Location) {
		if g == nil {
			g = new(errgroup.Group)
			g.SetLimit(runtime.NumCPU())
		}
		g.Go(func() error {
			_, err := b.AddBytes(body.Bytes(), locs...)
			keep(body)
			return err
		})
	}
	// finish ends the import early and keeps what is complete.
	finish := func(err error) error {
		if serr := stage(); serr != nil {
			return errors.Join(err, serr)
		}
		return errors.Join(err, commit())
	}
	done, roundMsgs := 0, 0
	var doneBytes, roundBytes int64
	for {
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		m, err := im.r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return finish(err)
		}
		mailboxes := m.Labels
		if len(mailboxes) == 0 {
			mailboxes = []string{m.Mailbox}
		}
		var locs []Location
		for _, mb := range mailboxes {
			if im.Rename != nil {
				mb = im.Rename(mb)
			}
			locs = append(locs, Location{LocationKey: LocationKey{Account: im.account, Mailbox: mb, UIDL: m.Key},
				Flags: m.Flags, InternalDate: m.Date})
			s.Update(mb, func(r *MailboxReport) { r.OnServer++; r.Archived++ })
		}
		mailbox := locs[0].Mailbox
		b := batch(mailbox)
		body, ok := free.Get()
		if ok {
			body.Reset()
		} else {
			body = new(bytes.Buffer)
		}
		if m.Size > 0 {
			// Room for the file and some CRs added to its line ends.
			body.Grow(int(min(m.Size+m.Size/16, bufferLimit) + bytes.MinRead))
		}
		if _, err := body.ReadFrom(io.LimitReader(m.Body, bufferLimit+1)); err != nil {
			return finish(fmt.Errorf("read %s: %w", m.Key, err))
		}
		size := int64(body.Len())
		if size > bufferLimit {
			// Too big to buffer: stream it now, after the buffered ones.
			if err := stage(); err != nil {
				return err
			}
			ad, err := b.Add(io.MultiReader(body, m.Body), locs...)
			keep(body)
			if err != nil {
				return finish(fmt.Errorf("store %s: %w", m.Key, err))
			}
			size = ad.Size
		} else {
			add(b, body, locs)
			roundMsgs++
		}
		done++
		doneBytes += size
		roundBytes += size
		if roundMsgs >= im.BatchMessages || roundBytes >= im.BatchBytes {
			if err := stage(); err != nil {
				return err
			}
			if err := commitAsync(); err != nil {
				return err
			}
			s.Progress(mailbox, done, 0, doneBytes, 0)
			roundMsgs, roundBytes = 0, 0
		}
	}
	if err := stage(); err != nil {
		return err
	}
	return commit()
}
