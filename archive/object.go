package archive

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"

	"github.com/mailkeep/mailkeep/internal/freelist"
)

// ErrNotFound is returned for a message id the archive does not hold.
var ErrNotFound = errors.New("message not found in archive")

// ErrCorrupt is returned when an object's bytes do not hash to its id.
var ErrCorrupt = errors.New("object is damaged: its bytes do not match its id")

// headerPrefix is how much of each message is kept while streaming it, to
// read the catalog's header facts (Date, From, Subject, Message-ID) from.
const headerPrefix = 128 << 10

// encoders compress objects at zstd's fastest level: on generated mail
// (20,000 messages, 322 MB) it stores 29% of the raw bytes where the
// default level stores 27%, for a fifth less CPU time per import. Frames
// carry no checksum of their own (an object's id is the SHA-256 of its
// bytes, which reading and verify check), and the encoder keeps its
// full-size tables: together about 5% faster at the same ratio
// (BenchmarkCompress).
var encoders = sync.Pool{New: func() any {
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithWindowSize(1<<20),
		zstd.WithEncoderCRC(false))
	if err != nil {
		panic(err) // only for invalid options
	}
	return e
}}

var decoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		panic(err) // only for invalid options
	}
	return d
}}

// dirSet is a set of fan-out directories (objects/ab/cd), one bit for each
// of the 65,536, safe for concurrent use: 8 KiB however many objects an
// import writes.
type dirSet [1 << 16 / 64]atomic.Uint64

func (s *dirSet) has(id ID) bool {
	n := uint(id[0])<<8 | uint(id[1])
	return s[n/64].Load()&(1<<(n%64)) != 0
}

func (s *dirSet) add(id ID) {
	n := uint(id[0])<<8 | uint(id[1])
	s[n/64].Or(1 << (n % 64))
}

// mkdirObjects makes sure the fan-out directory of id (objects/ab/cd)
// exists, remembering the ones that do so that a busy import does not ask
// the file system each time; created tells that this call made it, so
// that no object can be in it yet. One mkdir where os.MkdirAll would stat
// first: most objects of a first import go into a directory of their own.
func (a *Archive) mkdirObjects(id ID) (created bool, err error) {
	if a.objDirs.has(id) {
		return false, nil
	}
	dir := filepath.Dir(a.objectPath(id))
	err = os.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrNotExist) {
		if perr := os.Mkdir(filepath.Dir(dir), 0o700); perr != nil && !errors.Is(perr, fs.ErrExist) {
			return false, perr
		}
		err = os.Mkdir(dir, 0o700)
	}
	switch {
	case err == nil:
		created = true
	case errors.Is(err, fs.ErrExist):
	default:
		return false, err
	}
	a.objDirs.add(id)
	return created, nil
}

func (a *Archive) objectPath(id ID) string {
	h := id.String()
	return filepath.Join(a.dir, "objects", h[:2], h[2:4], h)
}

// staged is a message written to a temporary file (or found already stored)
// and not yet durable.
type staged struct {
	id     ID
	tmp    string // "" when the object already exists
	size   int64
	stored int64
	meta   headerMeta
}

// countWriter counts bytes.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// prefixWriter keeps the first max bytes written to it.
type prefixWriter struct {
	buf []byte
	max int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if room := p.max - len(p.buf); room > 0 {
		if len(b) < room {
			room = len(b)
		}
		p.buf = append(p.buf, b[:room]...)
	}
	return len(b), nil
}

// smallObject is the size up to which a message is hashed and compressed
// in memory and written straight into its object directory. Larger ones
// stream through a temporary file in tmp/, so memory stays flat.
const smallObject = 1 << 20

// tempPrefix starts the names of objects being written inside objects/ab/cd
// (small ones, until Commit renames them). Verify removes leftovers.
const tempPrefix = ".tmp-"

var rawBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// zbufs holds the buffers small objects are compressed into.
var zbufs = freelist.New[*[]byte](2 * runtime.GOMAXPROCS(0))

// stage writes r as a not yet durable object: Commit syncs and renames it.
// A message whose object exists already is not written again. largeDir
// returns the directory for a message too large to hold in memory.
func (a *Archive) stage(r io.Reader, largeDir func() (string, error)) (staged, error) {
	buf := rawBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 2*smallObject {
			rawBufs.Put(buf)
		}
	}()
	_, err := io.CopyN(buf, r, smallObject+1)
	switch {
	case err == io.EOF:
		return a.stageSmall(buf.Bytes())
	case err != nil:
		return staged{}, fmt.Errorf("read message: %w", err)
	}
	dir, err := largeDir()
	if err != nil {
		return staged{}, err
	}
	return a.stageLarge(io.MultiReader(bytes.NewReader(buf.Bytes()), r), dir)
}

