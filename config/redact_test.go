package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestNoPasswordPrinted prints and logs configurations holding passwords in
// every way we can think of and checks that no password shows.
func TestNoPasswordPrinted(t *testing.T) {
	t.Parallel()
	const (
		inline  = "hunter2-inline"
		webPW   = "hunter2-web"
		cmdArgs = "topsecret-arg"
	)
	c := mustLoad(t, `
[web]
listen = "0.0.0.0:8025"
password = "`+webPW+`"
[[account]]
name = "home"
protocol = "imap"
host = "imap.example.com"
username = "me"
password = "`+inline+`"
[[account]]
name = "work"
protocol = "imap"
host = "imap.example.com"
username = "me"
password_command = "echo `+cmdArgs+`"
`, nil)
	secrets := []string{inline, webPW, cmdArgs}

	values := map[string]any{
		"*Config": c, "Config": *c, "Account": c.Accounts[0], "*Account": &c.Accounts[0],
		"[]Account": c.Accounts, "Web": c.Web, "Secret": c.Accounts[0].Secret, "*Secret": &c.Accounts[1].Secret,
		"struct": struct{ A Account }{c.Accounts[0]},
	}
	var out bytes.Buffer
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			fmt.Fprintf(&out, name+" "+verb+": "+verb+"\n", v)
		}
		fmt.Fprintln(&out, v)
		if b, err := json.Marshal(v); err == nil {
			out.Write(b)
		}
	}
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		log := slog.New(h)
		log.Info("loaded", "config", c, "account", c.Accounts[0], "accounts", c.Accounts, "web", c.Web)
		log.Info("any", "struct", struct{ A Account }{c.Accounts[1]}, "secret", c.Accounts[0].Secret)
	}
	for _, s := range secrets {
		for _, form := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))} {
			if strings.Contains(out.String(), form) {
				t.Errorf("output contains %q:\n%s", form, out.String())
			}
		}
	}
	// And the descriptions are still useful.
	for _, want := range []string{"password [redacted]", "password_command echo …", "home", "imap.example.com"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not mention %q", want)
		}
	}
}

func TestSecretString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Secret
		want string
	}{
		{Secret{Password: "x"}, "password [redacted]"},
		{Secret{Env: "MAIL_PW"}, "password_env MAIL_PW"},
		{Secret{Command: "pass show mail/home"}, "password_command pass …"},
		{Secret{Command: "getpw"}, "password_command getpw"},
		{Secret{}, "no password"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Secret.String() = %q, want %q", got, tt.want)
		}
	}
	if got, want := fmt.Sprintf("%#v", Secret{Password: "x", Env: "E"}),
		`config.Secret{Password:"[redacted]", Env:"E", Command:""}`; got != want {
		t.Errorf("%%#v = %s, want %s", got, want)
	}
}
