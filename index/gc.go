package index

import (
	"os"
	"runtime/debug"
	"sync"
)

// bulkGCPercent is the collector's GOGC during a bulk Update (bulkMin
// messages or more), unless the user set GOGC. A build's heap is mostly
// the short-lived analysis of the batches in flight; with the default of
// 100 the heap grows to twice its live bytes between collections. At 60,
// 30,000 messages were indexed at the same speed with a peak RSS of 223
// MB rather than 262 to 272 (the collector's marking is about 7% of a
// build's CPU time); 100,000 messages peak at 240 MB.
const bulkGCPercent = 60

var gcTune struct {
	sync.Mutex
	n   int // bulk Updates running
	old int // the GOGC before the first
}

// lowerGCPercent sets GOGC to bulkGCPercent, when the user did not set it
// and it is higher, until the returned function is called; safe for
// overlapping calls.
func lowerGCPercent() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	gcTune.Lock()
	defer gcTune.Unlock()
	if gcTune.n == 0 {
		gcTune.old = debug.SetGCPercent(bulkGCPercent)
		if gcTune.old < bulkGCPercent {
			debug.SetGCPercent(gcTune.old) // already lower, or off
		}
	}
	gcTune.n++
	return sync.OnceFunc(func() {
		gcTune.Lock()
		defer gcTune.Unlock()
		if gcTune.n--; gcTune.n == 0 {
			debug.SetGCPercent(gcTune.old)
		}
	})
}
