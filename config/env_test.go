package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	text := `archive_dir = "/from/file"
[schedule]
cron = "@daily"
` + validIMAP + validPOP3
	env := map[string]string{
		"MAILKEEP_ARCHIVE_DIR":                     "/from/env",
		"MAILKEEP_WEB_LISTEN":                      "127.0.0.1:9999",
		"MAILKEEP_SCHEDULE_CRON":                   "@every 6h",
		"MAILKEEP_SCHEDULE_JITTER":                 "1m",
		"MAILKEEP_ACCOUNT_HOME_PORT":               "1993",
		"MAILKEEP_ACCOUNT_HOME_INCLUDE":            "INBOX, Archive/* ,",
		"MAILKEEP_ACCOUNT_HOME_MAX_MESSAGE_SIZE":   "1MB",
		"MAILKEEP_ACCOUNT_HOME_NAME":               "renamed", // the name has no override
		"MAILKEEP_ACCOUNT_OLD_ISP_DELETE":          "after-archive",
		"MAILKEEP_ACCOUNT_OLD_ISP_HOST":            "localhost",
		"MAILKEEP_ACCOUNT_OLD_ISP_SECURITY":        "none",
		"MAILKEEP_ACCOUNT_OLD_ISP_ALLOW_PLAINTEXT": "true",
		"MAILKEEP_ACCOUNT_OLD_ISP_USERNAME":        "", // empty: unset
	}
	c := mustLoad(t, text, env)
	home, pop := c.Accounts[0], c.Accounts[1]
	checks := []struct {
		what      string
		got, want any
	}{
		{"archive_dir", c.ArchiveDir, "/from/env"},
		{"web.listen", c.Web.Listen, "127.0.0.1:9999"},
		{"schedule.cron", c.Schedule.Cron, "@every 6h"},
		{"schedule.jitter", c.Schedule.Jitter, time.Minute},
		{"home.name", home.Name, "home"},
		{"home.port", home.Port, 1993},
		{"home.include", home.Include, []string{"INBOX", "Archive/*"}},
		{"home.max_message_size", home.MaxMessageSize, int64(1000000)},
		{"old-isp.delete", pop.Delete, DeletePolicy{Mode: DeleteAfterArchive}},
		{"old-isp.host", pop.Host, "localhost"},
		{"old-isp.security", pop.Security, SecurityNone},
		{"old-isp.port", pop.Port, 110}, // the default follows the overridden security
		{"old-isp.allow_plaintext", pop.AllowPlaintext, true},
		{"old-isp.username", pop.Username, "me"},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.what, ck.got, ck.want)
		}
	}
}

// TestEnvPasswordReplacesFile checks that a password source from the
// environment replaces the file's instead of conflicting with it.
func TestEnvPasswordReplacesFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want Secret
	}{
		{map[string]string{"MAILKEEP_ACCOUNT_OLD_ISP_PASSWORD": "pw"}, Secret{Password: "pw"}},
		{map[string]string{"MAILKEEP_ACCOUNT_OLD_ISP_PASSWORD_ENV": "OTHER"}, Secret{Env: "OTHER"}},
		{map[string]string{"MAILKEEP_ACCOUNT_OLD_ISP_PASSWORD_COMMAND": "pass other"}, Secret{Command: "pass other"}},
		{nil, Secret{Command: "pass show old-isp"}},
	}
	for _, tt := range tests {
		c := mustLoad(t, validPOP3, tt.env)
		s := c.Accounts[0].Secret
		if s.Password != tt.want.Password || s.Env != tt.want.Env || s.Command != tt.want.Command {
			t.Errorf("with %v: secret = %#v, want %#v", tt.env, s, tt.want)
		}
	}

	// Two sources from the environment do conflict.
	_, _, err := load(t, validPOP3, map[string]string{
		"MAILKEEP_ACCOUNT_OLD_ISP_PASSWORD":     "pw",
		"MAILKEEP_ACCOUNT_OLD_ISP_PASSWORD_ENV": "X",
	})
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Env != "MAILKEEP_ACCOUNT_OLD_ISP_PASSWORD_ENV" {
		t.Errorf("two password overrides: %v", err)
	}

	// The web password too.
	c := mustLoad(t, "[web]\nlisten = \"0.0.0.0:80\"\npassword_command = \"pass web\"",
		map[string]string{"MAILKEEP_WEB_PASSWORD_ENV": "WEBPW"})
	if c.Web.Secret.Command != "" || c.Web.Secret.Env != "WEBPW" {
		t.Errorf("web secret = %#v, want only Env WEBPW", c.Web.Secret)
	}
}

// envValues holds a valid override for every key but an account's name.
var envValues = map[string]string{
	"archive_dir":      "/env/archive",
	"listen":           "127.0.0.1:1",
	"password":         "pw",
	"password_env":     "PW_VAR",
	"password_command": "pass x",
	"cron":             "@hourly",
	"jitter":           "1s",
	"stale_after":      "1d",
	"protocol":         "pop3",
	"host":             "localhost",
	"port":             "1",
	"security":         "starttls",
	"username":         "u",
	"tls_ca_file":      "/",
	"allow_plaintext":  "true",
	"include":          "A",
	"exclude":          "B",
	"delete":           "never",
	"max_message_size": "1",
	"connections":      "1",
	"auth":             "plain",
}

// TestEveryKeyHasOverride walks every key of Config and checks that its
// variable is read.
func TestEveryKeyHasOverride(t *testing.T) {
	t.Parallel()
	for _, k := range allKeys() {
		if k.name == "name" && k.table == "[[account]]" {
			continue
		}
		val, ok := envValues[k.name]
		if !ok {
			t.Errorf("no test value for the override of %s %s: add one to envValues", k.table, k.name)
			continue
		}
		var key, envVar string
		switch k.table {
		case "":
			key, envVar = k.name, "MAILKEEP_"+strings.ToUpper(k.name)
		case "[[account]]":
			key, envVar = "account[0]."+k.name, "MAILKEEP_ACCOUNT_HOME_"+strings.ToUpper(k.name)
		default:
			sec := strings.Trim(k.table, "[]")
			key, envVar = sec+"."+k.name, "MAILKEEP_"+strings.ToUpper(sec+"_"+k.name)
		}
		// Protocol pop3 and include/exclude conflict; only decoding matters here.
		d := newDecoder(envMap(map[string]string{envVar: val}))
		c := Default()
		raw, _, _ := parse([]byte(validIMAP))
		d.config(c, raw)
		if d.from[key] != envVar {
			t.Errorf("$%s did not override %s", envVar, key)
		}
		for _, p := range d.problems.list {
			t.Errorf("$%s=%s: %v", envVar, val, p.format(""))
		}
	}
}
