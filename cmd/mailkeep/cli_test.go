package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestInitWritesPrivateConfig(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "cfg", "config.toml")
	arc := filepath.Join(home, "arc")
	vars := map[string]string{"HOME": home}
	r := runIn(t, vars, "--config", cfg, "--archive", arc, "init").Must(t)
	if !strings.Contains(r.Stdout, "wrote config") {
		t.Fatalf("init printed %q", r.Stdout)
	}
	fi, err := os.Stat(cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if _, err := os.Stat(filepath.Join(arc, "FORMAT")); err != nil {
		t.Fatalf("archive not created: %v", err)
	}
	// The starter config records the archive, so later commands find it.
	r = runIn(t, vars, "--config", cfg, "stats", "--json").Must(t)
	if !strings.Contains(r.Stdout, `"messages":0`) {
		t.Fatalf("stats after init = %q", r.Stdout)
	}
	// A second init leaves the config alone.
	r = runIn(t, vars, "--config", cfg, "init").Must(t)
	if !strings.Contains(r.Stdout, "exists") {
		t.Fatalf("second init printed %q", r.Stdout)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("archive_dir = \"/tmp/x\"\n[[account]]\nname = \"a\"\nprotocol = \"imap\"\nhost = \"h\"\nusername = \"u\"\npassword = \"p\"\nsecurity = \"tsl\"\nbogus = 1\n"), 0o600)
	cases := []struct {
		name string
		argv []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command \"frobnicate\" for \"mailkeep\"\nsee mailkeep --help\n"},
		{"unknown flag", []string{"search", "--frob", "x"}, 2, "unknown flag: --frob\nusage: mailkeep search [--json]"},
		{"missing argument shows the usage", []string{"import", "/x"}, 2, "usage: mailkeep import maildir|mbox PATH [--account NAME] [--mailbox NAME] [flags]\nsee mailkeep import --help\n"},
		{"bad flag value", []string{"search", "--sort", "up", "x"}, 2, "--sort \"up\": want date, -date or relevance\nusage: mailkeep search"},
		{"bad config names file and key", []string{"--config", bad, "fetch"}, 2, "account[0].security"},
		{"unknown key", []string{"--config", bad, "fetch"}, 2, "bogus"},
		{"missing config", []string{"--config", filepath.Join(dir, "none.toml"), "fetch"}, 2, "mailkeep init"},
		{"no archive", []string{"--archive", filepath.Join(dir, "nothing"), "stats"}, 1, "no archive here"},
		{"bad id", []string{"--archive", dir, "show", "xyz"}, 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runIn(t, map[string]string{"HOME": dir}, c.argv...)
			if r.Code != c.code || !strings.Contains(r.Stderr, c.want) {
				t.Fatalf("mailkeep %v: exit %d, stderr %q; want exit %d mentioning %q", c.argv, r.Code, r.Stderr, c.code, c.want)
			}
		})
	}
}

// TestVersion: --version names the build, for bug reports.
func TestVersion(t *testing.T) {
	r := runIn(t, map[string]string{"HOME": t.TempDir()}, "--version").Must(t)
	if !strings.HasPrefix(r.Stdout, "mailkeep ") || !strings.Contains(r.Stdout, runtime.Version()) {
		t.Fatalf("--version printed %q; want mailkeep, its version and %s", r.Stdout, runtime.Version())
	}
}
