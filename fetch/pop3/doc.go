// Package pop3 is a small POP3 client that delivers each message exactly as
// the server sent it (RFC 1939, with CAPA from RFC 2449, STLS from RFC 2595,
// SASL PLAIN from RFC 5034 and APOP), and the fetch.Source that archives a
// POP3 account with it (see "The source" below).
//
// # Message bytes
//
// The bytes of a message are the payload of the RETR (or TOP) response: what
// lies between the "+OK" status line and the terminating "." line, after one
// leading dot is removed from every other line that begins with a dot. Line
// endings are kept exactly as sent: CRLF stays CRLF, and a bare LF or a bare
// CR inside the payload is kept as well. Lines may be of any length; nothing
// is split or joined, and the message is streamed, never held whole in
// memory.
//
// A line begins at the start of the payload and after every LF, whether or
// not a CR precedes that LF. This is how servers dot-stuff (Dovecot stuffs a
// dot after every LF) and how the terminator is found: ".\r\n" ends the
// payload, and so does ".\n", a terminator written with a bare LF. A line
// that begins with a dot and is not a terminator loses that one dot, whether
// or not the server stuffed it; everything else is delivered unchanged.
//
// A server must end the payload with a line ending before the terminator, so
// a stored message that does not end in one arrives with the CRLF the server
// added ("abc" is delivered as "abc\r\n"). The client cannot tell an added
// CRLF from a stored one and delivers what the server sent. Likewise, a
// server that rewrites bytes (Dovecot sends every bare LF as CRLF) is
// delivered as rewritten: the bytes are what the server sent, not what it
// stores.
//
// # Errors
//
// An "-ERR" reply is a *ServerError carrying the server's text. A rejected
// login matches ErrAuth (errors.Is); a server without UIDL matches ErrNoUIDL.
// A failed connection is a *NetError. IsTemporary tells which errors may go
// away when the operation is tried again later (network failures, a locked
// maildrop, a login delay) and which will not (a wrong password, an
// untrusted certificate, a server that lacks a needed command).
//
// Passwords never appear in errors or in the debug log.
//
// After any error other than a *ServerError, and after a context passed to an
// operation is cancelled while the operation runs, the connection is closed:
// its protocol state is unknown. Further calls return an error; dial again.
// Messages marked with DELE are deleted only when QUIT succeeds, so a broken
// session deletes nothing.
//
// A Client is not safe for concurrent use.
//
// # Pipelining
//
// When the server's CAPA lists PIPELINING (RFC 2449), RetrAhead lets the
// client send the RETR commands of the messages it will read next before
// their replies arrive, up to 16 at a time, so the server opens and sends
// the next message while this one is still being stored. The replies are
// read in order; any other command first reads away the replies still in
// flight. Without PIPELINING every command waits for its reply.
//
// # The source
//
// NewSource turns a fetch.Account into a fetch.Source that archives the
// account's maildrop, recorded as mailbox "INBOX". One run, on one
// connection:
//
//  1. Connect as the account says: TLS, STLS, or plaintext (loopback only
//     unless AllowPlaintext). A certificate that does not verify, a server
//     without STLS and a rejected password (wrapping fetch.ErrAuth, after
//     exactly one try) are permanent. Login is APOP when the account asks
//     for it and the greeting offers it (never a plaintext password
//     instead, unless the connection is encrypted), else SASL PLAIN when
//     CAPA lists it, else USER and PASS.
//  2. STAT (the report's OnServer), UIDL, and LIST when something is to be
//     downloaded or deletion is on.
//  3. A message whose UIDL the archive has for this account is not
//     downloaded again. A UIDL the archive has that is no longer on the
//     server is marked gone (the message stays archived); one that comes
//     back lives again.
//  4. The rest is downloaded with RETR in batches (by count and bytes),
//     each message's bytes going into the archive as they arrive (small
//     messages whole into memory first, so storing one overlaps with
//     receiving the next; see spoolMax), each batch committed (group
//     fsync) before anything depends on it. A message over
//     Account.MaxMessageSize is skipped and reported; one the server
//     refuses (-ERR) is reported as failed with the server's text, the
//     others go on, and the next run tries it again.
//  5. QUIT.
//
// A broken connection is retried with the session's backoff: what was
// complete is committed first, and the next connection lists the maildrop
// anew and downloads only what is not archived. Cancelling the context
// commits what is complete and stops.
//
// Two kinds of servers get special treatment. A server that gives two
// messages the same UIDL breaks POP3's promise that a UIDL names one
// message: those messages are downloaded on every run (the archive stores
// each content once) and recorded under the UIDL and their message id, so
// they are told apart by content, never by UIDL. A server without UIDL
// gets every message downloaded on every run, recorded under the made-up
// UIDL "sha256:<id>", with a warning in the report; such a location is
// marked gone when a complete run no longer finds that content.
//
// # Deleting from the server
//
// With Account.Delete "after-archive", or "older-than" once a message was
// first archived at least Account.DeleteOlderThan ago (the FirstSeen of
// its location, against the session's clock), a message is marked with DELE only when its object and catalog
// rows are durable: it was archived before this run, or the Commit of the
// batch that holds it has returned. DELE is sent on the connection that
// listed the message, by that session's number for it. The server deletes
// only when QUIT succeeds; if the connection breaks before, the server
// keeps everything and the next connection (or run) marks the messages
// again. Failed and skipped messages are never deleted.
//
// After a successful QUIT the deletions are counted in the report's
// Deleted and recorded at once: the messages stay in the archive, their
// locations marked gone (not counted in Gone, which is for messages that
// left the server by other means). OnServer and Archived describe the
// maildrop as STAT found it at the start of the session, deleted messages
// included.
package pop3
