package imap

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
	"github.com/mailkeep/mailkeep/internal/testbin"
)

// archiveStats reads an archive's totals, or zero when there is none yet.
func archiveStats(tb testing.TB, dir string) archive.Stats {
	tb.Helper()
	ctx := context.Background()
	arc, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if errors.Is(err, archive.ErrNoArchive) {
		return archive.Stats{}
	}
	if err != nil {
		// Killed while creating the archive (no catalog yet): opening it
		// for writing completes it, as the next run would.
		tb.Logf("read-only open: %v", err)
		if arc, err = archive.Open(ctx, dir, archive.Options{}); err != nil {
			tb.Fatal(err)
		}
	}
	defer arc.Close()
	st, err := arc.Stats(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestKill9 kills "mailkeep fetch" with SIGKILL at random moments of its
// fetching, again and again, and re-runs it: every message is archived
// exactly once and verify passes.
func TestKill9(t *testing.T) {
	t.Parallel()
	s := dovecottest.Start(t, dovecottest.Options{})
	e := testbin.Dovecot(t, s, dovecottest.IMAP, "")
	const n = 2000
	msgs := testMessages(0, n)
	s.DeliverMaildir(t, "INBOX", msgs[:1500])
	s.DeliverMaildir(t, "Archive/2024", msgs[1500:])

	// Indexing is not under test here: leave it out where fetch can.
	fetchArgs := []string{"fetch"}
	if help := e.Run(t, "fetch", "--help").Must(t).Stdout; strings.Contains(help, "--no-index") {
		fetchArgs = append(fetchArgs, "--no-index")
	}
	// How long fetching takes (until the summary, before any indexing),
	// in a scratch archive.
	scratch := e
	scratch.Archive = filepath.Join(t.TempDir(), "scratch")
	fetching := scratch.TimeToSummary(t, fetchArgs...)
	if st := archiveStats(t, scratch.Archive); st.Messages != n {
		t.Fatalf("a full fetch archived %d messages, want %d", st.Messages, n)
	}

	rng := rand.New(rand.NewPCG(9, 9))
	killed, finished := 0, 0
	for trial := 0; killed < 20; trial++ {
		if trial == 80 {
			t.Fatalf("only %d of %d runs could be killed before they finished", killed, trial)
		}
		err := testbin.KillAfter(t, e.Command(fetchArgs...), time.Duration(rng.Int64N(int64(fetching))))
		st := archiveStats(t, e.Archive)
		if err == nil {
			// It finished first: a re-run after kills, which must have
			// archived every message exactly once.
			if st.Messages != n || st.Locations != n {
				t.Fatalf("trial %d: a run finished with %+v, want %d messages and locations", trial, st, n)
			}
			finished++
			if err := os.RemoveAll(e.Archive); err != nil {
				t.Fatal(err)
			}
			continue
		}
		killed++
		// Between kills the archive is consistent: never ahead of the
		// server, never the same location twice.
		if st.Messages > n || st.Locations != st.Messages {
			t.Fatalf("trial %d: stats %+v with %d messages on the server", trial, st, n)
		}
		if killed%5 == 0 && killed < 20 {
			// Re-run (in this process, without indexing), check, and
			// start over so the next kills hit a fetch with work to do.
			refetch(t, s, e.Archive, n)
			if err := os.RemoveAll(e.Archive); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.TimeToSummary(t, fetchArgs...)
	if st := e.Stats(t); st["messages"] != n || st["locations"] != n {
		t.Fatalf("after the kills and a re-run: %v, want %d messages and locations", st, n)
	}
	out := e.Run(t, "verify").Must(t).Stdout
	t.Logf("%s: fetching takes %v; %d runs killed, %d finished first; verify: %s", strings.Join(fetchArgs, " "), fetching.Round(time.Millisecond), killed, finished, strings.TrimSpace(out))
}

// refetch completes a fetch into dir in this process and checks that
// every message is there exactly once (the final run checks with verify).
func refetch(tb testing.TB, s *dovecottest.Server, dir string, n int64) {
	tb.Helper()
	ctx := context.Background()
	arc, err := archive.Open(ctx, dir, archive.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer arc.Close()
	acct := fetchtest.DovecotAccount(s, s.Addr(dovecottest.IMAP), fetch.None)
	fetchtest.RunOK(tb, arc, New(acct, Options{}))
	st, err := arc.Stats(ctx)
	if err != nil || st.Messages != n || st.Locations != n {
		tb.Fatalf("after the kills and a re-run: %+v, %v; want %d messages and locations", st, err, n)
	}
}
