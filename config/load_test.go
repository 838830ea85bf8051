package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, validIMAP+validPOP3, nil)
	if c.Web.Listen != DefaultListen || c.Schedule.Cron != DefaultCron || c.Schedule.StaleAfter != DefaultStaleAfter {
		t.Errorf("web/schedule = %+v %+v, want defaults", c.Web, c.Schedule)
	}
	if c.ArchiveDir != "" {
		t.Errorf("ArchiveDir = %q, want \"\"", c.ArchiveDir)
	}
	home, pop := c.Accounts[0], c.Accounts[1]
	if home.Port != 993 || home.Security != SecurityTLS || !reflect.DeepEqual(home.Include, []string{"*"}) ||
		home.Exclude != nil || home.Delete != (DeletePolicy{}) || home.MaxMessageSize != DefaultMaxMessageSize || home.Auth != AuthPlain ||
		home.Connections != DefaultConnections {
		t.Errorf("imap account defaults = %#v", home)
	}
	if pop.Port != 995 || pop.Include != nil || pop.Delete != (DeletePolicy{Mode: DeleteNever}) || pop.Connections != 0 {
		t.Errorf("pop3 account defaults = %#v", pop)
	}
}

func TestDefaultPorts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		protocol, security string
		want               int
	}{
		{"imap", "tls", 993}, {"imap", "starttls", 143}, {"imap", "none", 143},
		{"pop3", "tls", 995}, {"pop3", "starttls", 110}, {"pop3", "none", 110},
	}
	for _, tt := range tests {
		text := strings.Replace(validIMAP, `"imap"`, `"`+tt.protocol+`"`, 1) +
			"security = \"" + tt.security + "\"\nhost = \"localhost\"\n"
		text = strings.Replace(text, `host = "imap.example.com"`, "", 1)
		c := mustLoad(t, text, nil)
		if got := c.Accounts[0].Port; got != tt.want {
			t.Errorf("port for %s/%s = %d, want %d", tt.protocol, tt.security, got, tt.want)
		}
	}
}

func TestLoadDecodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	text := `
archive_dir = "~/Mail"
[web]
listen = "0.0.0.0:9000"
password_command = "pass show web"
[schedule]
cron = "@every 6h"
jitter = "5m"
stale_after = "3d"
[[account]]
name = "old-isp"
protocol = "pop3"
host = "pop.example.net"
port = 1995
username = "me"
password = "inline"
delete = "older-than:30d"
max_message_size = "1.5MiB"
auth = "apop"
tls_ca_file = "ca.pem"
[[account]]
name = "big"
protocol = "imap"
host = "localhost"
security = "none"
username = "me"
password_env = "X"
max_message_size = 4096
connections = 3
include = ["INBOX", "Archive/*"]
exclude = []
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadWith(path, Options{LookupEnv: envMap(map[string]string{"HOME": testHome})})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.secrets() {
		*s = Secret{Password: s.Password, Env: s.Env, Command: s.Command} // drop the unexported seams
	}
	want := &Config{
		Path:       path,
		ArchiveDir: testHome + "/Mail",
		Web:        Web{Listen: "0.0.0.0:9000", Secret: Secret{Command: "pass show web"}},
		Schedule:   Schedule{Cron: "@every 6h", Jitter: 5 * time.Minute, StaleAfter: 72 * time.Hour},
		Accounts: []Account{{
			Name: "old-isp", Protocol: POP3, Host: "pop.example.net", Port: 1995, Security: SecurityTLS,
			Username: "me", Secret: Secret{Password: "inline"}, TLSCAFile: filepath.Join(dir, "ca.pem"),
			Delete:         DeletePolicy{Mode: DeleteOlderThan, OlderThan: 30 * 24 * time.Hour},
			MaxMessageSize: 1572864, Auth: AuthAPOP,
		}, {
			Name: "big", Protocol: IMAP, Host: "localhost", Port: 143, Security: SecurityNone,
			Username: "me", Secret: Secret{Env: "X"}, Include: []string{"INBOX", "Archive/*"}, Exclude: []string{},
			MaxMessageSize: 4096, Connections: 3, Auth: AuthPlain,
		}},
	}
	c.from = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("LoadWith(%s) =\n%#v\nwant\n%#v", path, c, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, err := LoadWith(path, Options{LookupEnv: envMap(nil)})
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadWith(missing) error = %v, want fs.ErrNotExist and ErrConfig naming the file", err)
	}

	env := map[string]string{"MAILKEEP_ARCHIVE_DIR": "/srv/mail", "MAILKEEP_WEB_LISTEN": "127.0.0.1:9"}
	c, err := LoadWith(path, Options{LookupEnv: envMap(env), Optional: true})
	if err != nil {
		t.Fatalf("LoadWith(missing, Optional) error = %v", err)
	}
	if c.Path != "" || c.ArchiveDir != "/srv/mail" || c.Web.Listen != "127.0.0.1:9" || len(c.Accounts) != 0 {
		t.Errorf("LoadWith(missing, Optional) = %v, want defaults with the overrides and Path \"\"", c)
	}

	env["MAILKEEP_SCHEDULE_CRON"] = "never"
	_, err = LoadWith(path, Options{LookupEnv: envMap(env), Optional: true})
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Env != "MAILKEEP_SCHEDULE_CRON" {
		t.Errorf("bad override without a file: problems %+v", ps)
	}
}

func TestRelativePaths(t *testing.T) {
	t.Parallel()
	c, path, err := load(t, `archive_dir = "archive"`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "archive"); c.ArchiveDir != want {
		t.Errorf("relative archive_dir from the file = %q, want %q (beside the file)", c.ArchiveDir, want)
	}
	c = mustLoad(t, `archive_dir = "archive"`, map[string]string{"MAILKEEP_ARCHIVE_DIR": "elsewhere"})
	wd, _ := os.Getwd()
	if want := filepath.Join(wd, "elsewhere"); c.ArchiveDir != want {
		t.Errorf("relative MAILKEEP_ARCHIVE_DIR = %q, want %q (in the working directory)", c.ArchiveDir, want)
	}
}

func TestConfigAccount(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, validIMAP+validPOP3, nil)
	if a, ok := c.Account("old-isp"); !ok || a.Protocol != POP3 {
		t.Errorf("Account(old-isp) = %v, %v", a, ok)
	}
	if _, ok := c.Account("nope"); ok {
		t.Error("Account(nope) found")
	}
}

func TestValidateAfterChange(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, validIMAP, nil)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() of a loaded config = %v", err)
	}
	c.Accounts[0].Security = "tsl"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), c.Path+": account[0].security: ") {
		t.Errorf("Validate() = %v, want account[0].security named with the file", err)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestCheckListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listen string
		secret Secret
		ok     bool
	}{
		{"127.0.0.1:8025", Secret{}, true},
		{"localhost:80", Secret{}, true},
		{"[::1]:8025", Secret{}, true},
		{"0.0.0.0:8025", Secret{}, false},
		{":8025", Secret{}, false},
		{"192.168.1.2:8025", Secret{Env: "X"}, true},
		{"no-port", Secret{Env: "X"}, false},
	}
	for _, tt := range tests {
		err := Web{Secret: tt.secret}.CheckListen(tt.listen)
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("CheckListen(%q) = %v, want ok %v", tt.listen, err, tt.ok)
		}
	}
}
