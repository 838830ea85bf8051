package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testbin"
)

// TestBenchImport measures `mailkeep import maildir` of a generated Maildir
// (realistic sizes, median about 6 KB, a few multi-MB messages) into a fresh
// archive, against `cp -r` of the same Maildir followed by sync. Run with
// MAILKEEP_BENCH=1 (MAILKEEP_BENCH_N sets the count, default 20,000).
//
// Set TMPDIR to run it on a freshly made file system: ext4 is slow to
// create files for a minute or more after many were deleted (a journal-less
// ext4 skips recently deleted inodes one by one, and a "discard" mount
// trims their blocks at the next commit), so figures taken right after an
// earlier run measure the file system's clean-up more than mailkeep.
func TestBenchImport(t *testing.T) {
	n := testbin.Bench(t, "import", 20000)
	dir := t.TempDir()
	md := filepath.Join(dir, "Maildir")
	raws, rawBytes := testbin.Messages(mailgen.Options{Seed: 7}, n)
	writeMaildir(t, md, raws)
	raws = nil
	debug.FreeOSMemory() // the generated mail, so that returning it does not overlap the runs
	syscall.Sync()

	cp := testbin.Measure(t, exec.Command("sh", "-c", `cp -r "$1" "$2" && sync -f "$2"`, "sh", md, filepath.Join(dir, "copy")))
	arc := filepath.Join(dir, "archive")
	imp := testbin.Measure(t, mailkeep(t).Command("--archive", arc, "import", "--no-index", "maildir", md))
	st := runBin(t, "--archive", arc, "stats", "--json").Must(t).Stats(t)
	if st["messages"] != int64(n) {
		t.Fatalf("imported %d messages, want %d", st["messages"], n)
	}
	cpDur, impDur, rss := cp.Wall, imp.Wall, imp.MaxRSS
	rate := float64(n) / impDur.Seconds()
	t.Logf("machine: %d cores; %d messages, %.1f MB raw", runtime.NumCPU(), n, float64(rawBytes)/1e6)
	t.Logf("%-34s %8s %10s %9s %9s", "", "time", "msgs/s", "MB/s", "peak RSS")
	t.Logf("%-34s %8s %10.0f %9.1f %9s", "cp -r && sync -f (floor)", cpDur.Round(time.Millisecond), float64(n)/cpDur.Seconds(), float64(rawBytes)/1e6/cpDur.Seconds(), "-")
	t.Logf("%-34s %8s %10.0f %9.1f %8.0fMB", "mailkeep import (durable)", impDur.Round(time.Millisecond), rate, float64(rawBytes)/1e6/impDur.Seconds(), float64(rss)/1e6)
	t.Logf("stored %.1f MB = %.0f%% of the raw bytes; import takes %.2f× the time of cp -r",
		float64(st["bytes_stored"])/1e6, 100*float64(st["bytes_stored"])/float64(st["bytes_raw"]), impDur.Seconds()/cpDur.Seconds())
	fmt.Fprintf(os.Stderr, "import: %.0f msgs/s, RSS %.0f MB\n", rate, float64(rss)/1e6)
}
