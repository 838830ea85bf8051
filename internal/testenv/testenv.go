// Package testenv finds what tests need from outside the repository (the
// shared corpus of real-world mail, Dovecot, Chromium) and decides whether a
// missing piece skips the test or, under CI's MAILKEEP_REQUIRE_* variables,
// fails it.
package testenv

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// Require skips tb when ok is false, or fails it when the environment
// variable env is "1" (CI sets MAILKEEP_REQUIRE_CORPUS, _DOVECOT, _BROWSER).
func Require(tb testing.TB, ok bool, env, what string) {
	tb.Helper()
	if ok {
		return
	}
	if os.Getenv(env) == "1" {
		tb.Fatalf("%s is required (%s=1) but not available", what, env)
	}
	tb.Skipf("%s not available (set %s=1 to make this a failure)", what, env)
}

// RepoRoot returns the directory holding go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// CorpusDir returns ../shared/corpus beside the checkout, or skips/fails.
// MAILKEEP_CORPUS overrides the location.
func CorpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("MAILKEEP_CORPUS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared", "corpus")
	}
	st, err := os.Stat(dir)
	Require(tb, err == nil && st.IsDir(), "MAILKEEP_REQUIRE_CORPUS", "test corpus "+dir)
	return dir
}

// Mbox reports whether a corpus file is an mbox (several messages with
// From_ separators) rather than a single message.
func Mbox(path string) bool {
	base := filepath.Base(path)
	return strings.HasSuffix(base, ".mbox") || strings.HasSuffix(base, ".mbox.txt") || base == "testFOXMAIL.box"
}

// CorpusFiles returns every file of the corpus that holds mail (single
// messages and mbox files alike; the documentation files are left out),
// sorted, as absolute paths. Use Mbox to tell them apart.
func CorpusFiles(tb testing.TB) []string {
	tb.Helper()
	dir := CorpusDir(tb)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if rel, _ := filepath.Rel(dir, p); !strings.Contains(rel, string(filepath.Separator)) && strings.HasSuffix(rel, ".md") {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		tb.Fatalf("walk corpus: %v", err)
	}
	sort.Strings(files)
	return files
}

// CorpusMessages returns the single-message files of the corpus (no mbox).
// With small set, the SpamAssassin public corpus (6,294 messages) is left
// out so a test stays quick; the parser-test files (about 900) remain.
func CorpusMessages(tb testing.TB, small bool) []string {
	tb.Helper()
	var out []string
	for _, p := range CorpusFiles(tb) {
		if Mbox(p) {
			continue
		}
		if small && strings.Contains(p, "spamassassin-public-corpus") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// LookPath finds a program, in PATH or in the sbin directories Debian puts
// daemons in.
func LookPath(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}
