package mailfile

import (
	"io"
	"time"
)

// Message is one message read from a Maildir or an mbox.
type Message struct {
	// Mailbox is the mailbox the message is in, with "/" as the hierarchy
	// separator and "INBOX" for the inbox.
	Mailbox string
	// Labels, when not empty, lists the mailboxes the message is filed in
	// instead of Mailbox: a Google Takeout mbox has one message per
	// conversation copy and names its Gmail labels in X-Gmail-Labels. An
	// importer records one location per label.
	Labels []string
	// Key identifies the message within its source so that a re-import can
	// recognise it: the Maildir file name without the info suffix, or
	// "mbox:N" for the Nth message of an mbox.
	Key string
	// Flags are IMAP flags (\Seen, \Answered, \Flagged, \Deleted, \Draft)
	// and keywords ($Forwarded, $Important, …).
	Flags []string
	// Date is the delivery time (IMAP INTERNALDATE), zero if unknown.
	Date time.Time
	// Size is the size of the file the message is read from, before any
	// line-ending conversion: a hint for buffers, 0 when unknown (mbox).
	Size int64
	// Body streams the message. It is valid until the next call to Next or
	// Close of the reader that returned it.
	Body io.Reader
}

// IMAP flags used by this package.
const (
	FlagSeen      = `\Seen`
	FlagAnswered  = `\Answered`
	FlagFlagged   = `\Flagged`
	FlagDeleted   = `\Deleted`
	FlagDraft     = `\Draft`
	FlagForwarded = `$Forwarded`
	FlagImportant = `$Important`
)

// flagSet collects flags in order without duplicates.
type flagSet []string

func (f *flagSet) add(flag string) {
	for _, g := range *f {
		if g == flag {
			return
		}
	}
	*f = append(*f, flag)
}
