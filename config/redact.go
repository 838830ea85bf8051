package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// The String, GoString, Format and LogValue methods below describe
// configurations without their passwords, so that printing or logging a
// Config, an Account or a Secret in any way cannot leak one.

const redacted = "[redacted]"

// String says where the password comes from, without it: "password
// [redacted]", "password_env MAIL_PW", "password_command pass …" (the
// command's arguments are left out too) or "no password".
func (s Secret) String() string {
	switch {
	case s.Password != "":
		return "password " + redacted
	case s.Env != "":
		return "password_env " + s.Env
	case s.Command != "":
		return "password_command " + commandName(s.Command)
	}
	return "no password"
}

// GoString is like the default %#v, with the password and the command's
// arguments redacted.
func (s Secret) GoString() string {
	hide := func(v string) string {
		if v == "" {
			return `""`
		}
		return `"` + redacted + `"`
	}
	return fmt.Sprintf("config.Secret{Password:%s, Env:%q, Command:%s}", hide(s.Password), s.Env, hide(s.Command))
}

// Format prints s as String does under every verb (GoString under %#v),
// so that even %x or %d on a struct holding a Secret shows no password.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue logs s as String does.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes s as String does.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// String summarizes the account without its password: its name, how and
// where it connects, and the password's source.
func (a Account) String() string {
	return fmt.Sprintf("%s (%s %s@%s:%d %s, %v)", a.Name, a.Protocol, a.Username, a.Host, a.Port, a.Security, a.Secret)
}

// LogValue logs the account's identity and connection, never its password.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", a.Name),
		slog.String("protocol", string(a.Protocol)),
		slog.String("host", a.Host),
		slog.Int("port", a.Port),
		slog.String("security", string(a.Security)),
		slog.String("username", a.Username),
		slog.String("password_source", a.Secret.String()),
	)
}

// String summarizes the web settings without the password.
func (w Web) String() string { return fmt.Sprintf("listen %s, %v", w.Listen, w.Secret) }

// LogValue logs the web settings without the password.
func (w Web) LogValue() slog.Value {
	return slog.GroupValue(slog.String("listen", w.Listen), slog.String("password_source", w.Secret.String()))
}

// String summarizes the configuration without any password.
func (c *Config) String() string {
	names := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		names[i] = a.String()
	}
	path := c.Path
	if path == "" {
		path = "(defaults)"
	}
	return fmt.Sprintf("config %s: archive_dir=%q web={%v} schedule={cron %q, jitter %v, stale_after %v} accounts=[%s]",
		path, c.ArchiveDir, c.Web, c.Schedule.Cron, c.Schedule.Jitter, formatDuration(c.Schedule.StaleAfter),
		strings.Join(names, "; "))
}

// LogValue logs the configuration without any password.
func (c *Config) LogValue() slog.Value {
	names := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		names[i] = a.Name
	}
	return slog.GroupValue(
		slog.String("path", c.Path),
		slog.String("archive_dir", c.ArchiveDir),
		slog.Any("web", c.Web),
		slog.String("cron", c.Schedule.Cron),
		slog.Any("accounts", names),
	)
}
