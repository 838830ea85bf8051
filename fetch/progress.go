package fetch

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress hears how a run advances. Implementations must be safe for
// concurrent use.
type Progress interface {
	Update(p ProgressEvent)
	Done()
}

// ProgressEvent is the state of one mailbox's transfer.
type ProgressEvent struct {
	Account    string
	Mailbox    string
	Msgs       int   // messages done
	TotalMsgs  int   // messages to do, 0 when unknown
	Bytes      int64 // bytes done
	TotalBytes int64 // bytes to do, 0 when unknown
}

type noProgress struct{}

func (noProgress) Update(ProgressEvent) {}
func (noProgress) Done()                {}

// TerminalProgress draws one status line on a terminal, at most every
// 200 ms: mailbox, messages and bytes, rate and ETA.
type TerminalProgress struct {
	w     io.Writer
	now   func() time.Time
	mu    sync.Mutex
	last  time.Time
	start map[string]time.Time
	width int
}

// NewTerminalProgress draws on w, which should be a terminal.
func NewTerminalProgress(w io.Writer, now func() time.Time) *TerminalProgress {
	if now == nil {
		now = time.Now
	}
	return &TerminalProgress{w: w, now: now, start: map[string]time.Time{}}
}

// Update implements Progress.
func (t *TerminalProgress) Update(p ProgressEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	key := p.Account + "/" + p.Mailbox
	st, ok := t.start[key]
	if !ok {
		st = now
		t.start[key] = st
	}
	finished := p.TotalMsgs > 0 && p.Msgs >= p.TotalMsgs
	if !finished && now.Sub(t.last) < 200*time.Millisecond {
		return
	}
	t.last = now
	line := FormatProgress(p, now.Sub(st))
	pad := ""
	if n := t.width - len(line); n > 0 {
		pad = fmt.Sprintf("%*s", n, "")
	}
	t.width = len(line)
	fmt.Fprintf(t.w, "\r%s%s", line, pad)
}

// Done ends the status line.
func (t *TerminalProgress) Done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.width > 0 {
		fmt.Fprintln(t.w)
		t.width = 0
	}
}

// FormatProgress renders one progress line.
func FormatProgress(p ProgressEvent, elapsed time.Duration) string {
	s := fmt.Sprintf("%s/%s  %d", p.Account, p.Mailbox, p.Msgs)
	if p.TotalMsgs > 0 {
		s += fmt.Sprintf("/%d", p.TotalMsgs)
	}
	s += " msgs  " + HumanBytes(p.Bytes)
	if p.TotalBytes > 0 {
		s += "/" + HumanBytes(p.TotalBytes)
	}
	if secs := elapsed.Seconds(); secs > 0.5 && p.Msgs > 0 {
		rate := float64(p.Msgs) / secs
		s += fmt.Sprintf("  %.0f msg/s %s/s", rate, HumanBytes(int64(float64(p.Bytes)/secs)))
		if p.TotalMsgs > p.Msgs {
			eta := time.Duration(float64(p.TotalMsgs-p.Msgs) / rate * float64(time.Second))
			s += "  ETA " + eta.Round(time.Second).String()
		}
	}
	return s
}
