// Package mailfile reads and writes the two common on-disk mail formats,
// Maildir and mbox, as streams: `mailkeep import` reads them and `mailkeep
// export` writes them. It imports nothing of mailkeep's and knows nothing of
// the archive.
//
// # Reading
//
// [OpenMaildir] and [OpenMbox] (or [NewMboxReader] on any io.Reader) return
// readers whose Next method yields one [Message] at a time and io.EOF at the
// end; Close them when done. A Message's Body streams from the file and is
// valid until the next call to Next, so files of any size are read with flat
// memory; no message or file is ever held whole in memory (an mbox message's
// header section is buffered up to 1 MiB to learn its flags and labels; the
// rest streams).
//
// Bodies come back as an IMAP server would serve them (DESIGN.md, invariant
// 1): every LF not preceded by CR becomes CRLF and nothing else changes; see
// [CRLF]. The readers apply it, so an importer stores Body as it is; the Raw
// options ([MboxOptions], [MaildirOptions]) skip it and return the file's
// bytes.
//
// # Maildir
//
// The root directory's cur/ and new/ are the mailbox "INBOX". Maildir++
// folders (".Sent", ".Archive.2019") are the mailboxes "Sent" and
// "Archive/2019": "." is the hierarchy separator and each level is decoded
// from modified UTF-7 (RFC 3501, "&A5QDsQ-"); a level that is not valid
// modified UTF-7 is kept as it is. Other directories holding cur/ or new/
// (nested maildirs as offlineimap or Dovecot's LAYOUT=fs write them) are
// found by walking the tree and named by their path relative to the root,
// with "/" as the separator and no decoding. tmp/ is ignored, and so are
// files whose names start with ".".
//
// Messages come mailbox by mailbox (INBOX first, then by name), and within
// a mailbox in file-name order, cur/ and new/ together. A message's Key is
// its file name up to the info suffix (":2,", or "!2," and ";2," as used
// where ":" is not allowed in file names), so it survives flag changes.
// The info letters D, F, P, R, S, T become \Draft, \Flagged, $Forwarded,
// \Answered, \Seen, \Deleted; lowercase letters become the keywords named in
// the folder's dovecot-keywords file. Messages in new/ never have \Seen.
// Date is the file's modification time, which delivery agents and Dovecot
// set to the delivery time.
//
// # mbox
//
// A message starts after a From_ line: a line beginning "From " whose rest
// looks like an envelope (a sender and a date with month, day, time and
// year, as in "From a@b.c Sat Feb  6 23:42:23 2010"; or a sender alone when
// it is "-" or contains "@", as Thunderbird's "From - " and Gmail's "From
// 1844…@xxx" lines are). The first line of a file is a From_ line whenever
// it begins with "From ". A preceding blank line is not required, but lines
// like "From time to time" or "From Russia with love" in an unquoted body are
// not separators. A UTF-8 byte order mark at the start is skipped, as are
// blank lines before the first From_ line; anything else before it is
// returned as a message of its own, so a single message file reads as a
// one-message mbox with its bytes unchanged.
//
// The line ending (LF or CRLF) just before a From_ line, and the last one of
// the file, belong to the separator, not to the message: this is how
// Dovecot reads mbox, it strips exactly the one blank line that writers put
// between messages, and it lets [MboxWriter] round-trip any message byte for
// byte, even one that does not end in a newline.
//
// The default variant is mboxrd ([MboxRD]): a line matching ^>+From loses
// one ">". That is what most current writers produce and what MboxWriter
// writes. With [MboxO], only ">From " becomes "From ".
//
// Content-Length headers (Solaris and old Netscape mboxes, whose bodies may
// hold unquoted From lines) are honoured when they are consistent: the body
// that many bytes long ends at a From_ line or the end of the file
// (optionally after one more line ending). Inside such a body nothing is
// taken for a separator and nothing is unquoted. Checking consistency needs
// to look ahead, so for a stream that is not an io.ReaderAt (a pipe) it is
// done only when the body fits in the read buffer.
//
// Flags come from Status and X-Status (mutt, pine, UW), X-Mozilla-Status and
// X-Mozilla-Keys (Thunderbird) and X-Keywords headers. A Google Takeout
// X-Gmail-Labels header gives the message's mailboxes in Message.Labels
// ("Inbox" becomes "INBOX", nested labels keep their "/"; an importer
// records one location per label, and uses Mailbox when Labels is empty) and
// its flags ("Opened" is \Seen, "Starred" \Flagged, "Important" $Important,
// "Drafts" also \Draft; "Unread", "Archived" and "Category …" are dropped).
// Takeout's CRLF line endings are kept. All messages of an mbox are in the
// mailbox given to OpenMbox ("INBOX" when empty). Key is "mbox:" and the
// message's ordinal, counting from 1. Date is the From_ line's date (UTC
// unless it names a zone), else the Date header's, else zero. Errors other
// than io.EOF are sticky.
//
// # Writing
//
// [MboxWriter] writes mboxrd: a From_ line, the message with every line
// matching ^>*From quoted by one more ">", and one line ending after the
// message (which makes the usual blank line when the message ends in a
// newline). It writes the message's bytes as they are: an export from the
// archive keeps the archived CRLF line endings, and reading the file back
// gives the archived bytes again.
//
// [MaildirWriter] writes Maildir++ (mailbox "a/b" goes to root/.a.b, each
// level in modified UTF-7, a "." inside a level encoded as "&AC4-"). Each
// message is written to tmp/, fsync'd, given the date as its modification
// time, renamed into cur/ with a ":2,<flags>" suffix, and the directory is
// fsync'd.
package mailfile
