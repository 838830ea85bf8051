// Package testbin runs processes for end-to-end tests and benchmarks:
//
//   - the mailkeep binary, built once per test process (Binary), run with
//     a clean environment (Mailkeep, Env, Run, Result), configured for a
//     Dovecot account (Dovecot), killed at a random moment (KillAfter);
//   - any command, measured for wall time, CPU time and peak memory
//     (Measure, through the small program in ./launcher);
//   - the test binary itself as a process that only fetches (Fetcher);
//   - generated mail and the MAILKEEP_BENCH switches (Messages, Bench).
//
// A package that uses it runs its tests through Main. Only tests import it.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// bins are the programs this test process built, each once, into one
// directory that Main removes. It is package state because its whole
// point is to be shared by every test of the process.
var bins struct {
	main  bool // Main runs this process's tests
	mu    sync.Mutex
	dir   string
	built map[string]built // by package path
}

type built struct {
	path string
	err  error
}

// Main runs the tests of a package that uses testbin; call it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testbin.Main(m, nil)) }
//
// When the test binary was started by a Fetcher, Main runs that fetch,
// with the sources newSource makes, instead of the tests. After the tests
// it removes what Binary and Measure built.
func Main(m *testing.M, newSource func(fetch.Account) fetch.Source) int {
	if os.Getenv(fetchEnv) != "" {
		return fetchMain(newSource)
	}
	bins.main = true
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	return code
}

// Binary returns the path of the mailkeep binary: $MAILKEEP_BIN, or else
// cmd/mailkeep built once per test process. A build error fails tb.
func Binary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("MAILKEEP_BIN"); p != "" {
		return p
	}
	return goBuild(tb, "github.com/mailkeep/mailkeep/cmd/mailkeep", "mailkeep")
}

// goBuild builds the command pkg as name, once per test process, and
// returns its path. A build error fails tb.
func goBuild(tb testing.TB, pkg, name string) string {
	tb.Helper()
	if !bins.main {
		tb.Fatalf("testbin: building %s: the package's TestMain must run the tests through testbin.Main, which removes what it builds", name)
	}
	bins.mu.Lock()
	defer bins.mu.Unlock()
	b, ok := bins.built[pkg]
	if !ok {
		b.path, b.err = build(pkg, name)
		if bins.built == nil {
			bins.built = map[string]built{}
		}
		bins.built[pkg] = b
	}
	if b.err != nil {
		tb.Fatalf("build %s for the tests: %v", pkg, b.err)
	}
	return b.path
}

// build runs "go build" in the module's root; bins.mu is held.
func build(pkg, name string) (string, error) {
	if bins.dir == "" {
		dir, err := os.MkdirTemp("", "mailkeep-testbin-")
		if err != nil {
			return "", err
		}
		bins.dir = dir
	}
	path := filepath.Join(bins.dir, name)
	cmd := exec.Command("go", "build", "-o", path, pkg)
	cmd.Dir = testenv.RepoRoot()
	// Static, as the README installs it.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
}
