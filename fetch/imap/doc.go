// Package imap archives an IMAP account: every selectable mailbox that the
// account's include and exclude patterns allow, read-only (STATUS, EXAMINE
// and BODY.PEEK[], never SELECT, STORE or EXPUNGE), incrementally and
// byte-exact, on go-imap v2's client.
//
// # One mailbox, one run
//
//  1. With CONDSTORE, STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ):
//     a mailbox whose UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ are as the
//     last run left them, and whose message count is the number of live
//     locations the archive counts, costs nothing more: no EXAMINE, and
//     its locations are not even read. Any other mailbox is opened with
//     EXAMINE (with CONDSTORE when offered), whose answer is checked the
//     same way.
//  2. A new UIDVALIDITY supersedes the old locations and starts over
//     (content addressing makes the bytes already stored free).
//  3. Flags and expunges of what is archived: with CONDSTORE a
//     "UID FETCH 1:last (FLAGS) (CHANGEDSINCE m)" and a UID SEARCH of
//     what still exists; without it one "UID FETCH 1:last (FLAGS)".
//  4. "UID FETCH last+1:* (UID RFC822.SIZE FLAGS INTERNALDATE)" lists the
//     new messages: the plan, for progress, batching and the size limit.
//  5. Bodies in batches (by count and bytes): "UID FETCH set (UID
//     BODY.PEEK[])", each message hashed, compressed and staged as it
//     arrives (small ones on all cores, large ones streamed from the
//     connection, never held whole in memory), then one group commit per
//     batch, which also advances the sync state. A batch is committed
//     while the next one is fetched; commits stay in order.
//
// A mailbox deleted on the server (the archive holds live messages of it,
// the patterns select it, and LIST no longer has it) has all its
// locations marked gone, with a warning in the report; the messages stay
// in the archive. A mailbox only left out by the patterns is untouched.
//
// Account.Connections connections (default 2) work at once, each taking
// the next mailbox not yet synced, so that a first fetch of several large
// mailboxes keeps both the server and the cores busy; a server that
// refuses a further connection is used over those it accepted. The
// password source runs once per run, whatever the number of logins.
//
// The archive's side of each mailbox (its state and its locations counted
// per UIDVALIDITY) is read a few mailboxes ahead and in parallel, while
// the server answers; the locations themselves, a row per message, are read once,
// and only for a mailbox that may have changed. Each network wait has its
// own deadline (Account.Timeout, default 60 s) and a cancelled context
// closes the connection. A broken connection is retried with the
// session's backoff; the run resumes from the committed state, having
// committed the messages that were complete. A rejected password, an
// untrusted certificate or a refused plaintext login end the account at
// once (fetch.Permanent).
//
// # Sync state
//
// Per mailbox the archive keeps UIDVALIDITY, LastUID and the CONDSTORE
// HIGHESTMODSEQ. LastUID means: every message with a UID up to it is
// archived or was deliberately skipped (over the size limit). It never
// passes a message that failed: later messages of the same run are stored
// anyway, but LastUID stops below the first failure, so the failed message
// is tried again next run (those already stored are recognised by their
// locations and not fetched again). Messages below LastUID that the server
// has and the archive lacks (skipped ones, or rows lost from a catalog)
// are looked for whenever the counts differ, and fetched when they fit
// the size limit, so raising the limit later brings them in.
//
// # Mailbox patterns
//
// Account.Include and Account.Exclude hold patterns matched against the
// whole mailbox name, decoded to UTF-8 and spelled with the server's own
// hierarchy delimiter (the name as it is stored and shown):
//
//   - "*" matches any run of characters, the delimiter included:
//     "Archive/*" is every mailbox below Archive at any depth, "*" is
//     everything.
//   - "%" matches any run of characters without the delimiter:
//     "Archive/%" is the direct children of Archive only.
//   - "?" matches one character other than the delimiter.
//
// Anything else matches itself, case-sensitively, except that INBOX is
// matched case-insensitively (IMAP says so). A plain name matches exactly
// that mailbox, not its children. No include means every mailbox; an
// exclude wins over an include.
package imap
