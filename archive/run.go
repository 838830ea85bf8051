package archive

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Run is one recorded fetch or import.
type Run struct {
	ID       int64
	Kind     string // "fetch", "import"
	Started  time.Time
	Finished time.Time // zero while running, or when the process died
	OK       bool
	New      int
	Failed   int
	Summary  string // one line for people
	Report   string // JSON, owned by the fetch package
}

// StartRun records the start of a run and returns its id.
func (a *Archive) StartRun(ctx context.Context, kind string) (int64, error) {
	if a.readOnly {
		return 0, ErrReadOnly
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	r, err := a.db.ExecContext(ctx, "INSERT INTO runs(kind, started) VALUES (?, ?)", kind, a.now().Unix())
	if err != nil {
		return 0, fmt.Errorf("record run: %w", err)
	}
	return r.LastInsertId()
}

// FinishRun records the end and outcome of a run started with StartRun.
func (a *Archive) FinishRun(ctx context.Context, r Run) error {
	if a.readOnly {
		return ErrReadOnly
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	fin := r.Finished
	if fin.IsZero() {
		fin = a.now()
	}
	_, err := a.db.ExecContext(context.WithoutCancel(ctx), "UPDATE runs SET finished = ?, ok = ?, new = ?, failed = ?, summary = ?, report = ? WHERE id = ?",
		fin.Unix(), r.OK, r.New, r.Failed, r.Summary, r.Report, r.ID)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
}

// Runs returns the latest runs, newest first; kind "" means all kinds.
func (a *Archive) Runs(ctx context.Context, kind string, limit int) ([]Run, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT id, kind, started, finished, ok, new, failed, summary, report FROM runs
		WHERE ? = '' OR kind = ? ORDER BY id DESC LIMIT ?`, kind, kind, limit)
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started int64
		var fin sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Kind, &started, &fin, &r.OK, &r.New, &r.Failed, &r.Summary, &r.Report); err != nil {
			return nil, fmt.Errorf("read runs: %w", err)
		}
		r.Started = time.Unix(started, 0)
		if fin.Valid {
			r.Finished = time.Unix(fin.Int64, 0)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
