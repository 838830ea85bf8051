package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sync/errgroup"

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

// bufferLimit: messages up to this size are read into memory and hashed
// and compressed in parallel; larger ones stream straight into the archive.
const bufferLimit = 4 << 20

type importJob struct {
	mailbox string
	body    []byte
	locs    []Location
}

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
	// A round's batches commit in the background while the next round is
	// read and staged; one commit at a time, in order.
	var pending chan error
	wait := func() error {
		if pending == nil {
			return nil
		}
		err := <-pending
		pending = nil
		return err
	}
	defer wait()
	commitAsync := func() error {
		if err := wait(); err != nil {
			return err
		}
		bs, ord := batches, order
		batches, order = map[string]*Batch{}, nil
		pending = make(chan error, 1)
		go func() {
			var err error
			for _, mb := range ord {
				if _, err = s.Commit(ctx, mb, bs[mb]); err != nil {
					break
				}
			}
			pending <- err
		}()
		return nil
	}
	commit := func() error {
		if err := commitAsync(); err != nil {
			return err
		}
		return wait()
	}
	var jobs []importJob
	var jobBytes int64
	stage := func() error {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(runtime.NumCPU())
		for _, j := range jobs {
			g.Go(func() error {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				_, err := batch(j.mailbox).Add(bytes.NewReader(j.body), j.locs...)
				return err
			})
		}
		err := g.Wait()
		jobs, jobBytes = jobs[:0], 0
		return err
	}
	done := 0
	var doneBytes, roundBytes int64
	for {
		if err := ctx.Err(); err != nil {
			// Keep what is complete.
			if serr := stage(); serr == nil {
				err = errors.Join(err, commit())
			}
			return err
		}
		m, err := im.r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if serr := stage(); serr != nil {
				return errors.Join(err, serr)
			}
			return errors.Join(err, commit())
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
		// Make sure every mailbox of this round has a batch before the
		// workers start (the map is not guarded).
		batch(mailbox)
		body, err := io.ReadAll(io.LimitReader(m.Body, bufferLimit+1))
		if err != nil {
			return fmt.Errorf("read %s: %w", m.Key, err)
		}
		size := int64(len(body))
		if len(body) > bufferLimit {
			// Too big to buffer: stream it now, after the buffered ones.
			if err := stage(); err != nil {
				return err
			}
			ad, err := batch(mailbox).Add(io.MultiReader(bytes.NewReader(body), m.Body), locs...)
			if err != nil {
				return fmt.Errorf("store %s: %w", m.Key, err)
			}
			size = ad.Size
		} else {
			jobs = append(jobs, importJob{mailbox: mailbox, body: body, locs: locs})
			jobBytes += size
		}
		done++
		doneBytes += size
		roundBytes += size
		if len(jobs) >= im.BatchMessages || jobBytes >= im.BatchBytes || roundBytes >= im.BatchBytes {
			if err := stage(); err != nil {
				return err
			}
			if err := commitAsync(); err != nil {
				return err
			}
			s.Progress(mailbox, done, 0, doneBytes, 0)
			roundBytes = 0
		}
	}
	if err := stage(); err != nil {
		return err
	}
	return commit()
}