// stageSmall hashes and compresses raw in memory and writes it to a temp
// file in its object directory: creating it next to where it will be
// renamed is several times faster on ext4 than a shared temp directory.
func (a *Archive) stageSmall(raw []byte) (staged, error) {
	st := staged{id: sha256.Sum256(raw), size: int64(len(raw))}
	n := min(len(raw), headerPrefix)
	st.meta = parseHeaderMeta(raw[:n:n])
	final := a.objectPath(st.id)
	dir := filepath.Dir(final)
	created, err := a.mkdirObjects(st.id)
	if err != nil {
		return st, fmt.Errorf("create object directory: %w", err)
	}
	if !created {
		if fi, err := os.Stat(final); err == nil {
			// Already stored: durable, since objects are only renamed
			// into place after their data was synced.
			st.stored = fi.Size()
			return st, nil
		}
	}
	zb, ok := zbufs.Get()
	if !ok {
		b := make([]byte, 0, 64<<10)
		zb = &b
	}
	defer zbufs.Put(zb)
	enc := encoders.Get().(*zstd.Encoder)
	*zb = enc.EncodeAll(raw, (*zb)[:0])
	encoders.Put(enc)
	tmp, err := a.writeTemp(dir, *zb)
	if err != nil {
		return st, fmt.Errorf("write temp object: %w", err)
	}
	st.tmp, st.stored = tmp, int64(len(*zb))
	return st, nil
}

// writeTemp writes data to a new temp file in dir, named after this
// process and a counter; a name an earlier process left behind is skipped.
func (a *Archive) writeTemp(dir string, data []byte) (string, error) {
	for {
		name := filepath.Join(dir, tempPrefix+a.tempBase+strconv.FormatUint(a.tempSeq.Add(1), 36))
		err := writeNew(name, data)
		if !errors.Is(err, fs.ErrExist) {
			return name, err
		}
	}
}

// stageLarge streams r into a temporary file in tmpDir, hashing and
// compressing on the way. Memory does not depend on the size of the
// message. The temp file is not synced: Commit does that for a batch.
func (a *Archive) stageLarge(r io.Reader, tmpDir string) (st staged, err error) {
	f, err := createTemp(tmpDir, "obj-*")
	if err != nil {
		return st, fmt.Errorf("create temp object: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	stored := &countWriter{}
	enc := encoders.Get().(*zstd.Encoder)
	enc.Reset(io.MultiWriter(f, stored))
	h := sha256.New()
	raw := &countWriter{}
	head := &prefixWriter{max: headerPrefix}
	if _, err = io.Copy(io.MultiWriter(enc, h, raw, head), r); err != nil {
		enc.Reset(nil)
		encoders.Put(enc)
		return st, fmt.Errorf("read message: %w", err)
	}
	err = enc.Close()
	enc.Reset(nil)
	encoders.Put(enc)
	if err != nil {
		return st, fmt.Errorf("compress message: %w", err)
	}
	if err = f.Close(); err != nil {
		return st, fmt.Errorf("write temp object: %w", err)
	}
	copy(st.id[:], h.Sum(nil))
	st.size, st.stored, st.tmp = raw.n, stored.n, f.Name()
	st.meta = parseHeaderMeta(head.buf)
	if fi, err := os.Stat(a.objectPath(st.id)); err == nil {
		os.Remove(st.tmp)
		st.tmp, st.stored = "", fi.Size()
	}
	return st, nil
}

// Open streams a message's original bytes. The reader verifies the bytes
// against the id as it reaches the end and returns ErrCorrupt instead of
// io.EOF when they do not match.
func (a *Archive) Open(id ID) (io.ReadCloser, error) {
	f, err := os.Open(a.objectPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", id, err)
	}
	d := decoders.Get().(*zstd.Decoder)
	if err := d.Reset(f); err != nil {
		decoders.Put(d)
		f.Close()
		return nil, fmt.Errorf("open %s: %w: %v", id, ErrCorrupt, err)
	}
	return &objectReader{id: id, f: f, d: d, h: sha256.New()}, nil
}

type objectReader struct {
	id   ID
	f    *os.File
	d    *zstd.Decoder
	h    hash.Hash
	done bool
}

func (o *objectReader) Read(p []byte) (int, error) {
	if o.d == nil {
		return 0, os.ErrClosed
	}
	n, err := o.d.Read(p)
	o.h.Write(p[:n])
	if err == io.EOF && !o.done {
		o.done = true
		var got ID
		copy(got[:], o.h.Sum(nil))
		if got != o.id {
			return n, fmt.Errorf("read %s: %w", o.id, ErrCorrupt)
		}
	} else if err != nil && err != io.EOF {
		return n, fmt.Errorf("read %s: %w: %v", o.id, ErrCorrupt, err)
	}
	return n, err
}

func (o *objectReader) Close() error {
	if o.d == nil {
		return nil
	}
	o.d.Reset(nil)
	decoders.Put(o.d)
	o.d = nil
	return o.f.Close()
}

// ReadAll returns a message's bytes, verified.
func (a *Archive) ReadAll(id ID) ([]byte, error) {
	r, err := a.Open(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// hashObject decompresses and re-hashes one object file.
func hashObject(path string) (ID, int64, error) {
	var id ID
	f, err := os.Open(path)
	if err != nil {
		return id, 0, err
	}
	defer f.Close()
	d := decoders.Get().(*zstd.Decoder)
	defer func() { d.Reset(nil); decoders.Put(d) }()
	if err := d.Reset(f); err != nil {
		return id, 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, d)
	if err != nil {
		return id, n, err
	}
	copy(id[:], h.Sum(nil))
	return id, n, nil
}
