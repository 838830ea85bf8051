package config

import (
	"strings"
	"testing"
)

// TestErrors loads bad configurations and checks that the error names the
// file and the key and says what is expected.
func TestErrors(t *testing.T) {
	t.Parallel()
	// acct is an account with everything required; tests add or replace keys.
	acct := func(extra string) string {
		return "[[account]]\nname = \"home\"\nprotocol = \"imap\"\nhost = \"imap.example.com\"\n" +
			"username = \"me\"\npassword_env = \"PW\"\n" + extra + "\n"
	}
	pop := func(extra string) string {
		return strings.Replace(acct(extra), `"imap"`, `"pop3"`, 1)
	}
	tests := []struct {
		name string
		text string
		env  map[string]string
		key  string // the problem's key
		msg  string // part of the message
	}{
		// Unknown keys, at every level.
		{"unknown top", `archive_dri = "x"`, nil, "archive_dri", "unknown key (did you mean archive_dir?)"},
		{"unknown web", "[web]\nlisten_addr = \"x:1\"", nil, "web.listen_addr", "unknown key"},
		{"unknown schedule", "[schedule]\ncorn = \"@daily\"", nil, "schedule.corn", "did you mean cron?"},
		{"unknown table", "[tls]\nx = 1", nil, "tls", "unknown key"},
		{"unknown nested table", "[web.tls]\nx = 1", nil, "web.tls", "unknown key"},
		{"unknown account", acct(`hots = "x"`), nil, "account[0].hots", "did you mean host?"},
		{"unknown second account", acct("") + strings.Replace(acct(`usr = "x"`), `"home"`, `"work"`, 1), nil, "account[1].usr", "unknown key"},
		{"top key after account", acct(`archive_dir = "/x"`), nil, "account[0].archive_dir",
			"archive_dir is a key of the top level (write top-level keys before the first [table])"},
		{"web key at top", `listen = "x:1"`, nil, "listen", "listen is a key of [web]"},

		// Wrong types.
		{"web not table", `web = "127.0.0.1:80"`, nil, "web", `expected a table ([web]), got string "127.0.0.1:80"`},
		{"account one table", "[account]\nname = \"x\"", nil, "account", "expected [[account]] tables, got a table"},
		{"string", "[web]\nlisten = 8025", nil, "web.listen", "expected a string, got integer 8025"},
		{"integer", acct(`port = "993"`), nil, "account[0].port", `expected an integer, got string "993"`},
		{"float", acct(`port = 993.5`), nil, "account[0].port", "expected an integer, got float 993.5"},
		{"bool", acct(`allow_plaintext = "yes"`), nil, "account[0].allow_plaintext", "expected true or false"},
		{"list", acct(`include = "INBOX"`), nil, "account[0].include", `expected an array of strings like ["INBOX"]`},
		{"list item", acct(`exclude = ["Trash", 1]`), nil, "account[0].exclude", "expected an array of strings"},
		{"duration type", "[schedule]\nstale_after = 72", nil, "schedule.stale_after", `expected a duration string like "72h"`},
		{"duration", "[schedule]\njitter = \"soon\"", nil, "schedule.jitter", `"soon" is not a duration`},
		{"negative duration", "[schedule]\njitter = \"-5m\"", nil, "schedule.jitter", "is not a duration"},
		{"zero stale", "[schedule]\nstale_after = \"0s\"", nil, "schedule.stale_after", "must be positive"},
		{"size", acct(`max_message_size = "lots"`), nil, "account[0].max_message_size", `"lots" is not a size`},
		{"size type", acct(`max_message_size = true`), nil, "account[0].max_message_size", `expected a size like "100MB"`},
		{"zero size", acct(`max_message_size = 0`), nil, "account[0].max_message_size", "must be positive"},
		{"zero connections", acct(`connections = 0`), nil, "account[0].connections", "must be 1 to 8"},
		{"many connections", acct(`connections = 20`), nil, "account[0].connections", "must be 1 to 8"},
		{"pop3 connections", pop(`connections = 2`), nil, "account[0].connections", "applies only to imap accounts"},
		{"date", `archive_dir = 1979-05-27`, nil, "archive_dir", "expected a string, got a date-time"},

		// Missing fields.
		{"no name", "[[account]]\nprotocol = \"imap\"\nhost = \"h\"\nusername = \"u\"\npassword_env = \"P\"",
			nil, "account[0].name", "missing"},
		{"no protocol", strings.Replace(acct(""), "protocol = \"imap\"\n", "", 1), nil, "account[0].protocol", "missing (want imap or pop3)"},
		{"no host", strings.Replace(acct(""), "host = \"imap.example.com\"\n", "", 1), nil, "account[0].host", "missing"},
		{"no username", strings.Replace(acct(""), "username = \"me\"\n", "", 1), nil, "account[0].username", "missing"},
		{"no password", strings.Replace(acct(""), "password_env = \"PW\"\n", "", 1), nil, "account[0].password_command",
			"set password_command, password_env or password"},

		// Bad values.
		{"duplicate name", acct("") + pop(""), nil, "account[1].name", `"home" is already the name of account[0]`},
		{"env name clash", acct("") + strings.Replace(acct(""), `"home"`, `"HOME"`, 1), nil, "account[1].name",
			"same environment overrides (MAILKEEP_ACCOUNT_HOME_…)"},
		{"name with space", strings.Replace(acct(""), `"home"`, `"my home"`, 1), nil, "account[0].name", "must not contain spaces"},
		{"protocol", strings.Replace(acct(""), `"imap"`, `"smtp"`, 1), nil, "account[0].protocol", `"smtp" is not valid (want imap or pop3)`},
		{"security", acct(`security = "tsl"`), nil, "account[0].security", `"tsl" is not valid (want tls, starttls or none)`},
		{"port range", acct(`port = 70000`), nil, "account[0].port", "70000 is not a port number (want 1-65535)"},
		{"host with port", strings.Replace(acct(""), `"imap.example.com"`, `"imap.example.com:993"`, 1), nil,
			"account[0].host", "includes a port"},
		{"host with scheme", strings.Replace(acct(""), `"imap.example.com"`, `"imaps://imap.example.com"`, 1), nil,
			"account[0].host", "without a scheme"},
		{"cron", "[schedule]\ncron = \"0 3 * *\"", nil, "schedule.cron", `"0 3 * *" is not a valid schedule`},
		{"cron seconds", "[schedule]\ncron = \"0 0 3 * * *\"", nil, "schedule.cron", "is not a valid schedule"},
		{"cron descriptor", "[schedule]\ncron = \"@sometimes\"", nil, "schedule.cron", "is not a valid schedule"},
		{"delete on imap", acct(`delete = "never"`), nil, "account[0].delete", "applies only to pop3 accounts"},
		{"delete value", pop(`delete = "sometimes"`), nil, "account[0].delete",
			`"sometimes" is not valid (want never, after-archive or older-than:DURATION`},
		{"delete older-than zero", pop(`delete = "older-than:0d"`), nil, "account[0].delete", "must be positive"},
		{"delete older-than bad", pop(`delete = "older-than:a month"`), nil, "account[0].delete", "is not a duration"},
		{"include on pop3", pop(`include = ["INBOX"]`), nil, "account[0].include", "applies only to imap accounts"},
		{"exclude on pop3", pop(`exclude = ["Trash"]`), nil, "account[0].exclude", "applies only to imap accounts"},
		{"empty include", acct(`include = []`), nil, "account[0].include", "is empty"},
		{"bad pattern", acct(`exclude = ["Trash", " "]`), nil, "account[0].exclude", `" " is not a valid mailbox pattern`},
		{"plaintext", acct(`security = "none"`), nil, "account[0].security",
			"unencrypted to imap.example.com; use tls or starttls, or set allow_plaintext = true"},
		{"two passwords", acct(`password = "x"`), nil, "account[0].password_env", "conflicts with password: set only one"},
		{"three passwords", acct("password = \"x\"\npassword_command = \"y\""), nil, "account[0].password_env", "conflicts with password"},
		{"password_env name", strings.Replace(acct(""), `"PW"`, `"$PW"`, 1), nil, "account[0].password_env",
			`"$PW" is not an environment variable name`},
		{"shell syntax", strings.Replace(acct(""), `password_env = "PW"`, `password_command = "pass show x | head -1"`, 1), nil,
			"account[0].password_command", `"|" is shell syntax, but the command runs without a shell`},
		{"unterminated quote", strings.Replace(acct(""), `password_env = "PW"`, `password_command = "pass show 'x"`, 1), nil,
			"account[0].password_command", "unterminated ' quote"},
		{"apop on imap", acct(`auth = "apop"`), nil, "account[0].auth", "apop applies only to pop3 accounts"},
		{"auth", pop(`auth = "kerberos"`), nil, "account[0].auth", `"kerberos" is not valid (want plain, or apop for pop3)`},
		{"tls_ca_file", acct(`tls_ca_file = "/nonexistent/ca.pem"`), nil, "account[0].tls_ca_file", "no such file"},
		{"web listen", "[web]\nlisten = \"8025\"", nil, "web.listen", `"8025" is not host:port`},
		{"web listen port", "[web]\nlisten = \"localhost:http-alt\"", nil, "web.listen", "has no valid port number"},
		{"web password", "[web]\nlisten = \"0.0.0.0:8025\"", nil, "web.listen",
			"reachable from other machines, so the web UI needs a password"},
		{"web password all interfaces", "[web]\nlisten = \":8025\"", nil, "web.listen", "needs a password"},
		{"web two passwords", "[web]\npassword = \"a\"\npassword_env = \"B\"", nil, "web.password_env", "conflicts with password"},

		// Syntax.
		{"syntax", "archive_dir = \"x\"\n[web\n", nil, "", "syntax error"},
		{"duplicate key", "archive_dir = \"x\"\narchive_dir = \"y\"\n", nil, "", "syntax error"},

		// Overrides get the same checks, and the problem names the variable.
		{"env int", acct(""), map[string]string{"MAILKEEP_ACCOUNT_HOME_PORT": "imaps"}, "account[0].port",
			`expected an integer, got "imaps"`},
		{"env bool", acct(""), map[string]string{"MAILKEEP_ACCOUNT_HOME_ALLOW_PLAINTEXT": "sure"}, "account[0].allow_plaintext",
			"expected true or false"},
		{"env enum", acct(""), map[string]string{"MAILKEEP_ACCOUNT_HOME_SECURITY": "ssl"}, "account[0].security", `"ssl" is not valid`},
		{"env cron", "", map[string]string{"MAILKEEP_SCHEDULE_CRON": "daily"}, "schedule.cron", "is not a valid schedule"},
		{"env duration", "", map[string]string{"MAILKEEP_SCHEDULE_STALE_AFTER": "3 days"}, "schedule.stale_after", "is not a duration"},
		{"env listen", "", map[string]string{"MAILKEEP_WEB_LISTEN": "0.0.0.0:80"}, "web.listen", "needs a password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, path, err := load(t, tt.text, tt.env)
			if err == nil {
				t.Fatalf("LoadWith(%q) = nil error, want %s: %s", tt.text, tt.key, tt.msg)
			}
			ps := problemsOf(t, err)
			var found *Problem
			for i, p := range ps {
				if p.Key == tt.key && strings.Contains(p.Msg, tt.msg) {
					found = &ps[i]
				}
			}
			if found == nil {
				t.Fatalf("LoadWith(%q) problems:\n%v\nwant key %q with %q", tt.text, err, tt.key, tt.msg)
			}
			line := found.format(path)
			if !strings.Contains(err.Error(), line) || !strings.HasPrefix(line, path+":") {
				t.Errorf("error text %q does not contain %q", err, line)
			}
			if tt.key != "" && !strings.Contains(line, ": "+tt.key) {
				t.Errorf("error line %q does not name the key %s", line, tt.key)
			}
			for k, v := range tt.env {
				if found.Env != k || !strings.Contains(line, "$"+k) {
					t.Errorf("problem %q does not name $%s", line, k)
				}
				_ = v
			}
			if len(ps) != 1 {
				t.Errorf("LoadWith(%q) has %d problems, want 1:\n%v", tt.text, len(ps), err)
			}
		})
	}
}

