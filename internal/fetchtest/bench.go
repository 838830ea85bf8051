package fetchtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/testbin"
)

// BenchRow is one measured run of a fetch benchmark.
type BenchRow struct {
	Tool, Run string
	Msgs      int   // messages the run fetched: a msg/s column when more than one
	Bytes     int64 // bytes the run fetched: an MB/s column when more than none
	M         testbin.Measured
}

// PrintBench writes rows as a table under title, to tb's log and to
// standard output (where go test -v shows it whole).
func PrintBench(tb testing.TB, title string, rows []BenchRow) {
	tb.Helper()
	toolW, runW := len("tool"), len("run")
	for _, r := range rows {
		toolW, runW = max(toolW, len(r.Tool)), max(runW, len(r.Run))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", title)
	fmt.Fprintf(&b, "%-*s %-*s %9s %9s %9s %9s %9s\n", toolW, "tool", runW, "run", "seconds", "CPU s", "msg/s", "MB/s", "max RSS")
	for _, r := range rows {
		secs := r.M.Wall.Seconds()
		msgs, mb := "-", "-"
		if r.Msgs > 1 {
			msgs = fmt.Sprintf("%.0f", float64(r.Msgs)/secs)
		}
		if r.Bytes > 0 {
			mb = fmt.Sprintf("%.1f", float64(r.Bytes)/1e6/secs)
		}
		fmt.Fprintf(&b, "%-*s %-*s %9.2f %9.2f %9s %9s %9s\n", toolW, r.Tool, runW, r.Run, secs, r.M.CPU.Seconds(), msgs, mb, fetch.HumanBytes(r.M.MaxRSS))
	}
	tb.Log(b.String())
	fmt.Print(b.String())
}
