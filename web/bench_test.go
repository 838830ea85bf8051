package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/index"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testbin"
)

// benchQueries are typical searches: words in several languages, a
// phrase, fields, a filter, and the empty query (recent mail).
var benchQueries = []string{
	"budget", "συνάντηση", "доклад OR бюджет", "报告", `"project deadline"`, "from:alice has:attachment",
	"in:Sent after:2015-01-01", "räksmörgås", "",
}

var (
	benchOnce sync.Once
	benchFix  *fixture
	benchErr  error
)

// benchFixture is an archive of MAILKEEP_BENCH_N generated messages
// (default 2,000), built once per process, in MAILKEEP_BENCH_DIR when set
// (and kept there for the next run).
func benchFixture(b *testing.B) *fixture {
	b.Helper()
	benchOnce.Do(func() {
		n := testbin.EnvInt("MAILKEEP_BENCH_N", 2000)
		dir := os.Getenv("MAILKEEP_BENCH_DIR") // an archive kept from an earlier run
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "mailkeep-web-bench-"); err != nil {
				benchErr = err
				return
			}
		}
		benchFix, benchErr = generatedArchive(context.Background(), dir, n)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFix
}

// generatedArchive fills dir with n generated messages (unless it holds an
// archive already) and opens its index, building it when needed.
func generatedArchive(ctx context.Context, dir string, n int) (*fixture, error) {
	f := &fixture{dir: dir, ids: map[string]archive.ID{}, raw: map[string][]byte{}}
	fresh := !archive.Exists(dir)
	var err error
	if f.arc, err = archive.Open(ctx, dir, archive.Options{Create: true}); err != nil {
		return nil, err
	}
	if fresh {
		g := mailgen.New(mailgen.Options{Seed: 7})
		b := f.arc.NewBatch()
		for i := range n {
			m := g.Next()
			loc := archive.Location{LocationKey: archive.LocationKey{Account: "home", Mailbox: m.Mailbox, UIDValidity: 1, UID: uint32(i + 1)}, Flags: m.Flags}
			if _, err := b.Add(bytes.NewReader(m.Raw), loc); err != nil {
				return nil, err
			}
			if b.Len() >= 1000 || i == n-1 {
				if _, err := b.Commit(ctx); err != nil {
					return nil, err
				}
			}
		}
	}
	if f.idx, err = index.Open(ctx, f.arc, index.Options{}); err != nil {
		return nil, err
	}
	res, err := f.idx.Search(ctx, index.Request{Limit: 500, Sort: "-date"})
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		id, _ := archive.ParseID(h.ID)
		f.gen = append(f.gen, id)
	}
	return f, nil
}

func benchServer(b *testing.B, f *fixture) http.Handler {
	b.Helper()
	s, err := New(Options{Archive: f.arc, Index: f.idx})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func serve(b testing.TB, h http.Handler, target string) int {
	req := httptest.NewRequest("GET", target, nil)
	req.Host = "127.0.0.1:8025"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("GET %s: %d", target, rec.Code)
	}
	return rec.Body.Len()
}

// BenchmarkSearchPage is the server time of the search page (search with
// facets and snippets, rendering), over benchQueries.
func BenchmarkSearchPage(b *testing.B) {
	f := benchFixture(b)
	h := benchServer(b, f)
	for _, q := range benchQueries {
		name := q
		if name == "" {
			name = "everything"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				serve(b, h, "/?q="+url.QueryEscape(q))
			}
		})
	}
}

// BenchmarkMessagePage is the server time of the message page (decode,
// thread lookup, rendering), over the newest messages.
func BenchmarkMessagePage(b *testing.B) {
	f := benchFixture(b)
	h := benchServer(b, f)
	i := 0
	for b.Loop() {
		serve(b, h, "/message/"+f.gen[i%len(f.gen)].String())
		i++
	}
}

// BenchmarkHTMLView is the server time of a message's sanitized HTML.
func BenchmarkHTMLView(b *testing.B) {
	f := benchFixture(b)
	h := benchServer(b, f)
	i := 0
	for b.Loop() {
		serve(b, h, "/message/"+f.gen[i%len(f.gen)].String()+"/html")
		i++
	}
}

// TestBench100k measures the search and message pages on an archive of
// 100,000 generated messages (MAILKEEP_BENCH_N to change it) and reports
// p50 and p99 server times. It takes many minutes to build the archive;
// MAILKEEP_BENCH_DIR keeps it for the next run.
//
//	MAILKEEP_BENCH=1 go test -run TestBench100k -v -timeout 2h ./web
func TestBench100k(t *testing.T) {
	if os.Getenv("MAILKEEP_BENCH") != "1" {
		t.Skip("set MAILKEEP_BENCH=1 to measure the web UI on 100,000 messages")
	}
	n := testbin.EnvInt("MAILKEEP_BENCH_N", 100000)
	dir := os.Getenv("MAILKEEP_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "archive")
	}
	start := time.Now()
	f, err := generatedArchive(t.Context(), dir, n)
	if err != nil {
		t.Fatal(err)
	}
	defer f.arc.Close()
	defer f.idx.Close()
	docs, _ := f.idx.DocCount()
	t.Logf("archive of %d messages ready in %s (%s)", docs, time.Since(start).Round(time.Second), dir)
	s, err := New(Options{Archive: f.arc, Index: f.idx})
	if err != nil {
		t.Fatal(err)
	}
	measure := func(name string, rounds int, target func(i int) string) {
		var times []time.Duration
		bytes := 0
		for i := range rounds {
			t0 := time.Now()
			bytes += serve(t, s, target(i))
			times = append(times, time.Since(t0))
		}
		slices.Sort(times)
		p := func(q float64) time.Duration {
			return times[int(q*float64(len(times)-1))].Round(100 * time.Microsecond)
		}
		t.Logf("%-14s n=%d p50=%s p90=%s p99=%s max=%s (avg %d bytes)", name, rounds, p(.5), p(.9), p(.99), times[len(times)-1].Round(time.Millisecond), bytes/rounds)
	}
	measure("search page", 20*len(benchQueries), func(i int) string { return "/?q=" + url.QueryEscape(benchQueries[i%len(benchQueries)]) })
	for _, q := range benchQueries {
		measure(fmt.Sprintf("search %q", q), 20, func(int) string { return "/?q=" + url.QueryEscape(q) })
	}
	measure("message page", 300, func(i int) string { return "/message/" + f.gen[i%len(f.gen)].String() })
	measure("html view", 300, func(i int) string { return "/message/" + f.gen[i%len(f.gen)].String() + "/html" })
	measure("api search", 100, func(i int) string { return "/api/search?q=" + url.QueryEscape(benchQueries[i%len(benchQueries)]) })
}
