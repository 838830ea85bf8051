// Package schedule runs a job on a cron schedule, one run at a time: the
// nightly fetch of "mailkeep serve" and its "Fetch now" button.
//
// A Scheduler plans each run from the end of the previous one, so a slot
// that passes while a run is going is not started afterwards, and a run
// never overlaps another. It reads the wall clock (Options.Now) at least
// once a Poll interval rather than trusting one long timer: a machine that
// slept through one or more slots runs the job once when it wakes, not once
// per missed slot. A random delay of up to Options.Jitter is added to each
// scheduled slot. Trigger asks for a run now and is refused with ErrRunning
// while one is running.
package schedule

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrRunning is returned by Trigger while a run is in progress (or was
// asked for and is about to start).
var ErrRunning = errors.New("a run is already in progress")

// ErrStopped is returned by Trigger once Run has returned.
var ErrStopped = errors.New("the scheduler has stopped")

// Job is one run. Its context is cancelled when the Scheduler is asked to
// stop; a job should then wrap up what it can keep (commit the current
// batch) and return. The summary is one line for the status page and the
// log; an error marks the run as failed.
type Job func(ctx context.Context) (summary string, err error)

// Trigger names what started a run.
const (
	ByScheduler = "schedule"
	ByRequest   = "request"
)

// DefaultPoll is how often, at most, the scheduler looks at the wall clock.
const DefaultPoll = time.Minute

// Options configure a Scheduler. The zero value runs only on Trigger.
type Options struct {
	// Spec is the schedule (see Parse); "" means no schedule.
	Spec string
	// Location is the time zone of wall-clock specs; nil means time.Local.
	Location *time.Location
	// Jitter bounds a random delay added to each scheduled slot.
	Jitter time.Duration
	// Now returns the wall-clock time; nil means time.Now.
	Now func() time.Time
	// Rand returns a random int64 in [0, n); nil means math/rand/v2.
	Rand func(n int64) int64
	// Poll is the longest the scheduler sleeps without looking at the
	// clock again; 0 means DefaultPoll.
	Poll   time.Duration
	Logger *slog.Logger
}

// State is what the status page shows.
type State struct {
	Schedule string    // the spec, "" when there is none
	Running  bool      // a run is in progress or about to start
	Trigger  string    // while running: ByScheduler or ByRequest
	Next     time.Time // the next scheduled run (jitter included); zero when none
	Runs     int       // runs finished since start

	// The last finished run; zero before the first.
	LastStart   time.Time
	LastEnd     time.Time
	LastOK      bool
	LastSummary string
	LastError   string
}

// Scheduler runs a Job on a schedule and on request. Its methods are safe
// for concurrent use.
type Scheduler struct {
	job     Job
	spec    *Spec // nil: no schedule
	opts    Options
	log     *slog.Logger
	trigger chan struct{} // a requested run; capacity 1, guarded by pending

	mu      sync.Mutex
	st      State
	pending bool // Trigger was accepted and the run has not started
	started bool
	stopped bool
}

// New returns a Scheduler for job; call Run to start it.
func New(job Job, opts Options) (*Scheduler, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Int64N
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Jitter < 0 {
		return nil, errors.New("schedule: negative jitter")
	}
	s := &Scheduler{job: job, opts: opts, log: opts.Logger, trigger: make(chan struct{}, 1)}
	if opts.Spec != "" {
		spec, err := Parse(opts.Spec, opts.Location)
		if err != nil {
			return nil, err
		}
		s.spec = spec
		s.st.Schedule = opts.Spec
		s.plan(s.now())
	}
	return s, nil
}

// State returns the current state.
func (s *Scheduler) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Running = st.Running || s.pending
	if s.pending && !s.st.Running {
		st.Trigger = ByRequest
	}
	return st
}

// Trigger asks for a run now. It returns ErrRunning while a run is in
// progress or already asked for, and ErrStopped once Run has returned. A
// Trigger before Run starts is run when it does.
func (s *Scheduler) Trigger() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		return ErrStopped
	case s.st.Running || s.pending:
		return ErrRunning
	}
	s.pending = true
	s.trigger <- struct{}{} // never blocks: pending guards the one slot
	return nil
}

// Run runs the schedule until ctx is cancelled. Jobs run on the caller's
// goroutine, so when Run returns no job is running: cancelling ctx cancels
// the current job's context and Run waits for the job to return. It returns
// nil when stopped by ctx, and an error only when called twice.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("schedule: Run called twice")
	}
	s.started = true
	s.plan(s.now())
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.stopped, s.pending, s.st.Next = true, false, time.Time{}
		s.mu.Unlock()
	}()

	for ctx.Err() == nil {
		wait := s.opts.Poll
		if next := s.next(); !next.IsZero() {
			d := next.Sub(s.now())
			if d <= 0 {
				s.run(ctx, ByScheduler)
				continue
			}
			wait = min(wait, d)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-s.trigger:
			if ctx.Err() == nil {
				s.run(ctx, ByRequest)
			}
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// run runs the job once and plans the next slot from its end.
func (s *Scheduler) run(ctx context.Context, by string) {
	start := s.now()
	s.mu.Lock()
	if s.pending {
		// The request (or one that came just as a slot was due) is
		// answered by this run.
		select {
		case <-s.trigger:
		default:
		}
		s.pending = false
	}
	s.st.Running, s.st.Trigger = true, by
	s.mu.Unlock()
	s.log.Debug("run started", "trigger", by)

	summary, err := s.job(ctx)

	end := s.now()
	s.mu.Lock()
	s.st.Running, s.st.Trigger = false, ""
	s.st.Runs++
	s.st.LastStart, s.st.LastEnd = start, end
	s.st.LastOK, s.st.LastSummary, s.st.LastError = err == nil, summary, ""
	if err != nil {
		s.st.LastError = err.Error()
	}
	s.plan(end)
	next := s.st.Next
	s.mu.Unlock()

	if err != nil {
		s.log.Error("run failed", "trigger", by, "err", err, "dur", end.Sub(start).Round(time.Millisecond), "next", next)
	} else {
		s.log.Info("run finished", "trigger", by, "summary", summary, "dur", end.Sub(start).Round(time.Millisecond), "next", next)
	}
}

// plan sets the next scheduled run after from. Callers hold s.mu.
func (s *Scheduler) plan(from time.Time) {
	if s.spec == nil {
		return
	}
	next := s.spec.Next(from)
	if !next.IsZero() && s.opts.Jitter > 0 {
		next = next.Add(time.Duration(s.opts.Rand(int64(s.opts.Jitter) + 1)))
	}
	s.st.Next = next
}

func (s *Scheduler) next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Next
}

// now is the wall-clock time, without the monotonic reading, so that time
// the machine spent asleep counts.
func (s *Scheduler) now() time.Time { return s.opts.Now().Round(0) }
