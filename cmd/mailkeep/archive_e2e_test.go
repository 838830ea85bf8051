package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/internal/mailgen"
	"github.com/mailkeep/mailkeep/internal/testbin"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// crlf is the import rule: every LF not preceded by CR becomes CRLF.
func crlf(b []byte) []byte {
	var out bytes.Buffer
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out.WriteByte('\r')
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// writeMaildir writes messages into a Maildir's cur/ with the given flags.
func writeMaildir(tb testing.TB, root string, msgs [][]byte) {
	tb.Helper()
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	for i, m := range msgs {
		name := fmt.Sprintf("%d.M%dP1.test:2,S", 1700000000+i, i)
		if err := os.WriteFile(filepath.Join(root, "cur", name), m, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestImportCorpusByteExact imports every single-message file of the corpus
// as a Maildir and reads each back with show --raw: the bytes are the file's
// bytes with the import rule applied, and the id is their SHA-256.
func TestImportCorpusByteExact(t *testing.T) {
	files := testenv.CorpusMessages(t, false)
	var msgs [][]byte
	want := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, raw)
		exp := crlf(raw)
		want[hexSum(exp)] = exp
	}
	md, arc := filepath.Join(t.TempDir(), "Maildir"), t.TempDir()
	writeMaildir(t, md, msgs)
	vars := map[string]string{"HOME": t.TempDir()}
	runIn(t, vars, "--archive", arc, "import", "--no-index", "maildir", md).Must(t)
	st := runIn(t, vars, "--archive", arc, "stats", "--json").Must(t).Stats(t)
	if st["messages"] != int64(len(want)) || st["locations"] != int64(len(msgs)) {
		t.Fatalf("stats = %v, want %d messages (distinct after CRLF) and %d locations", st, len(want), len(msgs))
	}
	// show --raw for the parser-test files (the nasty ones); the archive
	// API for the 6,000 SpamAssassin messages, to keep the test quick.
	a, err := archive.Open(context.Background(), arc, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for i, f := range files {
		exp := crlf(msgs[i])
		id := hexSum(exp)
		var got []byte
		if strings.Contains(f, "spamassassin-public-corpus") {
			aid, _ := archive.ParseID(id)
			if got, err = a.ReadAll(aid); err != nil {
				t.Fatalf("ReadAll %s (%s): %v", id, f, err)
			}
		} else {
			got = []byte(runIn(t, vars, "--archive", arc, "show", "--raw", id).Must(t).Stdout)
		}
		if !bytes.Equal(got, exp) {
			t.Fatalf("show --raw %s (%s): %d bytes, want %d identical bytes", id, f, len(got), len(exp))
		}
		if h := hexSum(got); h != id {
			t.Fatalf("sha256(show --raw %s) = %s", id, h)
		}
	}
	// Importing again adds nothing, and says so.
	r := runIn(t, vars, "--archive", arc, "import", "--no-index", "maildir", md).Must(t)
	if !strings.Contains(r.Stdout, "0 new") || !strings.Contains(r.Stdout, "nothing new") {
		t.Fatalf("re-import printed %q, want 0 new and nothing new", r.Stdout)
	}
	// The summary is said once, on stdout: cron mails both streams.
	if strings.Contains(r.Stderr, "0 new") {
		t.Fatalf("re-import repeated its summary on stderr: %q", r.Stderr)
	}
	runIn(t, vars, "--archive", arc, "verify").Must(t)
}

// TestVerifyNamesDamagedObject corrupts one object on disk.
func TestVerifyNamesDamagedObject(t *testing.T) {
	raws, _ := testbin.Messages(mailgen.Options{Seed: 3, BigEvery: -1}, 20)
	md, arc := filepath.Join(t.TempDir(), "Maildir"), t.TempDir()
	writeMaildir(t, md, raws)
	vars := map[string]string{"HOME": t.TempDir()}
	runIn(t, vars, "--archive", arc, "import", "maildir", md).Must(t)
	id := hexSum(raws[7])
	path := filepath.Join(arc, "objects", id[:2], id[2:4], id)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x55
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, vars, "--archive", arc, "verify")
	if r.Code != 1 || !strings.Contains(r.Stdout, "DAMAGED "+id) {
		t.Fatalf("verify: exit %d, stdout %q; want exit 1 naming %s", r.Code, r.Stdout, id)
	}
	if r := runIn(t, vars, "--archive", arc, "show", "--raw", id); r.Code == 0 {
		t.Fatal("show --raw of a damaged object succeeded")
	}
}

// TestLockTwoImporters starts two importers at once: one wins, the other is
// told who holds the archive.
func TestLockTwoImporters(t *testing.T) {
	raws, _ := testbin.Messages(mailgen.Options{Seed: 4, BigEvery: -1}, 1500)
	md, arc := filepath.Join(t.TempDir(), "Maildir"), t.TempDir()
	writeMaildir(t, md, raws)
	runBin(t, "--archive", arc, "init").Must(t)
	var wg sync.WaitGroup
	res := make([]testbin.Result, 2)
	for i := range res {
		wg.Add(1)
		go func() { defer wg.Done(); res[i] = runBin(t, "--archive", arc, "import", "maildir", md) }()
	}
	wg.Wait()
	ok, locked := 0, 0
	for _, r := range res {
		switch {
		case r.Code == 0:
			ok++
		case r.Code == 1 && strings.Contains(r.Stderr, "is in use by mailkeep (pid "):
			locked++
		default:
			t.Fatalf("importer: exit %d, stderr %q", r.Code, r.Stderr)
		}
	}
	if ok != 1 || locked != 1 {
		t.Fatalf("%d succeeded, %d locked out; want one of each", ok, locked)
	}
	st := runBin(t, "--archive", arc, "stats", "--json").Must(t).Stats(t)
	if st["messages"] != 1500 {
		t.Fatalf("messages = %d, want 1500", st["messages"])
	}
}

// TestImportKill9 kills the importer with SIGKILL at random moments, then
// re-runs it: every message is archived exactly once and verify passes.
func TestImportKill9(t *testing.T) {
	const n = 1500
	raws, _ := testbin.Messages(mailgen.Options{Seed: 5, BigEvery: 500}, n)
	md, arc := filepath.Join(t.TempDir(), "Maildir"), t.TempDir()
	writeMaildir(t, md, raws)
	runBin(t, "--archive", arc, "init").Must(t)
	rng := rand.New(rand.NewPCG(42, 0))
	killedMidway := 0
	for trial := 0; trial < 20; trial++ {
		cmd := mailkeep(t).Command("--archive", arc, "import", "--no-index", "maildir", md)
		if err := testbin.KillAfter(t, cmd, time.Duration(10+rng.IntN(400))*time.Millisecond); err != nil {
			killedMidway++
		}
		// Before the re-run, the archive must already be consistent.
		st := runBin(t, "--archive", arc, "stats", "--json").Must(t).Stats(t)
		if st["messages"] > n {
			t.Fatalf("trial %d: %d messages, more than the %d imported", trial, st["messages"], n)
		}
		if trial%5 == 4 {
			runBin(t, "--archive", arc, "import", "--no-index", "maildir", md).Must(t)
			st := runBin(t, "--archive", arc, "stats", "--json").Must(t).Stats(t)
			if st["messages"] != n || st["locations"] != n {
				t.Fatalf("trial %d: after a full re-run %v, want %d messages and locations", trial, st, n)
			}
			runBin(t, "--archive", arc, "verify").Must(t)
			// Start over so the next trials kill imports of an emptier archive.
			os.RemoveAll(arc)
			runBin(t, "--archive", arc, "init").Must(t)
		}
	}
	if killedMidway < 10 {
		t.Fatalf("only %d of 20 imports were killed before finishing: the test did not test", killedMidway)
	}
	runBin(t, "--archive", arc, "import", "maildir", md).Must(t)
	r := runBin(t, "--archive", arc, "verify").Must(t)
	st := runBin(t, "--archive", arc, "stats", "--json").Must(t).Stats(t)
	if st["messages"] != n {
		t.Fatalf("final: %d messages, want %d", st["messages"], n)
	}
	if ents, _ := os.ReadDir(filepath.Join(arc, "tmp")); len(ents) != 0 {
		t.Fatalf("%d temp files left after a clean run", len(ents))
	}
	t.Logf("%d of 20 runs killed midway; verify: %s", killedMidway, strings.TrimSpace(r.Stdout))
}
