package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bolt "go.etcd.io/bbolt"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/internal/zap"
)

// ErrBusy is returned by Open when another process has the index open
// (Bleve allows one): typically a running "mailkeep serve".
var ErrBusy = errors.New("index is in use by another process")

// ErrReadOnly is returned by Update and Rebuild on an index opened
// read-only.
var ErrReadOnly = errors.New("index is open read-only")

// ErrNotBuilt is returned by a read-only Open when there is no usable index
// (missing, damaged, or built by another version of mailkeep). Any command
// that writes (fetch, import, reindex, serve) builds it.
var ErrNotBuilt = errors.New("index is missing or out of date")

// Options configure Open.
type Options struct {
	// ReadOnly opens the index for searching only, sharing it with other
	// read-only openers; it is ErrBusy while a writer has it open.
	ReadOnly bool
	// Defer leaves the initial Update to the caller. Without it, Open
	// brings the index up to date with the archive before it returns
	// (rebuilding everything when the index was missing, damaged or of
	// another version), reporting to Progress.
	Defer    bool
	Progress func(done, total int)
	// LockTimeout is how long Open waits for another process to release
	// the index before it returns ErrBusy. Default 1s.
	LockTimeout time.Duration
	// Workers parse messages in parallel. Default runtime.NumCPU().
	Workers int
	// BatchSize is the number of documents per Bleve batch. Default 150:
	// a batch's analysis is most of the memory indexing takes (about
	// 100 MB per 1,000 messages of ordinary size) and two batches are
	// made at once; larger batches are hardly faster.
	BatchSize int
	// Location is the time zone of after:/before: dates and of hit dates.
	// Default time.Local.
	Location *time.Location
	Logger   *slog.Logger
}

// Index is the Bleve index of an archive.
type Index struct {
	arc  *archive.Archive
	dir  string
	opts Options
	log  *slog.Logger

	mu sync.RWMutex // guards bi; held for reading while searching
	bi bleve.Index

	writeMu sync.Mutex // one Update or Rebuild at a time
	rebuilt string     // why Open started over, "" if it did not

	an *textAnalyzer // for indexing and queries: no offsets

	facets facetCache // facet columns of the segments searched last

	stopAfter int // test seam: Update stops after this many batches
}

// Open opens the index of arc (at arc.IndexDir()), creating it when it is
// missing and starting over when it is damaged or of another MappingVersion:
// the index is derived, and the archive is the truth. Unless opts.Defer or
// opts.ReadOnly, it then runs Update.
func Open(ctx context.Context, arc *archive.Archive, opts Options) (*Index, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 150
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	x := &Index{
		arc:  arc,
		dir:  arc.IndexDir(),
		opts: opts,
		log:  opts.Logger,
		an:   newTextAnalyzer(true),
	}
	bi, reason, err := x.openBleve()
	if err != nil {
		return nil, err
	}
	if reason != "" {
		if opts.ReadOnly {
			if bi != nil {
				bi.Close()
			}
			return nil, fmt.Errorf("index %s: %s: %w", x.dir, reason, ErrNotBuilt)
		}
		if reason == noIndexYet {
			x.log.Info("building the search index", "dir", x.dir)
		} else {
			x.log.Warn("index rebuilt from the archive", "reason", reason, "dir", x.dir)
		}
		x.rebuilt = reason
		if bi != nil {
			bi.Close()
		}
		if bi, err = x.create(); err != nil {
			return nil, err
		}
	}
	x.bi = bi
	if !opts.ReadOnly && !opts.Defer {
		if _, err := x.Update(ctx, opts.Progress); err != nil {
			x.Close()
			return nil, err
		}
	}
	return x, nil
}

// noIndexYet is the reason Open builds an index where there was none: a
// first build, not a repair.
const noIndexYet = "no index yet"

