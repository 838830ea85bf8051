// Copyright (c) 2026 the mailkeep authors. Licensed under the Apache
// License, Version 2.0, like the rest of this package (see LICENSE).

package zap

import (
	"io"

	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// A merge reads every page of the segments it merges through their
// read-only file mappings, and every page read stays in the process's
// resident set until the segment is closed: the last merges of a large
// index would hold the whole index resident. pageDropper releases the
// merged segments' pages every dropEvery bytes of output, so a merge holds
// a window of them, not all; the kernel keeps them in its page cache and a
// page read again comes back from there. (The window is larger than
// dropEvery of input: a merge reads all its inputs at once, and Linux maps
// a whole large folio of page cache at a fault, often hundreds of KiB.)
//
// Only the file mappings of *Segment are released, and only while Merge
// runs, when the caller's references keep them mapped (releasing the
// pages of anonymous memory would zero it).
const dropEvery = 4 << 20

type pageDropper struct {
	maps [][]byte
	next int
}

func newPageDropper(segments []*Segment) *pageDropper {
	d := &pageDropper{next: dropEvery}
	for _, s := range segments {
		if len(s.mm) > 0 {
			d.maps = append(d.maps, s.mm)
		}
	}
	if len(d.maps) == 0 {
		return nil
	}
	return d
}

// written is called with the output's size so far.
func (d *pageDropper) written(n int) {
	if d == nil || n < d.next {
		return
	}
	d.next = n + dropEvery
	d.drop()
}

func (d *pageDropper) drop() {
	if d == nil {
		return
	}
	for _, m := range d.maps {
		dropPages(m)
	}
}

// ReleasePages releases the resident pages of s's file mapping, as a merge
// does for its inputs; other kinds of segments are left alone. The caller
// must hold a reference that keeps s open while it runs (an index reader's
// snapshot does).
func ReleasePages(s segment.Segment) {
	if z, ok := s.(*Segment); ok && len(z.mm) > 0 {
		dropPages(z.mm)
	}
}

// pageCacheWrite is the largest write a segment file gets. Linux (6.x,
// on ext4 and others) caches a file in folios as large as the writes that
// filled it, up to megabytes, and maps a whole folio into a process that
// reads one byte of it. Scorch reads segments through file mappings, a
// merge at a hundred places at once: with 1 MiB folios a merge of a
// hundred segments held some 190 MB of them resident. Written 64 KiB at a
// time, a segment's folios are at most that, which is also what the
// kernel maps around a fault anyway.
const pageCacheWrite = 64 << 10

// smallWrites passes writes on to w at most pageCacheWrite bytes at a time.
type smallWrites struct{ w io.Writer }

func (s smallWrites) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), pageCacheWrite)
		m, err := s.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}
