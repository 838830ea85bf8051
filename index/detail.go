package index

import (
	"context"
	"fmt"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/message"
)

// Detail is everything known of one message: the catalog's facts and
// locations and the decoded message. Its JSON is what `show --json` prints
// and /api/message/{id} serves.
type Detail struct {
	ID          string           `json:"id"`
	Size        int64            `json:"size"`
	StoredSize  int64            `json:"stored_size"`
	Date        *time.Time       `json:"date"`
	MessageID   string           `json:"message_id"`
	From        string           `json:"from"`
	To          []string         `json:"to"`
	Cc          []string         `json:"cc"`
	Subject     string           `json:"subject"`
	InReplyTo   []string         `json:"in_reply_to"`
	References  []string         `json:"references"`
	ParseStatus string           `json:"parse_status"`
	Problems    []string         `json:"problems"`
	Added       time.Time        `json:"added"`
	Text        string           `json:"text"`
	HasHTML     bool             `json:"has_html"`
	Attachments []AttachmentInfo `json:"attachments"`
	Locations   []LocationInfo   `json:"locations"`

	// Message is the decoded message, for callers that need more (the
	// web UI's HTML view); not part of the JSON.
	Message *message.Message `json:"-"`
}

// AttachmentInfo describes one attachment.
type AttachmentInfo struct {
	Path        string `json:"path"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	ContentID   string `json:"content_id,omitempty"`
	Inline      bool   `json:"inline"`
}

// LocationInfo is where the message was found.
type LocationInfo struct {
	Account      string     `json:"account"`
	Mailbox      string     `json:"mailbox"`
	UIDValidity  uint32     `json:"uidvalidity,omitempty"`
	UID          uint32     `json:"uid,omitempty"`
	UIDL         string     `json:"uidl,omitempty"`
	Flags        []string   `json:"flags"`
	InternalDate *time.Time `json:"internal_date,omitempty"`
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	GoneSince    *time.Time `json:"gone_since,omitempty"`
	Superseded   bool       `json:"superseded,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// LoadDetail reads a message from the archive and decodes it.
func LoadDetail(ctx context.Context, arc *archive.Archive, id archive.ID) (*Detail, error) {
	in, err := arc.Info(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := arc.Open(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	m := message.Parse(r)
	if m == nil {
		return nil, fmt.Errorf("decode %s: no result", id.Short())
	}
	d := &Detail{
		ID: id.String(), Size: in.Size, StoredSize: in.StoredSize, Date: timePtr(in.Date), MessageID: in.MessageID,
		From: in.From, Subject: in.Subject, ParseStatus: in.ParseStatus, Added: in.Added.UTC(),
		InReplyTo: nonNil(m.InReplyTo), References: nonNil(m.References), Problems: nonNil(m.Problems),
		Text: m.Text, HasHTML: m.HTML != "", Message: m,
		To: addrs(m.To), Cc: addrs(m.Cc), Attachments: []AttachmentInfo{}, Locations: []LocationInfo{},
	}
	if len(m.From) > 0 {
		d.From = m.From[0].String()
	}
	if m.Subject != "" {
		d.Subject = m.Subject
	}
	if d.Date == nil {
		d.Date = timePtr(m.Date)
	}
	for _, a := range m.Attachments {
		d.Attachments = append(d.Attachments, AttachmentInfo{Path: a.Path, Filename: a.Filename, ContentType: a.ContentType,
			Size: a.Size, ContentID: a.ContentID, Inline: a.Inline})
	}
	for _, l := range in.Locations {
		d.Locations = append(d.Locations, LocationInfo{Account: l.Account, Mailbox: l.Mailbox, UIDValidity: l.UIDValidity,
			UID: l.UID, UIDL: l.UIDL, Flags: nonNil(l.Flags), InternalDate: timePtr(l.InternalDate),
			FirstSeen: l.FirstSeen.UTC(), LastSeen: l.LastSeen.UTC(), GoneSince: timePtr(l.GoneSince), Superseded: l.Superseded})
	}
	return d, nil
}

func addrs(as []message.Address) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
