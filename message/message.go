// Package message turns the raw bytes of an RFC 5322 message into a decoded
// view for the index and the web UI: headers with RFC 2047 words and 8-bit
// bytes decoded, addresses, a lenient date, the searchable text of every
// text part (HTML converted to text, nested messages included), the first
// HTML body for display, and the list of attachments with IMAP-style part
// paths that Part can extract later. SanitizeHTML makes that HTML safe to
// show.
//
// Parsing never fails and never panics: whatever cannot be decoded is
// recorded in Message.Problems and the rest is kept. The body is streamed
// once, line by line, with the limits below, so a 50 MB message costs a few
// MiB: attachments are transfer-decoded only to count their size, and only
// text parts are held, up to MaxTextBytes and MaxHTMLBytes.
package message

import (
	"strings"
	"time"
)

// Hard limits. A message that hits one is still parsed as far as the limit
// allows; Message.Truncated is set and a problem names the limit.
const (
	// MaxDepth is how deeply multiparts and enclosed messages may nest.
	// Deeper entities are kept as opaque bytes, not descended into.
	MaxDepth = 20
	// MaxParts is how many MIME entities (containers and leaves) a message
	// may have; parsing stops at the next one.
	MaxParts = 500
	// MaxTextBytes bounds Message.Text, the searchable text (UTF-8).
	MaxTextBytes = 1 << 20
	// MaxHTMLBytes bounds the transfer-decoded bytes of one text/html part
	// that are read, and so Message.HTML.
	MaxHTMLBytes = 4 << 20
	// MaxHeaderBytes bounds one header block (top-level or part); fields
	// beyond it are skipped.
	MaxHeaderBytes = 256 << 10
	// MaxFieldBytes bounds one unfolded header field value.
	MaxFieldBytes = 64 << 10
	// MaxAddresses bounds the addresses kept from one address field.
	MaxAddresses = 1000
	// MaxReferences bounds the message IDs kept from References.
	MaxReferences = 500
	// MaxProblems bounds Message.Problems.
	MaxProblems = 50
	// maxEncodedMessage bounds how much of a base64 or quoted-printable
	// encoded message/rfc822 part is decoded to look inside it.
	maxEncodedMessage = 4 << 20
)

// Message is the decoded view of one raw message.
type Message struct {
	Subject    string
	From       []Address
	Sender     []Address
	To         []Address
	Cc         []Address
	Bcc        []Address
	ReplyTo    []Address
	Date       time.Time // zero when missing or unparseable
	MessageID  string    // without angle brackets
	InReplyTo  []string  // message IDs without angle brackets
	References []string  // message IDs without angle brackets

	// Text is the searchable text: the text/plain parts (or the text of the
	// HTML alternative when there is no plain one), the text of HTML-only
	// parts, and the headers and text of enclosed messages, with LF line
	// endings, at most MaxTextBytes.
	Text string
	// HTML is the first text/html body part of the message itself (not of
	// an enclosed message, not an attachment) decoded to UTF-8 and
	// unsanitized: pass it through SanitizeHTML before showing it. Empty
	// when the message has no HTML body; show Text then.
	HTML string

	Attachments []Attachment
	// HasAttachment reports an attachment other than inline content
	// referenced by Content-ID (the images of an HTML newsletter).
	HasAttachment bool

	Size      int64    // bytes read
	Problems  []string // what could not be decoded, at most MaxProblems
	Truncated bool     // a limit was hit
}

// Address is one mailbox of an address field. Either part may be empty
// when the field was too broken to tell.
type Address struct {
	Name string
	Addr string
}

// String formats a for display: `Name <addr>`, quoting the name when it
// holds specials other than '.'; just the address or just the name when
// the other is empty.
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Addr
	case a.Addr == "":
		return a.Name
	}
	name := a.Name
	if strings.ContainsAny(name, "()<>[]:;@\\,\"") {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Addr + ">"
}

// Attachment is a leaf part that is not body text, or an enclosed message.
type Attachment struct {
	// Path is the IMAP section number of the part ("1", "2.1", ...), the
	// argument Part takes.
	Path string
	// Filename is the decoded name (RFC 2231 and RFC 2047), stripped of
	// directory components and control characters; it may be empty.
	Filename string
	// ContentType is the lower-case media type, like "image/png".
	ContentType string
	// Size is the transfer-decoded size in bytes.
	Size int64
	// ContentID is the Content-ID without angle brackets.
	ContentID string
	// Inline is set for Content-Disposition: inline, or for a part with a
	// Content-ID and no disposition.
	Inline bool
}
