package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FormatVersion is the version of the on-disk layout written to FORMAT.
const FormatVersion = 1

const formatLine = "mailkeep-archive 1\n"

// Options configure Open.
type Options struct {
	// ReadOnly opens without the write lock: for search, show and the like
	// while another process may be writing. Writes fail.
	ReadOnly bool
	// Create makes the directory if it does not exist yet.
	Create bool
	Logger *slog.Logger
	Now    func() time.Time
}

// Archive is an open archive directory.
type Archive struct {
	dir      string
	db       *sql.DB
	lock     *os.File
	readOnly bool
	log      *slog.Logger
	now      func() time.Time
	writeMu  sync.Mutex    // serialises catalog write transactions
	objDirs  dirSet        // objects/ab/cd directories known to exist
	tempBase string        // this process's part of temp object names
	tempSeq  atomic.Uint64 // the counter part
}

// ErrNoArchive is returned when the directory holds no archive.
var ErrNoArchive = errors.New("no archive here")

// ErrReadOnly is returned for a write on an archive opened read-only.
var ErrReadOnly = errors.New("archive is open read-only")

// Open opens the archive in dir. Unless ReadOnly, it takes the write lock
// (a *LockedError when another process has it), removes the temporary files
// of interrupted writes, and brings the catalog schema up to date.
func Open(ctx context.Context, dir string, opts Options) (*Archive, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", dir, err)
	}
	dir = abs
	format, err := os.ReadFile(filepath.Join(dir, "FORMAT"))
	switch {
	case errors.Is(err, fs.ErrNotExist) && opts.Create && !opts.ReadOnly:
		if err := create(dir); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("archive %s: %w (run \"mailkeep init\" or pass --archive)", dir, ErrNoArchive)
	case err != nil:
		return nil, fmt.Errorf("archive %s: %w", dir, err)
	case !strings.HasPrefix(string(format), "mailkeep-archive "):
		return nil, fmt.Errorf("archive %s: FORMAT says %q, not a mailkeep archive", dir, strings.TrimSpace(string(format)))
	case string(format) != formatLine:
		return nil, fmt.Errorf("archive %s: format %q is newer than this mailkeep understands: upgrade mailkeep", dir, strings.TrimSpace(string(format)))
	}
	a := &Archive{dir: dir, readOnly: opts.ReadOnly, log: opts.Logger, now: opts.Now,
		tempBase: strconv.Itoa(os.Getpid()) + "-"}
	if !opts.ReadOnly {
		if a.lock, err = lockFile(dir); err != nil {
			return nil, err
		}
		if err := a.cleanTemp(); err != nil {
			a.Close()
			return nil, err
		}
	}
	if a.db, err = openCatalog(filepath.Join(dir, "catalog.db")); err != nil {
		a.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if err := migrate(ctx, a.db, SchemaVersion); err != nil {
			a.Close()
			return nil, fmt.Errorf("archive %s: %w", dir, err)
		}
	} else {
		var v int
		if err := a.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			a.Close()
			return nil, fmt.Errorf("archive %s: read catalog: %w", dir, err)
		}
		if v != SchemaVersion {
			a.Close()
			return nil, fmt.Errorf("archive %s: catalog version %d, this mailkeep needs %d: run a writing command (fetch, import) once to upgrade it", dir, v, SchemaVersion)
		}
	}
	return a, nil
}

func create(dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, "objects"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create archive %s: %w", dir, err)
		}
	}
	if err := writeFileDurable(filepath.Join(dir, "FORMAT"), []byte(formatLine)); err != nil {
		return fmt.Errorf("create archive %s: %w", dir, err)
	}
	return nil
}

// writeFileDurable writes a small file the durable way: temp, sync, rename,
// sync the directory.
func writeFileDurable(path string, data []byte) (err error) {
	f, err := createTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = syncFile(f); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// cleanTemp removes what interrupted writes left in tmp/. Only the lock
// holder calls it.
func (a *Archive) cleanTemp() error {
	tmp := filepath.Join(a.dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("archive %s: %w", a.dir, err)
	}
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("archive %s: %w", a.dir, err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			return fmt.Errorf("remove temp file: %w", err)
		}
	}
	if len(ents) > 0 {
		a.log.Info("removed temporary files of an interrupted write", "n", len(ents))
	}
	return nil
}

// Dir returns the archive directory (absolute).
func (a *Archive) Dir() string { return a.dir }

// IndexDir returns where the derived search index lives.
func (a *Archive) IndexDir() string { return filepath.Join(a.dir, "index") }

// ReadOnly reports whether the archive was opened without the write lock.
func (a *Archive) ReadOnly() bool { return a.readOnly }

// Close closes the catalog and releases the lock.
func (a *Archive) Close() error {
	var err error
	if a.db != nil {
		err = a.db.Close()
		a.db = nil
	}
	if a.lock != nil {
		unlockFile(a.lock)
		a.lock = nil
	}
	return err
}

// Exists reports whether dir holds an archive.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "FORMAT"))
	return err == nil
}
