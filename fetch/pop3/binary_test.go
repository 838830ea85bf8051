package pop3

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testbin"
)

// TestMain lets the test binary double as the fetch process of the
// benchmark, and removes the binary built for the end-to-end tests.
func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(a fetch.Account) fetch.Source { return NewSource(a) }))
}

// newE2E returns the mailkeep binary configured with a Dovecot POP3
// account that deletes as deleteMode says.
func newE2E(tb testing.TB, s *dovecottest.Server, deleteMode string) testbin.Mailkeep {
	tb.Helper()
	return testbin.Dovecot(tb, s, dovecottest.POP3, fmt.Sprintf("delete = %q\n", deleteMode))
}

// serverIDs returns the ids of the messages Dovecot's INBOX holds, as
// IMAP serves them (the same bytes as POP3 for generated mail).
func serverIDs(tb testing.TB, s *dovecottest.Server) map[archive.ID]bool {
	tb.Helper()
	out := map[archive.ID]bool{}
	for _, b := range s.Bodies(tb, "INBOX") {
		out[id(b)] = true
	}
	return out
}

// TestKill9Delete kills "mailkeep fetch" with SIGKILL at random moments
// while it archives from Dovecot over POP3 with delete = after-archive.
// After every kill each message ever delivered is still on the server or
// archived (catalog row and an object that reads back with the right
// hash): never neither. A final run leaves the server empty, the archive
// complete and verify clean.
func TestKill9Delete(t *testing.T) {
	testStart := time.Now()
	s := dovecottest.Start(t, dovecottest.Options{})
	const fill = 100
	gen := mailgen.New(mailgen.Options{Seed: 11, BigEvery: -1})
	delivered := map[archive.ID]bool{}
	deliver := func(n int) {
		var raws [][]byte
		for range n {
			m := gen.Next()
			raws = append(raws, m.Raw)
		}
		s.DeliverMaildir(t, "INBOX", raws)
		for i := range serverIDs(t, s) {
			delivered[i] = true
		}
	}
	deliver(fill)
	testbin.Binary(t)
	t.Logf("set up in %v", time.Since(testStart).Round(time.Millisecond))

	// How long the archiving part of a fetch takes, into a scratch
	// archive without deletion.
	scratch := newE2E(t, s, "never")
	full := scratch.TimeToSummary(t, "fetch")
	e := newE2E(t, s, "after-archive")

	rng := rand.New(rand.NewPCG(9, 9))
	const trials = 22
	killed, deletedAfter := 0, 0
	start := time.Now()
	for trial := range trials {
		before := len(serverIDs(t, s))
		if err := testbin.KillAfter(t, e.Command("fetch"), time.Duration(rng.Int64N(int64(full)*6/5))); err != nil {
			killed++
		}
		on := serverIDs(t, s)
		if len(on) < before {
			deletedAfter++
		}
		checkNeverNeither(t, trial, e.Archive, delivered, on)
		if len(on) < fill/2 {
			deliver(fill - len(on)) // keep the next fetch busy
		}
	}
	t.Logf("%d trials in %v: %d killed before they finished, %d after deleting from the server; %d messages delivered in all; archiving %d took %v",
		trials, time.Since(start).Round(time.Millisecond), killed, deletedAfter, len(delivered), fill, full.Round(time.Millisecond))
	if killed < trials/2 {
		t.Errorf("only %d of %d fetches were killed before they finished: the test did not test", killed, trials)
	}

	final := time.Now()
	e.Run(t, "fetch").Must(t)
	t.Logf("final fetch (and index) %v", time.Since(final).Round(time.Millisecond))
	if on := serverIDs(t, s); len(on) != 0 {
		t.Errorf("after a full run the server still has %d messages", len(on))
	}
	checkNeverNeither(t, trials, e.Archive, delivered, nil)
	if st := e.Stats(t); st["messages"] != int64(len(delivered)) {
		t.Errorf("stats = %v, want %d messages", st, len(delivered))
	}
	out := e.Run(t, "verify").Must(t).Stdout
	t.Logf("verify: %s", strings.TrimSpace(out))
}

// checkNeverNeither fails unless each delivered message is on the server
// or durably archived.
func checkNeverNeither(t *testing.T, trial int, dir string, delivered, onServer map[archive.ID]bool) {
	t.Helper()
	var arc *archive.Archive
	if archive.Exists(dir) {
		var err error
		arc, err = archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("trial %d: open archive: %v", trial, err)
		}
		defer arc.Close()
	}
	lost := 0
	for i := range delivered {
		if onServer[i] {
			continue
		}
		if arc != nil {
			has, err := arc.Has(context.Background(), i)
			if err == nil && has {
				if _, err = arc.ReadAll(i); err == nil {
					continue
				}
			}
		}
		lost++
	}
	if lost > 0 {
		t.Errorf("trial %d: %d messages neither on the server nor archived", trial, lost)
	}
}
