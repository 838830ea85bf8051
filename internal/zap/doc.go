// Copyright (c) 2026 the mailkeep authors. Licensed under the Apache
// License, Version 2.0, like the rest of this package (see LICENSE).

// Package zap is the segment format of mailkeep's search index: a copy of
// github.com/blevesearch/zapx/v16 v16.2.8 (Couchbase, Apache License 2.0,
// see LICENSE and zap.md) with a more compact inverted index, registered
// with scorch as segment type "mailkeep-zap", version 17.
//
// Why: a mail body is most of the index, and upstream spends about seven
// bytes on each word of it for positions (field, position, two offsets
// that our analyzer leaves at zero, a count of array positions) and about
// twenty bytes of headers on each term's list of documents, most terms of
// mail being in a handful of messages. On 100,000 generated messages
// (1.25 GB) this format takes the index from 694 MB to 351 MB, 0.28 times
// the raw mail, with the same answers: positions are all still there, for
// phrases. Writing less also makes indexing faster.
//
// What differs from upstream, all in the postings of the inverted index
// (stored fields, doc values, dictionaries and the file layout are as in
// zap.md):
//
//   - locations: a posting's frequency carries the kind of its locations;
//     plain ones (own field, no offsets or array positions, the usual case)
//     are one delta-coded uvarint each, the rest a compact general form
//     (locs.go);
//   - a term's list of documents is a list of uvarints when that is
//     shorter than the roaring bitmap and it has at most 128 entries
//     (writeDocNums);
//   - the offsets of a term's frequency and location chunks are written
//     relative to its postings, so they take one or two bytes, not five;
//   - a norm is a one-byte code of the field's length (normCode), not the
//     length itself;
//   - a merge releases its inputs' mapped pages as it goes, and
//     ReleasePages does so for any segment (pages.go);
//   - the footer's version is 17 and only 17 is read; the vector (faiss)
//     sections, behind the "vectors" build tag upstream, are left out.
//
// An index written by upstream zap still opens (scorch picks the plugin
// recorded for each segment), and package index rebuilds it in this format
// because its MappingVersion changed with it.
package zap
