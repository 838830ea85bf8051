package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/index"
)

var errorsAs = errors.As

func (a *app) detail(ctx context.Context, arc *archive.Archive, id archive.ID) (*index.Detail, error) {
	return index.LoadDetail(ctx, arc, id)
}

// printMessage prints a decoded message: headers, text, attachments.
func (a *app) printMessage(d *index.Detail) {
	w := a.stdout
	fmt.Fprintf(w, "ID:       %s\n", d.ID)
	fmt.Fprintf(w, "From:     %s\n", d.From)
	for _, t := range d.To {
		fmt.Fprintf(w, "To:       %s\n", t)
	}
	for _, c := range d.Cc {
		fmt.Fprintf(w, "Cc:       %s\n", c)
	}
	if d.Date != nil {
		fmt.Fprintf(w, "Date:     %s\n", d.Date.Local().Format("Mon, 2 Jan 2006 15:04 MST"))
	}
	fmt.Fprintf(w, "Subject:  %s\n", d.Subject)
	fmt.Fprintf(w, "Size:     %s\n", fetch.HumanBytes(d.Size))
	for _, l := range d.Locations {
		where := l.Account + "/" + l.Mailbox
		if l.GoneSince != nil {
			where += " (gone from server since " + l.GoneSince.Format("2006-01-02") + ")"
		}
		if l.Superseded {
			where += " (superseded)"
		}
		fmt.Fprintf(w, "Mailbox:  %s\n", where)
	}
	for _, p := range d.Problems {
		fmt.Fprintf(w, "Problem:  %s\n", p)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, d.Text)
	if len(d.Attachments) > 0 {
		fmt.Fprintln(w, "\nAttachments:")
		for _, at := range d.Attachments {
			name := at.Filename
			if name == "" {
				name = "(no name)"
			}
			fmt.Fprintf(w, "  %-4s %-40s %-28s %s\n", at.Path, name, at.ContentType, fetch.HumanBytes(at.Size))
		}
	}
	if d.HasHTML {
		fmt.Fprintln(w, "\n(This message has an HTML part: open it in the web UI to see it.)")
	}
}
