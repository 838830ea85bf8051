package zap

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	index "github.com/blevesearch/bleve_index_api"
	seg "github.com/blevesearch/scorch_segment_api/v2"
)

// wantLoc is one expected location; doc is the document's ID.
type wantLoc struct {
	doc              string
	pos, start, end  uint64
	ap               []uint64
	field, fromField string
}

// locCorpus is a set of stub documents and, per field and term, the
// locations they should have in a segment, in document order.
type locCorpus struct {
	docs []index.Document
	want map[string]map[string][]wantLoc
}

// addField analyses words into a stub field like our mail analyzer does:
// positions from 1, offsets only when withOffsets (ours are always zero).
func (c *locCorpus) addField(doc, name string, ap []uint64, words []string, withOffsets bool) *stubField {
	freqs := index.TokenFrequencies{}
	off := 0
	for i, w := range words {
		l := &index.TokenLocation{ArrayPositions: ap, Position: i + 1}
		if withOffsets {
			l.Start, l.End = off, off+len(w)
		}
		off += len(w) + 1
		tf := freqs[w]
		if tf == nil {
			tf = &index.TokenFreq{Term: []byte(w)}
			freqs[w] = tf
		}
		tf.Locations = append(tf.Locations, l)
		tf.SetFrequency(len(tf.Locations))
		if c.want[name] == nil {
			c.want[name] = map[string][]wantLoc{}
		}
		c.want[name][w] = append(c.want[name][w], wantLoc{doc: doc, pos: uint64(l.Position),
			start: uint64(l.Start), end: uint64(l.End), ap: ap, field: name})
	}
	return &stubField{name: name, value: []byte(strings.Join(words, " ")), arrayPositions: ap,
		encodedType: 't', options: index.IndexField | index.IncludeTermVectors,
		analyzedLen: len(words), analyzedFreqs: freqs}
}

// newLocCorpus makes n documents with id prefix p: a body of words drawn
// from a skewed vocabulary (terms in one, a few and most documents), two
// address values with array positions, a field with byte offsets and,
// when extra, a field the other corpus does not have.
func newLocCorpus(p string, n int, seed uint64, extra bool) *locCorpus {
	r := rand.New(rand.NewPCG(seed, 1))
	c := &locCorpus{want: map[string]map[string][]wantLoc{}}
	for i := range n {
		id := fmt.Sprintf("%s%04d", p, i)
		var body []string
		for range 1 + r.IntN(400) {
			switch k := r.IntN(100); {
			case k < 50:
				body = append(body, fmt.Sprintf("common%d", r.IntN(20)))
			case k < 90:
				body = append(body, fmt.Sprintf("mid%d", r.IntN(2000)))
			default:
				body = append(body, fmt.Sprintf("rare%s%d", id, r.IntN(1000000)))
			}
		}
		fields := []*stubField{
			{name: "_id", value: []byte(id), encodedType: 't', options: index.IndexField | index.StoreField,
				analyzedLen: 1, analyzedFreqs: index.TokenFrequencies{id: func() *index.TokenFreq {
					tf := &index.TokenFreq{Term: []byte(id)}
					tf.SetFrequency(1)
					return tf
				}()}},
			c.addField(id, "body", nil, body, false),
			c.addField(id, "addr", []uint64{0}, []string{"alice", fmt.Sprintf("host%d", r.IntN(5))}, false),
			c.addField(id, "addr", []uint64{1}, []string{"bob", "alice"}, false),
			c.addField(id, "raw", nil, []string{"x", fmt.Sprintf("y%d", r.IntN(3)), "x"}, true),
		}
		if extra {
			fields = append(fields, c.addField(id, "extra", nil, []string{"only", "here"}, false))
		}
		// merge repeated field names the way a document's fields are
		// indexed: one field value per instance.
		c.docs = append(c.docs, &stubDocument{id: id, fields: fields})
	}
	return c
}

// merge adds o's documents and expectations after c's.
func (c *locCorpus) merge(o *locCorpus) {
	c.docs = append(c.docs, o.docs...)
	for f, terms := range o.want {
		if c.want[f] == nil {
			c.want[f] = map[string][]wantLoc{}
		}
		for t, ls := range terms {
			c.want[f][t] = append(c.want[f][t], ls...)
		}
	}
}

