package archive

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// VerifyReport is what Verify found.
type VerifyReport struct {
	Objects     int      // object files checked
	Bytes       int64    // raw bytes re-hashed
	Damaged     []ID     // objects whose bytes no longer hash to their name
	Missing     []ID     // catalog rows without an object
	Adopted     []ID     // intact objects that had no catalog row, now recorded
	Orphans     []ID     // intact objects without a catalog row, on a read-only archive
	Stray       []string // files under objects/ that are not named like objects
	TempRemoved int      // leftovers of interrupted writes under objects/, removed
}

// OK reports whether nothing is damaged or missing.
func (r VerifyReport) OK() bool {
	return len(r.Damaged) == 0 && len(r.Missing) == 0 && len(r.Stray) == 0 && len(r.Orphans) == 0
}

// Verify re-hashes every object with the given number of workers and
// cross-checks objects and catalog. Intact objects without a catalog row
// (left by a crash between storing and recording) are adopted into the
// catalog when the archive is writable. progress, if not nil, is called
// with the number of objects done and the total.
func (a *Archive) Verify(ctx context.Context, workers int, progress func(done, total int)) (VerifyReport, error) {
	var rep VerifyReport
	known := map[ID]bool{}
	rows, err := a.db.QueryContext(ctx, "SELECT id FROM messages")
	if err != nil {
		return rep, fmt.Errorf("read catalog: %w", err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return rep, fmt.Errorf("read catalog: %w", err)
		}
		id, err := ParseID(s)
		if err != nil {
			rep.Stray = append(rep.Stray, "catalog row "+s)
			continue
		}
		known[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("read catalog: %w", err)
	}

	var files []string
	root := filepath.Join(a.dir, "objects")
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
		case strings.HasPrefix(d.Name(), tempPrefix):
			// An object being written, or left by an interrupted write.
			// Only the writer (the lock holder) may remove it.
			if !a.readOnly {
				if err := os.Remove(p); err != nil {
					return fmt.Errorf("remove temp object: %w", err)
				}
				rep.TempRemoved++
			}
		default:
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("list objects: %w", err)
	}
	rep.Objects = len(files)
	if workers < 1 {
		workers = 1
	}
	type result struct {
		path  string
		name  ID
		ok    bool // named like an object
		good  bool
		bytes int64
	}
	results := make([]result, len(files))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				r := result{path: files[i]}
				name, err := ParseID(filepath.Base(files[i]))
				if err == nil && a.objectPath(name) == files[i] {
					r.ok, r.name = true, name
					got, n, err := hashObject(files[i])
					r.good, r.bytes = err == nil && got == name, n
				}
				results[i] = r
				if d := int(done.Add(1)); progress != nil {
					progress(d, len(files))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	present := map[ID]bool{}
	var orphans []ID
	for _, r := range results {
		rep.Bytes += r.bytes
		switch {
		case !r.ok:
			rep.Stray = append(rep.Stray, r.path)
		case !r.good:
			rep.Damaged = append(rep.Damaged, r.name)
			present[r.name] = true
		default:
			present[r.name] = true
			if !known[r.name] {
				orphans = append(orphans, r.name)
			}
		}
	}
	for id := range known {
		if !present[id] {
			rep.Missing = append(rep.Missing, id)
		}
	}
	sortIDs(rep.Missing)
	sortIDs(rep.Damaged)
	if a.readOnly {
		rep.Orphans = orphans
		return rep, nil
	}
	for len(orphans) > 0 {
		n := min(len(orphans), 500)
		if err := a.adopt(ctx, orphans[:n]); err != nil {
			return rep, err
		}
		rep.Adopted = append(rep.Adopted, orphans[:n]...)
		orphans = orphans[n:]
	}
	return rep, nil
}

// adopt records intact objects that have no catalog row, without a
// location (where they came from was never committed).
func (a *Archive) adopt(ctx context.Context, ids []ID) error {
	b := a.NewBatch()
	for _, id := range ids {
		r, err := a.Open(id)
		if err != nil {
			return err
		}
		st, err := a.stage(r, func() (string, error) { return filepath.Join(a.dir, "tmp"), nil })
		r.Close()
		if err != nil {
			return fmt.Errorf("adopt %s: %w", id, err)
		}
		if st.tmp != "" { // cannot happen: the object exists
			os.Remove(st.tmp)
			st.tmp = ""
		}
		b.staged = append(b.staged, st)
	}
	_, err := b.Commit(ctx)
	return err
}

func sortIDs(ids []ID) {
	sort.Slice(ids, func(i, j int) bool { return string(ids[i][:]) < string(ids[j][:]) })
}

// Each calls fn for every message in the catalog, in id order.
func (a *Archive) Each(ctx context.Context, fn func(Info) error) error {
	rows, err := a.db.QueryContext(ctx, "SELECT "+infoCols+" FROM messages ORDER BY id")
	if err != nil {
		return fmt.Errorf("read catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		in, err := scanInfo(rows)
		if err != nil {
			return fmt.Errorf("read catalog: %w", err)
		}
		if err := fn(in); err != nil {
			return err
		}
	}
	return rows.Err()
}
