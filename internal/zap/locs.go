// Copyright (c) 2026 the mailkeep authors. Licensed under the Apache
// License, Version 2.0, like the rest of this package (see LICENSE).

package zap

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// The locations of one term in one document are one of the places where
// this package differs from zapx v16 (see doc.go). Upstream writes the
// number of bytes that follow and then five uvarints per occurrence (field,
// position, start, end, number of array positions): about seven bytes for
// a word of a mail body, whose offsets are zero. Here the posting's
// frequency says which of two forms follows (see encodeFreqHasLocs):
//
// plain (every location in the postings list's own field, without offsets
// or array positions, positions increasing, one per occurrence): one
// uvarint per occurrence, the position minus the previous one (0 before
// the first). No byte count: the frequency says how many.
//
// general: the number of bytes that follow, then for each location
//
//	head    uvarint: zigzag(pos - previous pos) << 2 | hasArray << 1 | hasOther
//	[field start end]          if hasOther
//	[n arraypos...]            if hasArray
//
// A document's locations decode on their own, so they can still be copied
// as bytes when segments with the same fields are merged.
const (
	locHasOther = 1 << 0
	locHasArray = 1 << 1
	locFlagBits = 2
)

// Kinds of locations of a posting, in the low bits of its frequency.
const (
	locsNone    = 0
	locsGeneral = 1
	locsPlain   = 2
	locsBits    = 2
)

// postingBufs are the buffers addPosting reuses from one posting to the
// next.
type postingBufs struct {
	args []uint64     // the encoded locations
	locs []interimLoc // a merge's locations, read from a segment
}

// addPosting writes a posting of field in document docNum: its frequency,
// the kind of its locations and (when freq > 0) its norm to tf, and its
// locations, in the form of their kind, to loc. Both the writer of a new
// segment and a merge that re-encodes postings use it.
func addPosting(tf, loc *chunkedIntCoder, b *postingBufs, docNum, field, freq, normBits uint64, locs []interimLoc) error {
	kind := locsKind(uint64(len(locs)), freq)
	var prev uint64
	for _, l := range locs {
		if !plainLoc(prev, field, uint64(l.fieldID), l.pos, l.start, l.end, len(l.arrayposs)) {
			kind = locsGeneral
			break
		}
		prev = l.pos
	}
	var err error
	if freq > 0 {
		err = tf.Add(docNum, encodeFreqHasLocs(freq, kind), normBits)
	} else {
		err = tf.Add(docNum, encodeFreqHasLocs(freq, kind)) // no norm
	}
	if err != nil || kind == locsNone {
		return err
	}
	b.args, prev = b.args[:0], 0
	for _, l := range locs {
		b.args = appendLoc(b.args, kind == locsPlain, prev, field, uint64(l.fieldID), l.pos, l.start, l.end, l.arrayposs)
		prev = l.pos
	}
	if kind == locsGeneral {
		if err := loc.Add(docNum, uint64(uvarintsLen(b.args))); err != nil {
			return err
		}
	}
	return loc.Add(docNum, b.args...)
}

// locsKind is the kind of n locations of a posting of frequency freq, plain
// unless a location says otherwise (see plainLoc).
func locsKind(n, freq uint64) uint64 {
	switch {
	case n == 0:
		return locsNone
	case n == freq:
		return locsPlain
	}
	return locsGeneral
}

// plainLoc tells whether a location can be written in the plain form;
// prev is the position of the document's previous location (0 for none)
// and field the postings list's own.
func plainLoc(prev, field, locField, pos, start, end uint64, numAP int) bool {
	return locField == field && start == 0 && end == 0 && numAP == 0 && pos > prev
}

// appendLoc appends the uvarints of one location to dst, plain or not.
func appendLoc(dst []uint64, plain bool, prev, field, locField, pos, start, end uint64, ap []uint64) []uint64 {
	if plain {
		return append(dst, pos-prev)
	}
	d := int64(pos - prev)
	head := (uint64(d<<1) ^ uint64(d>>63)) << locFlagBits
	other := locField != field || start != 0 || end != 0
	if other {
		head |= locHasOther
	}
	if len(ap) > 0 {
		head |= locHasArray
	}
	dst = append(dst, head)
	if other {
		dst = append(dst, locField, start, end)
	}
	if len(ap) > 0 {
		dst = append(dst, uint64(len(ap)))
		dst = append(dst, ap...)
	}
	return dst
}