func TestErrorsAllAtOnce(t *testing.T) {
	t.Parallel()
	_, path, err := load(t, `
archive_dri = "x"
[web]
listen = 8025
[schedule]
cron = "often"
[[account]]
name = "a"
protocol = "imap"
host = 5
security = "tsl"
[[account]]
name = "a"
protocol = "pop3"
host = "h"
username = "u"
password_env = "P"
delete = "always"
`, nil)
	ps := problemsOf(t, err)
	want := []string{
		"archive_dri", "web.listen", "schedule.cron",
		"account[0].host", "account[0].security", "account[0].username", "account[0].password_command",
		"account[1].delete", "account[1].name",
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Key)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("problem keys = %v, want %v\n%v", got, want, err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("error has %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, path+": ") {
			t.Errorf("line %q does not start with the file", l)
		}
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	t.Parallel()
	_, path, err := load(t, "archive_dir = \"x\"\n\n[web]\nlisten = \n", nil)
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Line != 4 {
		t.Fatalf("problems = %+v, want one on line 4", ps)
	}
	if !strings.HasPrefix(err.Error(), path+":4:") {
		t.Errorf("error = %q, want it to start with %s:4:", err, path)
	}
}

func TestPlaintextAllowed(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		strings.Replace(validIMAP, `"imap.example.com"`, `"localhost"`, 1) + `security = "none"`,
		strings.Replace(validIMAP, `"imap.example.com"`, `"127.0.0.1"`, 1) + `security = "none"`,
		strings.Replace(validIMAP, `"imap.example.com"`, `"::1"`, 1) + `security = "none"`,
		validIMAP + "security = \"none\"\nallow_plaintext = true",
		validIMAP + `security = "starttls"`,
	} {
		if _, _, err := load(t, text, nil); err != nil {
			t.Errorf("LoadWith(%q) = %v, want no error", text, err)
		}
	}
}
