// Package export writes archived messages out as an mbox file or a Maildir
// tree, byte for byte as they were archived, so that a user can take their
// mail elsewhere and so that importing an export gives back the same ids.
package export

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/mailfile"
)

// Format is an export format.
type Format string

const (
	Mbox    Format = "mbox"    // one mboxrd file; CRLF kept as archived
	Maildir Format = "maildir" // a Maildir++ tree, one file per message, in the mailbox of its first location
)

// Result counts what was written.
type Result struct {
	Messages int
	Bytes    int64
}

// Write exports the messages ids (in that order) to out. For Mbox, out is
// a file that is created (it must not exist); for Maildir, a directory
// that is created when missing. progress, if not nil, hears each message.
func Write(ctx context.Context, arc *archive.Archive, ids []archive.ID, format Format, out string, progress func(done, total int)) (res Result, err error) {
	switch format {
	case Mbox:
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return res, fmt.Errorf("export: %w", err)
		}
		defer func() {
			if serr := f.Sync(); err == nil {
				err = serr
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		w := mailfile.NewMboxWriter(f)
		return each(ctx, arc, ids, progress, func(in archive.Info, body io.Reader) error {
			return w.Write(envelope(in.From), in.Date, body)
		})
	case Maildir:
		w := mailfile.NewMaildirWriter(out)
		return each(ctx, arc, ids, progress, func(in archive.Info, body io.Reader) error {
			mailbox, flags := "INBOX", []string(nil)
			for _, l := range in.Locations {
				if !l.Superseded {
					mailbox, flags = l.Mailbox, l.Flags
					break
				}
			}
			_, err := w.Write(mailbox, flags, in.Date, body)
			return err
		})
	default:
		return res, fmt.Errorf("export format %q: want mbox or maildir", format)
	}
}

func each(ctx context.Context, arc *archive.Archive, ids []archive.ID, progress func(int, int), write func(archive.Info, io.Reader) error) (Result, error) {
	var res Result
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		in, err := arc.Info(ctx, id)
		if err != nil {
			return res, fmt.Errorf("export %s: %w", id.Short(), err)
		}
		r, err := arc.Open(id)
		if err != nil {
			return res, fmt.Errorf("export %s: %w", id.Short(), err)
		}
		err = write(in, r)
		r.Close()
		if err != nil {
			return res, fmt.Errorf("export %s: %w", id.Short(), err)
		}
		res.Messages++
		res.Bytes += in.Size
		if progress != nil {
			progress(i+1, len(ids))
		}
	}
	return res, nil
}

// envelope picks the address for an mbox From_ line.
func envelope(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		return a.Address
	}
	return "MAILER-DAEMON"
}

// All lists every archived message, oldest first by Date.
func All(ctx context.Context, arc *archive.Archive) ([]archive.ID, error) {
	var ids []archive.ID
	err := arc.Each(ctx, func(in archive.Info) error { ids = append(ids, in.ID); return nil })
	return ids, err
}