// openBleve opens the existing index. A reason to start over (missing,
// damaged, other version) comes back as reason with a nil error; being
// locked by another process is ErrBusy.
func (x *Index) openBleve() (bi bleve.Index, reason string, err error) {
	if _, err := os.Stat(filepath.Join(x.dir, "index_meta.json")); errors.Is(err, fs.ErrNotExist) {
		return nil, noIndexYet, nil
	}
	cfg := x.bleveConfig(false)
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		bi, err = bleve.OpenUsing(x.dir, cfg)
	}()
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, "", fmt.Errorf("open index %s: %w", x.dir, ErrBusy)
	case err != nil:
		return nil, "damaged (" + err.Error() + ")", nil
	}
	v, err := bi.GetInternal(keyMapping)
	if err != nil {
		return bi, "damaged (" + err.Error() + ")", nil
	}
	if string(v) != strconv.Itoa(MappingVersion) {
		if len(v) == 0 {
			v = []byte("none")
		}
		return bi, fmt.Sprintf("mapping version %s, this mailkeep uses %d", v, MappingVersion), nil
	}
	return bi, "", nil
}

func init() {
	scorch.RegisterSegmentPlugin(&zap.ZapPlugin{}, false)
}

// bleveConfig is the scorch configuration: new segments in internal/zap's
// format; wait at most LockTimeout for the lock of another process;
// batches return before they are written out (Update waits once at its
// end, see persist); segment files merge as mergePlan says, for a bulk
// Update or not.
func (x *Index) bleveConfig(bulk bool) map[string]any {
	cfg := map[string]any{
		"bolt_timeout": x.opts.LockTimeout.String(),
		// New segments in our compact variant of zap (internal/zap).
		"forceSegmentType":    zap.Type,
		"forceSegmentVersion": int(zap.Version),
	}
	if x.opts.ReadOnly {
		cfg["read_only"] = true
	} else {
		cfg["unsafe_batch"] = true
		cfg["scorchMergePlanOptions"] = mergePlan(bulk)
	}
	for k, v := range scorchTuning {
		cfg[k] = v
	}
	return cfg
}

// scorchTuning is added to the scorch configuration (test seam for
// benchmarks).
var scorchTuning map[string]any

// create makes a new, empty index in x.dir, removing whatever was there.
func (x *Index) create() (bleve.Index, error) {
	if err := os.RemoveAll(x.dir); err != nil {
		return nil, fmt.Errorf("remove old index: %w", err)
	}
	bi, err := bleve.NewUsing(x.dir, newMapping(), scorch.Name, scorch.Name, x.bleveConfig(false))
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("create index %s: %w", x.dir, ErrBusy)
	}
	if err != nil {
		return nil, fmt.Errorf("create index %s: %w", x.dir, err)
	}
	b := bi.NewBatch()
	b.SetInternal(keyMapping, []byte(strconv.Itoa(MappingVersion)))
	if err := writeSync(context.Background(), bi, b); err != nil {
		bi.Close()
		return nil, fmt.Errorf("create index %s: %w", x.dir, err)
	}
	return bi, nil
}

// Rebuilt says why Open started the index over ("" when it did not).
func (x *Index) Rebuilt() string { return x.rebuilt }

// Close closes the index. Searches still running finish first.
func (x *Index) Close() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bi == nil {
		return nil
	}
	err := x.bi.Close()
	x.bi = nil
	if err != nil {
		return fmt.Errorf("close index: %w", err)
	}
	return nil
}

// DocCount returns the number of messages in the index.
func (x *Index) DocCount() (int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bi == nil {
		return 0, errClosed
	}
	n, err := x.bi.DocCount()
	return int(n), err
}

var errClosed = errors.New("index is closed")

// Rebuild deletes the index and indexes the whole archive again
// (mailkeep reindex). Searches meanwhile see the new index filling up.
func (x *Index) Rebuild(ctx context.Context, progress func(done, total int)) (int, error) {
	if x.opts.ReadOnly {
		return 0, ErrReadOnly
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	if x.bi != nil {
		if err := x.bi.Close(); err != nil {
			x.log.Warn("close index before rebuild", "err", err)
		}
		x.bi = nil
	}
	bi, err := x.create()
	if err != nil {
		x.mu.Unlock()
		return 0, err
	}
	x.bi = bi
	x.mu.Unlock()
	return x.update(ctx, progress)
}
