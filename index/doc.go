// Package index makes the archive searchable: a Bleve index with one
// document per message, kept in step with the archive's catalog, and the
// search language of DESIGN.md. It is derived data: it can always be
// deleted and rebuilt from the archive (Open does so by itself when the
// index is missing, damaged or of another MappingVersion).
//
// Layout, under the archive (<archive>/index, see archive.IndexDir):
//
//	index_meta.json          Bleve: index type (scorch) and store config
//	store/root.bolt          scorch's root: the current snapshot, its
//	                         segments and the internal keys:
//	                           mailkeep.mapping  MappingVersion
//	                           mailkeep.hwm      catalog change sequence indexed
//	store/*.zap              immutable segments
//
// # Keeping up with the catalog
//
// The catalog gives every change (a new message, a new location, new
// flags, gone from the server) a change sequence number. Update indexes, in
// sequence order, every message changed after the high-water mark, in
// batches that two writers hand to Bleve at once (making a batch's segment
// is most of the work, and Bleve does it in the caller). The new mark goes
// into a batch given once every batch of its sequence is in the index, so
// the index never claims more than it holds; a crash anywhere costs at
// most re-indexing some messages. Batches are
// "unsafe" (Bleve returns before writing them out) and Update waits once at
// its end until everything is on disk; scorch only ever persists whole
// snapshots, so the index on disk is always consistent.
//
// Only one process may open a Bleve index for writing. Open waits
// Options.LockTimeout for another holder and then returns ErrBusy (the CLI
// says "mailkeep serve is running"). Read-only opens share the index with
// each other but not with a writer.
//
// # Analysis
//
// One analyzer (textAnalyzer) for every text field and for query words:
// Unicode word breaks, splitting at inner dots, underscores, colons and
// apostrophes, folding (lower case, NFKD, accents dropped, Greek final
// sigma, ß→ss, æ→ae, ø→o …) and CJK bigrams. So ΔΙΑΒΑΣΜΕΝΟ, διαβασμένο and
// διαβασμενο are one word, ПРИВЕТ is привет, and 東京都 is found by 東京 or
// 京都. Swedish å, ä and ö fold to a, a and o: "mörk" finds "mork" and the
// other way round; forgiving for keyboards without them, at the price of
// rare extra matches. There is no stemming, in any language: a word
// matches exactly that word (case and accents aside), which works the same
// for every language in a mixed mailbox; word* in a query finds the words
// that begin so (invoic* finds invoice and invoicing), the way around
// inflection. Symbols and punctuation alone ("&", "✔") are not indexed.
//
// # Size
//
// Nothing is stored that a result does not show: date, sender, subject,
// mailboxes, the attachment flag and the first 300 characters of the body
// (for snippets). Text fields keep positions for phrase queries but not
// byte offsets. Doc values exist only for sorting (a 10-hex-digit date key)
// and facets (year, mailbox, sender address), compressed 64 documents
// together (upstream: 1,024), so that sorting a page's matches by date
// decompresses little besides their dates. Segments are written in
// internal/zap's variant of Bleve's zap format, which stores a word's
// position in one or two bytes instead of about seven and a rare term's
// documents without roaring headers: half the size of upstream's, with
// the same answers.
//
// # Memory
//
// A build releases the resident pages of its segments' file mappings
// every few batches and, inside each merge, every 4 MB of output, and
// internal/zap writes segment files 64 KiB at a time so that the kernel
// caches them in small folios: a touch of a mapping makes little
// resident. The Go heap holds the analysis of the batches in flight (two
// writers) and the segments being built from them, and a bulk build runs
// the collector with GOGC=60 (gc.go) unless GOGC is set. At 100,000
// messages a build's peak RSS is about 240 MB, 200 MB of it anonymous.
//
// # Searching
//
// Parse turns a query into a tree (And, Or, Not, Term) or a *SyntaxError
// naming the column; Search translates the tree into Bleve queries. Results
// are newest first by default. Sorting by date reads one doc value per
// matching message, so for queries with many matches Search counts them
// first and sorts only a date window at the newest end that should hold the
// page (see sortwindow.go); the answer is exact. Unscored, a phrase is
// matched by a searcher of our own that compares sorted position lists
// (phrase.go), scored by Bleve's. Snippets are the stored
// preview when the query has no words or the first match is in it;
// otherwise the message's first 32 KiB are read from the archive, parsed,
// and cut around the first matching word (Hit.Highlights gives the byte
// ranges of the matched words).
package index
