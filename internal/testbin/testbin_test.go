package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allocEnv makes this test binary a process that holds that many MiB
// and exits, for TestMeasure.
const allocEnv = "TESTBIN_TEST_ALLOC_MIB"

func TestMain(m *testing.M) {
	if v := os.Getenv(allocEnv); v != "" {
		n, _ := strconv.Atoi(v)
		os.Exit(int(touch(n << 20)[0]) - 1)
	}
	os.Exit(Main(m, nil))
}

// touch returns n bytes of memory, every page of it resident.
func touch(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 1
	}
	return b
}

// TestMeasure: the peak is the command's own, however much memory this
// process holds; it includes a peak reached just before exit and the
// peak of a child.
func TestMeasure(t *testing.T) {
	ballast := touch(400 << 20)
	const mib = 1 << 20
	for _, c := range []struct {
		name     string
		cmd      *exec.Cmd
		min, max int64
	}{
		{"true", exec.Command("true"), 0, 16 * mib},
		{"100 MiB at exit", exec.Command(os.Args[0]), 100 * mib, 150 * mib},
		{"100 MiB in a child", exec.Command("sh", "-c", `"$0"; true`, os.Args[0]), 100 * mib, 150 * mib},
	} {
		c.cmd.Env = append(os.Environ(), allocEnv+"=100")
		if c.name == "true" {
			c.cmd.Env = nil
		}
		m := Measure(t, c.cmd)
		if m.MaxRSS < c.min || m.MaxRSS > c.max {
			t.Errorf("Measure(%s).MaxRSS = %d MiB, want %d to %d MiB", c.name, m.MaxRSS/mib, c.min/mib, c.max/mib)
		}
		if m.Wall <= 0 || m.CPU < 0 {
			t.Errorf("Measure(%s) = %+v, want a positive wall time", c.name, m)
		}
	}
	if ballast[len(ballast)-4096] != 1 {
		t.Fatal("ballast lost")
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("MAILKEEP_ARCHIVE_DIR", "/real/archive")
	t.Setenv("XDG_CONFIG_HOME", "/real/config")
	env := Env("A_TEST_VAR=1")
	for _, kv := range env {
		if strings.HasPrefix(kv, "MAILKEEP_ARCHIVE_DIR=") || strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			t.Errorf("Env() holds %s", kv)
		}
	}
	if !slices.Contains(env, "MAILKEEP_CONFIG="+NoConfig) || env[len(env)-1] != "A_TEST_VAR=1" {
		t.Errorf("Env(A_TEST_VAR=1) = %q, want MAILKEEP_CONFIG=%s and A_TEST_VAR=1 last", env, NoConfig)
	}
}

func TestRun(t *testing.T) {
	r := Run(t, exec.Command("sh", "-c", "echo out; echo err >&2; exit 3"))
	if r.Stdout != "out\n" || r.Stderr != "err\n" || r.Code != 3 {
		t.Fatalf("Run = %+v, want out, err and exit 3", r)
	}
}

// TestBinary builds (or finds) the mailkeep binary once and runs it with
// a clean environment.
func TestBinary(t *testing.T) {
	bin := Binary(t)
	if again := Binary(t); again != bin {
		t.Fatalf("Binary = %s, then %s", bin, again)
	}
	t.Setenv("MAILKEEP_ARCHIVE_DIR", t.TempDir())
	archive := t.TempDir()
	k := Mailkeep{Bin: bin, Config: filepath.Join(t.TempDir(), "config.toml"), Archive: archive}
	k.Run(t, "init").Must(t)
	if st := k.Stats(t); st["messages"] != 0 {
		t.Fatalf("stats of a new archive = %v", st)
	}
	if _, err := os.Stat(filepath.Join(archive, "FORMAT")); err != nil {
		t.Fatalf("init did not create the archive given with --archive: %v", err)
	}
}

// TestBuildError: a command that does not build gives go build's output.
func TestBuildError(t *testing.T) {
	bins.mu.Lock()
	defer bins.mu.Unlock()
	_, err := build("github.com/mailkeep/mailkeep/internal/testbin/nosuchcommand", "nosuchcommand")
	if err == nil || !strings.Contains(err.Error(), "nosuchcommand") {
		t.Fatalf("build of a missing package = %v, want go build's error naming it", err)
	}
}