// uvarintsLen is the number of bytes vs take as uvarints.
func uvarintsLen(vs []uint64) (n int) {
	for _, v := range vs {
		n += (bits.Len64(v|1) + 6) / 7
	}
	return n
}

// A postings list's documents are a roaring bitmap as upstream or, when
// that is smaller and the list is short, a list of uvarints, the first
// document number and then the differences:
//
//	uvarint(length in bytes << 1 | isList)  then the bitmap or the list
//
// Most terms of mail are in a handful of messages, and a roaring bitmap of
// a few documents costs about 16 bytes of headers.
const (
	docNumsList    = 1
	docNumsListMax = 128 // longest list written as uvarints
)

// docNumLists recycles the buffers writeDocNums builds a list in: it runs
// once for every term of every segment written.
var docNumLists = sync.Pool{New: func() any {
	b := make([]byte, 0, docNumsListMax*binary.MaxVarintLen32)
	return &b
}}

// writeDocNums writes postings as described above.
func writeDocNums(postings *roaring.Bitmap, w io.Writer, buf []byte) error {
	if card := postings.GetCardinality(); card <= docNumsListMax {
		lp := docNumLists.Get().(*[]byte)
		defer docNumLists.Put(lp)
		list := (*lp)[:0]
		var prev uint32
		postings.Iterate(func(d uint32) bool {
			list = binary.AppendUvarint(list, uint64(d-prev))
			prev = d
			return true
		})
		*lp = list
		if uint64(len(list)) < postings.GetSerializedSizeInBytes() {
			n := binary.PutUvarint(buf, uint64(len(list))<<1|docNumsList)
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			_, err := w.Write(list)
			return err
		}
	}
	bm, err := postings.ToBytes()
	if err != nil {
		return err
	}
	n := binary.PutUvarint(buf, uint64(len(bm))<<1)
	if _, err := w.Write(buf[:n]); err != nil {
		return err
	}
	_, err = w.Write(bm)
	return err
}

// readDocNums reads what writeDocNums wrote at the start of mem into
// postings and returns the number of bytes read.
func readDocNums(mem []byte, postings *roaring.Bitmap) (int, error) {
	h, n := binary.Uvarint(mem)
	if n <= 0 || h>>1 > uint64(len(mem)-n) {
		return 0, fmt.Errorf("bad postings header")
	}
	data := mem[n : n+int(h>>1)]
	if h&docNumsList == 0 {
		postings.Clear()
		if _, err := postings.FromBuffer(data); err != nil {
			return 0, fmt.Errorf("error loading roaring bitmap: %v", err)
		}
		return n + len(data), nil
	}
	var docs [docNumsListMax]uint32
	k := 0
	var d uint64
	for p := 0; p < len(data); {
		v, m := binary.Uvarint(data[p:])
		if m <= 0 || k == len(docs) {
			return 0, fmt.Errorf("bad postings list")
		}
		d += v
		docs[k] = uint32(d)
		k++
		p += m
	}
	postings.Clear()
	postings.AddMany(docs[:k])
	return n + len(data), nil
}

// Norms: upstream keeps a field's length in words, the norm's input, with
// every posting (as the bits of a float32), two or three bytes for a mail
// body. Here it is a one-byte code: the length itself below 64, then six
// steps per doubling (each about 12 % apart) up to about 90,000 words.
// Scores use 1/sqrt(length), so a code moves a score by at most 6 %, as
// Lucene's one-byte norms do.
func normCode(length uint64) uint64 {
	if length < 64 {
		return length
	}
	return min(127, 64+uint64(6*math.Log2(float64(length)/64)))
}

// normLength is the length a normCode stands for.
func normLength(code uint64) float64 {
	if code < 64 {
		return float64(code)
	}
	return 64 * math.Exp2((float64(code-64)+0.5)/6)
}
