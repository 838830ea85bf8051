package schedule

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// These tests run in a synctest bubble: time.Now and timers are fake and
// advance only when every goroutine of the bubble is blocked, so hours of
// schedule take no real time. The bubble's clock starts at
// 2000-01-01 00:00:00 UTC.

// clock is the injected wall clock: the bubble's time plus an offset that
// a test moves forward to play a machine that slept (its monotonic timers
// stood still while the wall clock went on).
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time        { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) sleep(d time.Duration) { c.offset.Add(int64(d)) }

// recorder is a job that records its runs.
type recorder struct {
	c       *clock
	mu      sync.Mutex
	starts  []time.Time
	ends    []time.Time
	active  int
	overlap bool
	// dur is how long each run takes; block, if set, is waited for too.
	dur   time.Duration
	block chan struct{}
	err   error
}

func (r *recorder) job(ctx context.Context) (string, error) {
	r.mu.Lock()
	r.starts = append(r.starts, r.c.now())
	r.active++
	if r.active > 1 {
		r.overlap = true
	}
	dur, block, err := r.dur, r.block, r.err
	r.mu.Unlock()
	if dur > 0 {
		time.Sleep(dur)
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active--
	r.ends = append(r.ends, r.c.now())
	if err != nil {
		return "", err
	}
	return "ok", nil
}

func (r *recorder) runs() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.starts...)
}

// start makes a scheduler and runs it until the test ends.
func start(t *testing.T, r *recorder, opts Options) (*Scheduler, context.CancelFunc, <-chan error) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = r.c.now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	s, err := New(r.job, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s, cancel, done
}

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func at(h, m, s int) time.Time {
	return epoch.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

func wantRuns(t *testing.T, r *recorder, want ...time.Time) {
	t.Helper()
	got := r.runs()
	if len(got) != len(want) {
		t.Fatalf("runs started at %v, want %v", got, want)
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Fatalf("runs started at %v, want %v", got, want)
		}
	}
}

func TestRunsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}}
		s, _, _ := start(t, r, Options{Spec: "0 3 * * *"})
		synctest.Wait()
		if got := s.State().Next; !got.Equal(at(3, 0, 0)) {
			t.Fatalf("State().Next = %v, want %v", got, at(3, 0, 0))
		}
		time.Sleep(3*time.Hour - time.Second)
		synctest.Wait()
		wantRuns(t, r)
		time.Sleep(2*24*time.Hour + time.Second)
		synctest.Wait()
		wantRuns(t, r, at(3, 0, 0), at(27, 0, 0), at(51, 0, 0))
		st := s.State()
		if st.Runs != 3 || !st.LastOK || st.LastSummary != "ok" || st.Running || !st.Next.Equal(at(75, 0, 0)) {
			t.Fatalf("State() = %+v", st)
		}
	})
}

func TestEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}, dur: 30 * time.Second}
		start(t, r, Options{Spec: "@every 2m"})
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		// @every counts from the end of the previous run.
		wantRuns(t, r, at(0, 2, 0), at(0, 4, 30), at(0, 7, 0), at(0, 9, 30))
	})
}

// TestNoOverlap: a run that lasts past the next slots is not started
// again for them; the next run is the first slot after it ended.
func TestNoOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}, dur: 150 * time.Minute}
		s, _, _ := start(t, r, Options{Spec: "0 * * * *"})
		time.Sleep(90 * time.Minute)
		synctest.Wait()
		if st := s.State(); !st.Running || st.Trigger != ByScheduler {
			t.Fatalf("during a run State() = %+v, want running by the schedule", st)
		}
		if err := s.Trigger(); !errors.Is(err, ErrRunning) {
			t.Fatalf("Trigger during a run = %v, want ErrRunning", err)
		}
		time.Sleep(5 * time.Hour)
		synctest.Wait()
		// 01:00–03:30, then 04:00–06:30.
		wantRuns(t, r, at(1, 0, 0), at(4, 0, 0))
		if r.overlap {
			t.Fatal("two runs at once")
		}
	})
}

// TestMissedSlotsAfterSleep: the machine sleeps through ten hourly slots
// (the wall clock jumps, timers stand still); on waking the job runs once,
// within one poll interval, and then on the hour again.
func TestMissedSlotsAfterSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &clock{}
		r := &recorder{c: c}
		s, _, _ := start(t, r, Options{Spec: "0 * * * *"})
		time.Sleep(10 * time.Minute)
		c.sleep(10 * time.Hour) // wall clock now 10:10
		time.Sleep(DefaultPoll)
		synctest.Wait()
		runs := r.runs()
		if len(runs) != 1 {
			t.Fatalf("after waking: runs at %v, want one", runs)
		}
		if woke := at(10, 10, 0); runs[0].Before(woke) || runs[0].After(woke.Add(DefaultPoll)) {
			t.Fatalf("after waking at %v the run started at %v, want within %v", woke, runs[0], DefaultPoll)
		}
		if got := s.State().Next; !got.Equal(at(11, 0, 0)) {
			t.Fatalf("State().Next = %v, want %v", got, at(11, 0, 0))
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := r.runs(); len(got) != 2 || !got[1].Equal(at(11, 0, 0)) {
			t.Fatalf("runs at %v, want a second at 11:00", got)
		}
	})
}

func TestTriggerWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}, block: make(chan struct{})}
		s, _, _ := start(t, r, Options{Spec: "0 3 * * *"})
		if err := s.Trigger(); err != nil {
			t.Fatalf("Trigger = %v", err)
		}
		if st := s.State(); !st.Running || st.Trigger != ByRequest {
			t.Fatalf("right after Trigger State() = %+v, want running", st)
		}
		if err := s.Trigger(); !errors.Is(err, ErrRunning) {
			t.Fatalf("second Trigger = %v, want ErrRunning", err)
		}
		synctest.Wait()
		if err := s.Trigger(); !errors.Is(err, ErrRunning) {
			t.Fatalf("Trigger while running = %v, want ErrRunning", err)
		}
		close(r.block)
		synctest.Wait()
		if st := s.State(); st.Running || st.Runs != 1 || !st.Next.Equal(at(3, 0, 0)) {
			t.Fatalf("after the run State() = %+v", st)
		}
		if err := s.Trigger(); err != nil {
			t.Fatalf("Trigger after the run = %v", err)
		}
		synctest.Wait()
		wantRuns(t, r, epoch, epoch)
	})
}

// TestTriggerBeforeRun: a request made before Run starts runs when it does.
func TestTriggerBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}}
		s, err := New(r.job, Options{Now: r.c.now})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Trigger(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		wantRuns(t, r, epoch)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if err := s.Run(context.Background()); err == nil {
			t.Fatal("second Run = nil, want an error")
		}
	})
}

// TestCancel: cancelling Run's context cancels the running job's context,
// and Run returns only once the job has returned.
func TestCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}, block: make(chan struct{})}
		var committed atomic.Bool
		job := func(ctx context.Context) (string, error) {
			r.job(ctx) // returns when ctx is cancelled
			time.Sleep(5 * time.Second)
			committed.Store(true) // the batch in flight
			return "interrupted", ctx.Err()
		}
		s, err := New(job, Options{Spec: "@every 1h", Now: r.c.now})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(time.Hour)
		synctest.Wait()
		if !s.State().Running {
			t.Fatal("not running at the first slot")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if !committed.Load() {
			t.Fatal("Run returned before the job did")
		}
		st := s.State()
		if st.Running || st.LastOK || st.LastError == "" || !st.Next.IsZero() {
			t.Fatalf("after stop State() = %+v", st)
		}
		if err := s.Trigger(); !errors.Is(err, ErrStopped) {
			t.Fatalf("Trigger after stop = %v, want ErrStopped", err)
		}
	})
}

func TestFailedRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}, err: errors.New("imap.example.com: connection refused")}
		s, _, _ := start(t, r, Options{Spec: "@hourly"})
		time.Sleep(time.Hour)
		synctest.Wait()
		st := s.State()
		if st.Runs != 1 || st.LastOK || st.LastError != "imap.example.com: connection refused" || !st.Next.Equal(at(2, 0, 0)) {
			t.Fatalf("State() = %+v", st)
		}
	})
}

func TestJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}}
		var asked []int64
		rnd := func(n int64) int64 { asked = append(asked, n); return n - 1 }
		s, _, _ := start(t, r, Options{Spec: "0 3 * * *", Jitter: 10 * time.Minute, Rand: rnd})
		synctest.Wait()
		want := at(3, 10, 0)
		if got := s.State().Next; !got.Equal(want) {
			t.Fatalf("State().Next = %v, want %v", got, want)
		}
		time.Sleep(4 * time.Hour)
		synctest.Wait()
		wantRuns(t, r, want)
		for _, n := range asked {
			if n != int64(10*time.Minute)+1 {
				t.Fatalf("Rand asked for [0, %d), want [0, jitter]", n)
			}
		}
	})
}

func TestNoSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{c: &clock{}}
		s, _, _ := start(t, r, Options{})
		time.Sleep(72 * time.Hour)
		synctest.Wait()
		wantRuns(t, r)
		if st := s.State(); st.Schedule != "" || !st.Next.IsZero() {
			t.Fatalf("State() = %+v", st)
		}
		if err := s.Trigger(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		wantRuns(t, r, at(72, 0, 0))
	})
}

func TestNewErrors(t *testing.T) {
	job := func(context.Context) (string, error) { return "", nil }
	if _, err := New(job, Options{Spec: "0 3 * *"}); err == nil {
		t.Error("New with a four-field spec = nil error")
	}
	if _, err := New(job, Options{Spec: "@daily", Jitter: -time.Second}); err == nil {
		t.Error("New with negative jitter = nil error")
	}
}
