package testbin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/internal/dovecottest"
)

// Dovecot returns the mailkeep binary configured with one account,
// "acct", on s's listener p (IMAP or POP3, without TLS), and a new
// archive; keys are more settings for the account, one a line.
func Dovecot(tb testing.TB, s *dovecottest.Server, p dovecottest.Protocol, keys string) Mailkeep {
	tb.Helper()
	if p != dovecottest.IMAP && p != dovecottest.POP3 {
		tb.Fatalf("testbin.Dovecot(%v): want IMAP or POP3", p)
	}
	dir := tb.TempDir()
	k := Mailkeep{Bin: Binary(tb), Config: filepath.Join(dir, "config.toml"), Archive: filepath.Join(dir, "archive")}
	_, port, _ := strings.Cut(s.Addr(p), ":")
	conf := fmt.Sprintf(`archive_dir = %q

[[account]]
name = "acct"
protocol = %q
host = "127.0.0.1"
port = %s
security = "none"
username = %q
password_env = "MAILKEEP_TEST_PASSWORD"
%s`, k.Archive, strings.ToLower(p.String()), port, s.User(), keys)
	if err := os.WriteFile(k.Config, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	k.Env = []string{"MAILKEEP_TEST_PASSWORD=" + s.Password(), "MAILKEEP_CONFIG=" + k.Config}
	return k
}
