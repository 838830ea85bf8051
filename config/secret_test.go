package config

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPasswordSources(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("printf"); err != nil {
		t.Skip("no printf")
	}
	env := envMap(map[string]string{"MAIL_PW": "from-env", "EMPTY": ""})
	tests := []struct {
		name   string
		secret Secret
		want   string
	}{
		{"inline", Secret{Password: "inline pw"}, "inline pw"},
		{"env", Secret{Env: "MAIL_PW"}, "from-env"},
		{"echo", Secret{Command: "echo s3cret"}, "s3cret"},
		{"first line", Secret{Command: `printf 'line one\nuser: me\n'`}, "line one"},
		{"crlf", Secret{Command: `printf 'pw\r\n'`}, "pw"},
		{"no newline", Secret{Command: `printf %s "a b  c"`}, "a b  c"},
		{"spaces kept", Secret{Command: `printf ' pw \n'`}, " pw "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.secret.lookupEnv = env
			a := Account{Name: "home", Secret: tt.secret}
			got, err := a.Password(context.Background())
			if err != nil || got != tt.want {
				t.Errorf("Password() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

func TestPasswordErrors(t *testing.T) {
	t.Parallel()
	env := envMap(map[string]string{"EMPTY": ""})
	tests := []struct {
		name      string
		secret    Secret
		want      []string // parts of the error
		errConfig bool
	}{
		{"env unset", Secret{Env: "MAIL_PW"}, []string{`account "home"`, "MAIL_PW is not set"}, true},
		{"env empty", Secret{Env: "EMPTY"}, []string{"EMPTY is not set"}, true},
		{"none", Secret{}, []string{`account "home"`, "no password configured"}, true},
		{"fails", Secret{Command: helperCommand(t, "fail")}, []string{`account "home"`, "exit status 3"}, false},
		{"no output", Secret{Command: helperCommand(t, "empty")}, []string{"printed no password"}, false},
		{"not found", Secret{Command: "/nonexistent/getpw " + fakeSecret}, []string{`account "home"`, "/nonexistent/getpw"}, false},
		{"timeout", Secret{Command: helperCommand(t, "sleep"), timeout: 50 * time.Millisecond},
			[]string{`account "home"`, "did not finish within 50ms"}, false},
		{"shell syntax", Secret{Command: "pass show x | head -1"}, []string{"shell syntax"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.secret.lookupEnv = env
			a := Account{Name: "home", Secret: tt.secret}
			got, err := a.Password(context.Background())
			if err == nil {
				t.Fatalf("Password() = %q, want an error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Password() error = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), fakeSecret) {
				t.Errorf("Password() error %q contains the command's output", err)
			}
			if errors.Is(err, ErrConfig) != tt.errConfig {
				t.Errorf("errors.Is(%v, ErrConfig) = %v, want %v", err, !tt.errConfig, tt.errConfig)
			}
		})
	}
}

func TestPasswordCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := Account{Name: "home", Secret: Secret{Command: helperCommand(t, "sleep")}}
	if _, err := a.Password(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Password(canceled) error = %v, want context.Canceled", err)
	}
}

func TestPasswordCommandStderr(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	path := filepath.Join(t.TempDir(), "config.toml")
	text := strings.Replace(validIMAP, `password_env = "HOME_PW"`, "password_command = '''"+helperCommand(t, "stderr")+"'''", 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadWith(path, Options{LookupEnv: envMap(nil), CommandStderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := c.Accounts[0].Password(context.Background())
	if err != nil || pw != "pw-from-helper" {
		t.Errorf("Password() = %q, %v", pw, err)
	}
	if !strings.Contains(stderr.String(), "a message for the user") {
		t.Errorf("CommandStderr got %q, want the command's stderr", stderr.String())
	}
}

func TestPasswordEnvFromOptions(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, validIMAP+"[web]\npassword_env = \"WEB_PW\"\n", map[string]string{"HOME_PW": "h", "WEB_PW": "w"})
	if pw, err := c.Accounts[0].Password(context.Background()); err != nil || pw != "h" {
		t.Errorf("account Password() = %q, %v, want h from Options.LookupEnv", pw, err)
	}
	if pw, err := c.Web.Password(context.Background()); err != nil || pw != "w" {
		t.Errorf("web Password() = %q, %v, want w", pw, err)
	}
	if pw, err := Default().Web.Password(context.Background()); err != nil || pw != "" {
		t.Errorf("web Password() without one = %q, %v, want \"\", nil", pw, err)
	}
}

func TestSplitCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"pass show mail/home", []string{"pass", "show", "mail/home"}},
		{"  a\t b\n c  ", []string{"a", "b", "c"}},
		{`a 'b c' "d e"`, []string{"a", "b c", "d e"}},
		{`a 'it''s' x`, []string{"a", "its", "x"}},
		{`a "say \"hi\" \$5 \\ \n"`, []string{"a", `say "hi" $5 \ \n`}},
		{`a b\ c \'d`, []string{"a", "b c", "'d"}},
		{`a '' ""`, []string{"a", "", ""}},
		{`a '$HOME | x'`, []string{"a", "$HOME | x"}},
		{"~/bin/pw ~ a~ '~/q' x/~", []string{"/home/tester/bin/pw", "/home/tester", "a~", "~/q", "x/~"}},
		{"~bob/pw", []string{"~bob/pw"}},
		{`sh -c 'pass show x | head -1'`, []string{"sh", "-c", "pass show x | head -1"}},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in, testHome)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitCommand(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{
		"", "   ", "a 'b", `a "b`, `a \`, "a | b", "a; b", "a && b", "a > f", "a $X", `a "$X"`, "a `b`", `a "b` + "`c`" + `"`, "a (b)",
	} {
		if got, err := splitCommand(bad, testHome); err == nil {
			t.Errorf("splitCommand(%q) = %q, want an error", bad, got)
		}
	}
}

// FuzzSplitCommand checks that splitting never panics and that a split
// command has a program.
func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"pass show x", `a "b\"c" 'd'`, "~/x", `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv, err := splitCommand(s, "/h")
		if err == nil && len(argv) == 0 {
			t.Errorf("splitCommand(%q) = no words, no error", s)
		}
	})
}
