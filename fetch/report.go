package fetch

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Report is what one run did, per account and mailbox. It is stored as
// JSON with the run in the archive and shown on the status page.
type Report struct {
	Kind     string           `json:"kind"`
	Started  time.Time        `json:"started"`
	Finished time.Time        `json:"finished"`
	Accounts []*AccountReport `json:"accounts"`
}

// AccountReport is one account's part of a run.
type AccountReport struct {
	Account   string           `json:"account"`
	Error     string           `json:"error,omitempty"` // the account as a whole failed
	Permanent bool             `json:"permanent,omitempty"`
	Warnings  []string         `json:"warnings,omitempty"`
	Mailboxes []*MailboxReport `json:"mailboxes"`
	Started   time.Time        `json:"started"`
	Finished  time.Time        `json:"finished"`
}

// MailboxReport is the completeness report of one mailbox.
type MailboxReport struct {
	Mailbox            string    `json:"mailbox"`
	OnServer           int       `json:"on_server"`           // messages the server has now
	Archived           int       `json:"archived"`            // of those, archived (before or in this run)
	New                int       `json:"new"`                 // stored for the first time in this run
	Seen               int       `json:"seen"`                // fetched in this run (new or already in the archive)
	Bytes              int64     `json:"bytes"`               // raw bytes fetched in this run
	Gone               int       `json:"gone"`                // newly marked gone from the server
	FlagsChanged       int       `json:"flags_changed"`       // locations whose flags were updated
	Deleted            int       `json:"deleted"`             // deleted from the server (POP3, when asked)
	UIDValidityChanged bool      `json:"uidvalidity_changed"` // the server renumbered the mailbox
	Skipped            []Failure `json:"skipped,omitempty"`   // left out on purpose (size limit)
	Failed             []Failure `json:"failed,omitempty"`    // could not be archived; retried next run
}

// Failure names one message that was not archived, and why.
type Failure struct {
	UID    uint32 `json:"uid,omitempty"`
	UIDL   string `json:"uidl,omitempty"`
	Reason string `json:"reason"`
}

func (f Failure) String() string {
	if f.UIDL != "" {
		return fmt.Sprintf("UIDL %s: %s", f.UIDL, f.Reason)
	}
	return fmt.Sprintf("UID %d: %s", f.UID, f.Reason)
}

// Totals adds up a report.
type Totals struct {
	Accounts, FailedAccounts    int
	Mailboxes                   int
	OnServer, Archived, New     int
	Seen, Failed, Skipped, Gone int
	Deleted, UIDValidityChanges int
	Bytes                       int64
}

// Totals adds up the report.
func (r *Report) Totals() Totals {
	var t Totals
	for _, a := range r.Accounts {
		t.Accounts++
		if a.Error != "" {
			t.FailedAccounts++
		}
		for _, m := range a.Mailboxes {
			t.Mailboxes++
			t.OnServer += m.OnServer
			t.Archived += m.Archived
			t.New += m.New
			t.Seen += m.Seen
			t.Bytes += m.Bytes
			t.Failed += len(m.Failed)
			t.Skipped += len(m.Skipped)
			t.Gone += m.Gone
			t.Deleted += m.Deleted
			if m.UIDValidityChanged {
				t.UIDValidityChanges++
			}
		}
	}
	return t
}

// OK reports whether every account ran and every message was archived
// (skipped messages, over the size limit, do not count as failures).
func (r *Report) OK() bool {
	t := r.Totals()
	return t.FailedAccounts == 0 && t.Failed == 0
}

// Summary is one line, fit for cron mail.
func (r *Report) Summary() string {
	t := r.Totals()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d account%s, %d mailbox%s, %d new (%s)", r.Kind, t.Accounts, plural(t.Accounts, "", "s"),
		t.Mailboxes, plural(t.Mailboxes, "", "es"), t.New, HumanBytes(t.Bytes))
	if t.Seen > t.New {
		fmt.Fprintf(&b, ", %d already archived", t.Seen-t.New)
	}
	if t.Gone > 0 {
		fmt.Fprintf(&b, ", %d gone from server", t.Gone)
	}
	if t.Deleted > 0 {
		fmt.Fprintf(&b, ", %d deleted from server", t.Deleted)
	}
	if t.UIDValidityChanges > 0 {
		fmt.Fprintf(&b, ", %d UIDVALIDITY change%s", t.UIDValidityChanges, plural(t.UIDValidityChanges, "", "s"))
	}
	if t.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped", t.Skipped)
	}
	if t.Failed > 0 || t.FailedAccounts > 0 {
		fmt.Fprintf(&b, ", FAILED: %d message%s, %d account%s", t.Failed, plural(t.Failed, "", "s"), t.FailedAccounts, plural(t.FailedAccounts, "", "s"))
	}
	if !r.Finished.IsZero() {
		fmt.Fprintf(&b, " in %s", r.Finished.Sub(r.Started).Round(time.Millisecond))
	}
	return b.String()
}

// Details lists what went wrong, one line each, for the end of a run.
func (r *Report) Details() []string {
	var out []string
	for _, a := range r.Accounts {
		if a.Error != "" {
			out = append(out, fmt.Sprintf("%s: %s", a.Account, a.Error))
		}
		for _, w := range a.Warnings {
			out = append(out, fmt.Sprintf("%s: warning: %s", a.Account, w))
		}
		for _, m := range a.Mailboxes {
			if m.UIDValidityChanged {
				out = append(out, fmt.Sprintf("%s/%s: UIDVALIDITY changed; mailbox re-listed, nothing archived was lost", a.Account, m.Mailbox))
			}
			for _, f := range m.Failed {
				out = append(out, fmt.Sprintf("%s/%s: failed %s (retried next run)", a.Account, m.Mailbox, f))
			}
			for _, f := range m.Skipped {
				out = append(out, fmt.Sprintf("%s/%s: skipped %s", a.Account, m.Mailbox, f))
			}
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// HumanBytes formats a size as 1.2 MB.
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

func sortMailboxes(ms []*MailboxReport) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].Mailbox < ms[j].Mailbox })
}
