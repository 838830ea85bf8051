package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/internal/testbin"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// benchQueries are the query kinds whose latency the benchmarks measure,
// with what notmuch and mu call the same search.
var benchQueries = []struct {
	name, q, notmuch, mu string
}{
	{"rare word", "zymurgy", "zymurgy", "zymurgy"},
	{"common word", "meeting", "meeting", "meeting"},
	{"phrase", `"quarterly report"`, `"quarterly report"`, `"quarterly report"`},
	{"from:", "from:alice@example.com", "from:alice@example.com", "from:alice@example.com"},
	{"date range", "after:2015-01-01 before:2015-03-01", "date:2015-01-01..2015-02-28", "date:20150101..20150228"},
	{"greek word", "διαβασμενο", "διαβασμένο", "διαβασμένο"},
	{"chinese word", "信息", "信息", "信息"},
	{"everything", "", "*", ""},
}

// genArchive fills a new archive with n generated messages; with maildir
// set it also writes them there, one file each, for notmuch and mu.
func genArchive(tb testing.TB, dir string, n int, maildir string) (*archive.Archive, int64) {
	tb.Helper()
	ctx := context.Background()
	a, err := archive.Open(ctx, dir, archive.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	if maildir != "" {
		for _, d := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(maildir, d), 0o700); err != nil {
				tb.Fatal(err)
			}
		}
	}
	g := newMailGen(1)
	var raw int64
	for done := 0; done < n; {
		k := min(1000, n-done)
		mails := make([]genMail, k)
		for i := range mails {
			mails[i] = g.next()
			raw += int64(len(mails[i].raw))
		}
		b := a.NewBatch()
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < k; i += 2 {
					m := mails[i]
					loc := archive.Location{LocationKey: archive.LocationKey{Account: "bench", Mailbox: m.mailbox, UIDL: strconv.Itoa(done + i)}, Flags: m.flags}
					if _, err := b.Add(bytes.NewReader(m.raw), loc); err != nil {
						errs <- err
						return
					}
					if maildir != "" {
						name := fmt.Sprintf("%d.%d.bench:2,S", m.date.Unix(), done+i)
						if err := os.WriteFile(filepath.Join(maildir, "cur", name), m.raw, 0o600); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
		if _, err := b.Commit(ctx); err != nil {
			tb.Fatal(err)
		}
		done += k
	}
	return a, raw
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func BenchmarkIndex(b *testing.B) {
	const n = 2000
	a, raw := genArchive(b, b.TempDir(), n, "")
	defer a.Close()
	opts := Options{Defer: true}
	if v, err := strconv.Atoi(os.Getenv("MAILKEEP_BENCH_BATCH")); err == nil {
		opts.BatchSize = v
	}
	if v := os.Getenv("MAILKEEP_BENCH_SCORCH"); v != "" {
		if err := json.Unmarshal([]byte(v), &scorchTuning); err != nil {
			b.Fatal(err)
		}
		defer func() { scorchTuning = nil }()
	}
	x, err := Open(context.Background(), a, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	resetPeakRSS()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if _, err := x.Rebuild(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(n*b.N)/(cpuTime()-cpu0).Seconds(), "msgs/CPU-s")
	b.ReportMetric(float64(dirSize(a.IndexDir()))/float64(raw), "index/raw")
	b.ReportMetric(float64(peakRSS())/1e6, "peakRSS-MB")
	if st := scorchStats(x); st != nil {
		b.ReportMetric(float64(st["TotFileSegmentsAtRoot"].(uint64)+st["TotMemorySegmentsAtRoot"].(uint64)), "segments")
		b.ReportMetric(float64(st["TotFileMergeWrittenBytes"].(uint64))/float64(raw), "merged/raw")
		b.ReportMetric(float64(st["num_bytes_used_disk_by_root"].(uint64))/float64(raw), "root/raw")
	}
}

// scorchStats returns the scorch statistics of x's index, or nil.
func scorchStats(x *Index) map[string]any {
	ai, err := x.bi.Advanced()
	if err != nil {
		return nil
	}
	s, ok := ai.(*scorch.Scorch)
	if !ok {
		return nil
	}
	return s.StatsMap()
}

func BenchmarkSearch(b *testing.B) {
	a, _ := genArchive(b, b.TempDir(), 5000, "")
	defer a.Close()
	x, err := Open(context.Background(), a, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	for _, q := range benchQueries {
		b.Run(strings.ReplaceAll(q.name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				if _, err := x.Search(context.Background(), Request{Query: q.q}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// heapMetrics are the Go heap's figures in a MAILKEEP_BENCH_RSSLOG line.
var heapMetrics = []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}

// sampleAnon samples RssAnon (Linux: heap and stacks, without the
// index's memory-mapped files, which the kernel can drop) every 50 ms until
// the returned function is called, which returns the highest value. With
// MAILKEEP_BENCH_RSSLOG=file it also writes, every half second, a line of
// seconds, RssAnon, RssFile, the Go heap's live bytes and its GC goal (MiB).
func sampleAnon() func() int64 {
	done := make(chan struct{})
	res := make(chan int64)
	logf, _ := os.Create(os.Getenv("MAILKEEP_BENCH_RSSLOG")) // nil without it
	go func() {
		defer logf.Close()
		var peak int64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		for i := 0; ; i++ {
			peak = max(peak, statusField("RssAnon:"))
			if logf != nil && i%10 == 0 {
				metrics.Read(heapMetrics)
				fmt.Fprintf(logf, "%.1f %d %d %d %d\n", time.Since(start).Seconds(), statusField("RssAnon:")>>20, statusField("RssFile:")>>20,
					heapMetrics[0].Value.Uint64()>>20, heapMetrics[1].Value.Uint64()>>20)
			}
			select {
			case <-done:
				res <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 { close(done); return <-res }
}

// peakRSS returns VmHWM in bytes (Linux), or 0.
func peakRSS() int64 { return statusField("VmHWM:") }

// statusField returns a field of /proc/self/status in bytes, or 0.
func statusField(name string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == name {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[min(len(d)-1, len(d)*99/100)]
}

// processLatency runs the command cmd makes n times, one process after
// another, and returns the percentiles of their wall time, the last
// run's output and the first error.
func processLatency(n int, cmd func() *exec.Cmd) (p50, p99 time.Duration, out []byte, err error) {
	var d []time.Duration
	for range n {
		c := cmd()
		t0 := time.Now()
		o, cerr := c.Output()
		d = append(d, time.Since(t0))
		out = o
		if err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", strings.Join(c.Args, " "), cerr)
		}
	}
	p50, p99 = percentiles(d)
	return p50, p99, out, err
}

func lines(out []byte) string { return fmt.Sprintf("%d lines", bytes.Count(out, []byte("\n"))) }

// settle waits (at most two minutes) until Bleve's background merging
// has stopped changing the segment files for five seconds, so searches are
// measured on a settled index.
func settle(dir string) {
	last, stable := "", 0
	for i := 0; i < 120 && stable < 5; i++ {
		files, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
		now := strings.Join(files, ",")
		if now == last {
			stable++
		} else {
			stable = 0
		}
		last = now
		time.Sleep(time.Second)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// TestBench100k measures mailkeep, in-process and through the CLI, and
// notmuch and mu where installed, on a generated archive (100,000
// messages, or MAILKEEP_BENCH_N). It runs only with MAILKEEP_BENCH=1 and
// prints a table. Set TMPDIR to a fresh file system for figures that do
// not depend on what earlier runs left there (see cmd/mailkeep's
// TestBenchImport).
func TestBench100k(t *testing.T) {
	if os.Getenv("MAILKEEP_BENCH") != "1" {
		t.Skip("set MAILKEEP_BENCH=1 to run")
	}
	n := testbin.EnvInt("MAILKEEP_BENCH_N", 100000)
	runs := 200
	root := t.TempDir()
	maildir := ""
	notmuch, haveNotmuch := testenv.LookPath("notmuch")
	mu, haveMu := testenv.LookPath("mu")
	switch os.Getenv("MAILKEEP_BENCH_OTHERS") { // which peers run: all by default
	case "0":
		haveNotmuch, haveMu = false, false
	case "mu":
		haveNotmuch = false
	case "notmuch":
		haveMu = false
	}
	if haveNotmuch || haveMu {
		maildir = filepath.Join(root, "Maildir")
	}
	t0 := time.Now()
	a, raw := genArchive(t, filepath.Join(root, "archive"), n, maildir)
	defer a.Close()
	t.Logf("generated %d messages, %.1f MB raw, in %v", n, float64(raw)/1e6, time.Since(t0).Round(time.Second))

	var rows [][]string
	row := func(cols ...string) { rows = append(rows, cols) }

	// mailkeep: index.
	if v := os.Getenv("MAILKEEP_BENCH_SCORCH"); v != "" {
		if err := json.Unmarshal([]byte(v), &scorchTuning); err != nil {
			t.Fatal(err)
		}
		defer func() { scorchTuning = nil }()
	}
	ctx := context.Background()
	debug.FreeOSMemory()
	resetPeakRSS()
	stopSampling := sampleAnon()
	cpu0, t0 := cpuTime(), time.Now()
	x, err := Open(ctx, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	rss, anon := peakRSS(), stopSampling()
	x.Close()
	size := dirSize(a.IndexDir())
	x, err = Open(ctx, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	settle(a.IndexDir())
	if st := scorchStats(x); st != nil {
		t.Logf("segments after settling: %d", st["TotFileSegmentsAtRoot"].(uint64)+st["TotMemorySegmentsAtRoot"].(uint64))
	}
	row("mailkeep index", fmt.Sprintf("%.0f msgs/s (%.0f per CPU-second)", float64(n)/wall.Seconds(), float64(n)/cpu.Seconds()),
		fmt.Sprintf("%.1f MB = %.3f × raw", float64(size)/1e6, float64(size)/float64(raw)), fmt.Sprintf("peak RSS %.0f MB (anonymous %.0f MB)", float64(rss)/1e6, float64(anon)/1e6))
	for _, q := range benchQueries {
		var d []time.Duration
		total := 0
		for range runs {
			t0 := time.Now()
			r, err := x.Search(ctx, Request{Query: q.q})
			if err != nil {
				t.Fatal(err)
			}
			d = append(d, time.Since(t0))
			total = r.Total
		}
		p50, p99 := percentiles(d)
		row("mailkeep "+q.name, q.q, fmt.Sprintf("%d hits", total), "p50 "+ms(p50), "p99 "+ms(p99))
	}

	// The same through the CLI, a process per search as a user runs it and
	// as notmuch and mu are measured below.
	x.Close() // the CLI opens the index itself
	k := testbin.Mailkeep{Bin: testbin.Binary(t), Archive: a.Dir(), Env: []string{"MAILKEEP_CONFIG=" + filepath.Join(root, "none.toml")}}
	// The floor under every search: the process, Go's runtime and the
	// packages' initialisation, without opening the archive.
	p50, p99, out, err := processLatency(runs/2, func() *exec.Cmd { return k.Command("--help") })
	if err != nil {
		t.Fatal(err)
	}
	row("mailkeep CLI start", "--help", lines(out), "p50 "+ms(p50), "p99 "+ms(p99))
	for _, q := range benchQueries {
		p50, p99, out, err := processLatency(runs/2, func() *exec.Cmd { return k.Command("search", "--limit", "20", q.q) })
		if err != nil {
			t.Fatal(err)
		}
		row("mailkeep CLI "+q.name, q.q, lines(out), "p50 "+ms(p50), "p99 "+ms(p99))
	}

	// notmuch.
	if haveNotmuch {
		cfg := filepath.Join(root, "notmuch-config")
		os.WriteFile(cfg, []byte("[database]\npath="+maildir+"\n[new]\ntags=inbox;\n[maildir]\nsynchronize_flags=false\n"), 0o600)
		env := append(os.Environ(), "NOTMUCH_CONFIG="+cfg)
		t0 := time.Now()
		cmd := exec.Command(notmuch, "new", "--quiet")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("notmuch new: %v\n%s", err, out)
		} else {
			wall := time.Since(t0)
			size := dirSize(filepath.Join(maildir, ".notmuch"))
			row("notmuch new", fmt.Sprintf("%.0f msgs/s", float64(n)/wall.Seconds()), fmt.Sprintf("%.1f MB = %.3f × raw", float64(size)/1e6, float64(size)/float64(raw)))
			for _, q := range benchQueries {
				p50, p99, out, _ := processLatency(runs/2, func() *exec.Cmd {
					cmd := exec.Command(notmuch, "search", "--limit=20", q.notmuch)
					cmd.Env = env
					return cmd
				})
				row("notmuch "+q.name, q.notmuch, lines(out), "p50 "+ms(p50), "p99 "+ms(p99))
			}
		}
	}

	// mu.
	if haveMu {
		home := filepath.Join(root, "mu")
		t0 := time.Now()
		init := exec.Command(mu, "init", "--muhome="+home, "--maildir="+maildir)
		if out, err := init.CombinedOutput(); err != nil {
			t.Logf("mu init: %v\n%s", err, out)
		} else if out, err := exec.Command(mu, "index", "--muhome="+home, "--quiet").CombinedOutput(); err != nil {
			t.Logf("mu index: %v\n%s", err, out)
		} else {
			wall := time.Since(t0)
			size := dirSize(home)
			row("mu index", fmt.Sprintf("%.0f msgs/s", float64(n)/wall.Seconds()), fmt.Sprintf("%.1f MB = %.3f × raw", float64(size)/1e6, float64(size)/float64(raw)))
			p50, p99, out, _ := processLatency(runs/2, func() *exec.Cmd { return exec.Command(mu, "--version") })
			row("mu start", "--version", lines(out), "p50 "+ms(p50), "p99 "+ms(p99))
			for _, q := range benchQueries {
				p50, p99, out, _ := processLatency(runs/2, func() *exec.Cmd {
					return exec.Command(mu, "find", "--muhome="+home, "--maxnum=20", "--sortfield=date", "--reverse", q.mu)
				})
				row("mu "+q.name, q.mu, lines(out), "p50 "+ms(p50), "p99 "+ms(p99))
			}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d messages, %.1f MB raw (%.1f KB mean)\n", n, float64(raw)/1e6, float64(raw)/float64(n)/1e3)
	for _, r := range rows {
		fmt.Fprintf(&b, "%-26s", r[0])
		for _, c := range r[1:] {
			fmt.Fprintf(&b, "  %-22s", c)
		}
		b.WriteString("\n")
	}
	t.Log(b.String())
	fmt.Print(b.String())
}
