package dovecottest

import (
	"errors"
	"os"
	"text/template"
)

// confData fills confTmpl.
type confData struct {
	BaseDir, StateDir, Log   string
	Passwd, Cert, Key        string
	UID, GID                 int
	InternalUser, LoginUser  string // empty: Dovecot's defaults (dovecot, dovenull)
	InternalGroup            string // empty: Dovecot's default (dovecot)
	Rootless                 bool   // not started as root: no chroot, no user switching
	IMAP, IMAPS, POP3, POP3S int
	Extra                    string
}

// confTmpl is a complete dovecot.conf: nothing is read from /etc/dovecot.
//
// Gotchas, learnt the hard way:
//   - base_dir holds UNIX sockets, whose paths are limited to 108 bytes, so
//     it lives in a short directory of its own rather than in t.TempDir().
//   - Dovecot refuses a mail owner below first_valid_uid (500 by default)
//     and uid 0 always; the mail user is a system user, so the range is set
//     to exactly its uid.
//   - The mail processes run as that user and must reach the Maildir, the
//     passwd file is read by the auth process as user "dovecot": every
//     directory on the way must be world-traversable.
//   - mail_max_userip_connections defaults to 10 per user and IP, too few
//     for tests that open connections in parallel.
//   - mailbox names are stored on disk in modified UTF-7 (see MailboxDir).
var confTmpl = template.Must(template.New("dovecot.conf").Parse(`# Written by dovecottest for one test run; not a production configuration.
base_dir = {{.BaseDir}}
state_dir = {{.StateDir}}
log_path = {{.Log}}
info_log_path = {{.Log}}
protocols = imap pop3
listen = 127.0.0.1
shutdown_clients = yes
{{- if .InternalUser}}
default_internal_user = {{.InternalUser}}
{{- end}}
{{- if .InternalGroup}}
default_internal_group = {{.InternalGroup}}
{{- end}}
{{- if .LoginUser}}
default_login_user = {{.LoginUser}}
{{- end}}
first_valid_uid = {{.UID}}
last_valid_uid = {{.UID}}
first_valid_gid = {{.GID}}
last_valid_gid = {{.GID}}

disable_plaintext_auth = no
# A failed login is still answered only within 0.5s (a timer in the auth process).
auth_failure_delay = 0s
auth_mechanisms = plain login
# Any user name, "ü@example.org" too (the default allows ASCII letters, digits and .-_@).
auth_username_chars =
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.Passwd}}
}
userdb {
  driver = passwd-file
  args = username_format=%u {{.Passwd}}
}

mail_location = maildir:~/Maildir:LAYOUT=fs:INBOX=~/Maildir/INBOX
namespace inbox {
  inbox = yes
  separator = /
}
# The server's durability is not under test; this makes APPEND fast.
mail_fsync = never

ssl = yes
ssl_cert = <{{.Cert}}
ssl_key = <{{.Key}}

pop3_uidl_format = %08Xu%08Xv
protocol imap {
  mail_max_userip_connections = 1000
}
protocol pop3 {
  mail_max_userip_connections = 1000
}

service imap-login {
  inet_listener imap {
    port = {{.IMAP}}
  }
  inet_listener imaps {
    port = {{.IMAPS}}
    ssl = yes
  }
{{- if .Rootless}}
  chroot =
{{- end}}
}
service pop3-login {
  inet_listener pop3 {
    port = {{.POP3}}
  }
  inet_listener pop3s {
    port = {{.POP3S}}
    ssl = yes
  }
{{- if .Rootless}}
  chroot =
{{- end}}
}
# Tests log in with wrong passwords on purpose: no growing penalty delay.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
{{- if .Rootless}}
  chroot =
{{- end}}
}
{{- if .Rootless}}
service imap-urlauth-login {
  chroot =
}
{{- end}}
{{- if .Extra}}

# Options.Config
{{.Extra}}
{{- end}}
`))

func writeConf(path string, d confData) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = confTmpl.Execute(f, d)
	return errors.Join(err, f.Close())
}