// checkLocs compares every posting's locations in s with c's expectations.
func checkLocs(t *testing.T, s seg.Segment, c *locCorpus) {
	t.Helper()
	sb := s.(interface{ DocID(uint64) ([]byte, error) })
	for field, terms := range c.want {
		d, err := s.Dictionary(field)
		if err != nil {
			t.Fatal(err)
		}
		for term, want := range terms {
			pl, err := d.PostingsList([]byte(term), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			it := pl.Iterator(true, true, true, nil)
			var got []wantLoc
			for {
				p, err := it.Next()
				if err != nil {
					t.Fatalf("%s:%s: %v", field, term, err)
				}
				if p == nil {
					break
				}
				id, err := sb.DocID(p.Number())
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, l := range p.Locations() {
					ap := l.ArrayPositions()
					if len(ap) == 0 {
						ap = nil
					}
					got = append(got, wantLoc{doc: string(id), pos: l.Pos(), start: l.Start(),
						end: l.End(), ap: slicesClone(ap), field: l.Field()})
					n++
				}
				if uint64(n) != p.Frequency() {
					t.Errorf("%s:%s in %s: frequency %d, %d locations", field, term, id, p.Frequency(), n)
				}
			}
			// The expectation lists a document's locations per field
			// instance; a posting lists them per document in that order.
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s:%s: locations\n got %v\nwant %v", field, term, got, want)
			}
		}
	}
}

func slicesClone(s []uint64) []uint64 {
	if s == nil {
		return nil
	}
	return append([]uint64(nil), s...)
}

// writeSegment writes c's documents as a segment file at path and opens
// it (see openSegment).
func writeSegment(t *testing.T, path string, c *locCorpus) seg.Segment {
	t.Helper()
	s, _, err := zapPlugin.New(c.docs)
	if err != nil {
		t.Fatal(err)
	}
	if err := PersistSegmentBase(s.(*SegmentBase), path); err != nil {
		t.Fatal(err)
	}
	return openSegment(t, path)
}

// openSegment opens the segment file at path until the test ends.
func openSegment(t *testing.T, path string) seg.Segment {
	t.Helper()
	f, err := zapPlugin.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestLocations writes segments with plain locations (body), array
// positions (addr) and offsets (raw), and reads every location back: from
// a new segment, after a merge that copies location bytes (same fields)
// and after one that re-encodes them (different fields).
func TestLocations(t *testing.T) {
	dir := t.TempDir()
	open := func(name string, c *locCorpus) seg.Segment {
		return writeSegment(t, filepath.Join(dir, name), c)
	}
	merge := func(name string, segs ...seg.Segment) seg.Segment {
		path := filepath.Join(dir, name)
		if _, _, err := zapPlugin.Merge(segs, make([]*roaring.Bitmap, len(segs)), path, nil, nil); err != nil {
			t.Fatal(err)
		}
		return openSegment(t, path)
	}

	a, b, x := newLocCorpus("a", 300, 1, false), newLocCorpus("b", 200, 2, false), newLocCorpus("c", 50, 3, true)
	sa, sb, sx := open("a.zap", a), open("b.zap", b), open("x.zap", x)
	checkLocs(t, sa, a)
	checkLocs(t, sx, x)

	ab := &locCorpus{want: map[string]map[string][]wantLoc{}}
	ab.merge(a)
	ab.merge(b)
	checkLocs(t, merge("ab.zap", sa, sb), ab) // same fields: bytes copied

	abx := &locCorpus{want: map[string]map[string][]wantLoc{}}
	abx.merge(ab)
	abx.merge(x)
	checkLocs(t, merge("abx.zap", merge("ab2.zap", sa, sb), sx), abx) // re-encoded
}

// TestDocNums round-trips postings of every size through writeDocNums.
func TestDocNums(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, n := range []int{1, 2, 3, 50, docNumsListMax, docNumsListMax + 1, 5000, 70000} {
		for _, spread := range []uint32{1, 3, 1000, 1 << 20} {
			bm := roaring.New()
			for bm.GetCardinality() < uint64(n) {
				bm.Add(r.Uint32N(uint32(n) * spread))
			}
			var buf strings.Builder
			if err := writeDocNums(bm, &buf, make([]byte, 10)); err != nil {
				t.Fatal(err)
			}
			mem := []byte(buf.String() + "trailing")
			got := roaring.BitmapOf(7, 8, 9) // reused, as a PostingsList's is
			k, err := readDocNums(mem, got)
			if err != nil {
				t.Fatalf("%d docs, spread %d: %v", n, spread, err)
			}
			if k != buf.Len() || !got.Equals(bm) {
				t.Fatalf("%d docs, spread %d: read %d of %d bytes, equal %v", n, spread, k, buf.Len(), got.Equals(bm))
			}
		}
	}
	if _, err := readDocNums([]byte{0x7f}, roaring.New()); err == nil {
		t.Error("a header longer than the data was read")
	}
}

func TestNormCode(t *testing.T) {
	prev := uint64(0)
	for n := uint64(1); n < 1<<22; n += 1 + n/50 {
		c := normCode(n)
		if c < prev || c > 127 {
			t.Fatalf("normCode(%d) = %d after %d", n, c, prev)
		}
		prev = c
		if n < 64 && normLength(c) != float64(n) {
			t.Fatalf("length %d comes back as %v", n, normLength(c))
		}
		if n <= 90000 {
			if e := math.Abs(1/math.Sqrt(normLength(c))*math.Sqrt(float64(n)) - 1); e > 0.06 {
				t.Fatalf("length %d: norm off by %.1f%%", n, 100*e)
			}
		}
	}
}
