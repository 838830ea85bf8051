// Package pop3 is a small POP3 client that delivers each message exactly as
// the server sent it (RFC 1939, with CAPA from RFC 2449, STLS from RFC 2595,
// SASL PLAIN from RFC 5034 and APOP).
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
package pop3
