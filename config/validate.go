package config

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
)

// Validate reports every problem with c at once, as an *Error (wrapping
// ErrConfig) whose lines name the file and the key. Load calls it; call it
// again after changing a Config.
func (c *Config) Validate() error {
	ps := problems{list: c.validate(), from: c.from}
	return ps.err(c.Path)
}

func (c *Config) validate() []Problem {
	ps := &problems{from: c.from}
	c.Web.validate(ps)
	c.Schedule.validate(ps)
	names := map[string]int{}    // name → index of the account using it
	envNames := map[string]int{} // EnvName(name) → index
	for i := range c.Accounts {
		a := &c.Accounts[i]
		a.validate(ps, i)
		if a.Name == "" {
			continue
		}
		if j, dup := names[a.Name]; dup {
			ps.add(accountKey(i, "name"), "%q is already the name of account[%d]", a.Name, j)
			continue
		}
		names[a.Name] = i
		if j, dup := envNames[EnvName(a.Name)]; dup {
			ps.add(accountKey(i, "name"), "%q and account[%d]'s %q have the same environment overrides (%s%s_…); rename one",
				a.Name, j, c.Accounts[j].Name, envPrefix+"ACCOUNT_", EnvName(a.Name))
			continue
		}
		envNames[EnvName(a.Name)] = i
	}
	return ps.list
}

func (w *Web) validate(ps *problems) {
	if err := checkListen(w.Listen); err != nil {
		ps.add("web.listen", "%v", err)
	}
	w.Secret.validate(ps, "web", false)
	if host, _, err := net.SplitHostPort(w.Listen); err == nil && !isLoopbackHost(host) && !w.Secret.IsSet() {
		ps.add("web.listen", "%q is reachable from other machines, so the web UI needs a password: "+
			"set password_command, password_env or password in [web] (or listen on 127.0.0.1)", w.Listen)
	}
}

// CheckListen checks an address to serve the web UI on, such as the value of
// serve --listen: it must be host:port, and a host other than loopback needs
// a web password. The error wraps ErrConfig.
func (w Web) CheckListen(listen string) error {
	if err := checkListen(listen); err != nil {
		return fmt.Errorf("%w: listen address: %w", ErrConfig, err)
	}
	if host, _, _ := net.SplitHostPort(listen); !isLoopbackHost(host) && !w.Secret.IsSet() {
		return fmt.Errorf("%w: listen address %q is reachable from other machines, so the web UI needs a password "+
			"(set password_command, password_env or password in [web])", ErrConfig, listen)
	}
	return nil
}

func checkListen(listen string) error {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("%q is not host:port (want e.g. %q)", listen, DefaultListen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port number", listen)
	}
	return nil
}

func (s *Schedule) validate(ps *problems) {
	if s.Cron != "" {
		if err := checkCron(s.Cron); err != nil {
			ps.add("schedule.cron", "%q is not a valid schedule: %v (want 5 fields like %q, or @daily, @every 6h)",
				s.Cron, err, DefaultCron)
		}
	}
	if s.Jitter < 0 {
		ps.add("schedule.jitter", "must not be negative")
	}
	if s.StaleAfter <= 0 {
		ps.add("schedule.stale_after", "must be positive (want e.g. %q)", formatDuration(DefaultStaleAfter))
	}
}

// checkCron parses spec as the scheduler will. robfig/cron has panicked on
// some malformed specs, so a panic is an invalid spec too.
func checkCron(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	_, err = cron.ParseStandard(spec)
	return err
}

func (a *Account) validate(ps *problems, i int) {
	key := func(k string) string { return accountKey(i, k) }
	switch {
	case a.Name == "":
		ps.add(key("name"), "missing: every account needs a name")
	case strings.ContainsFunc(a.Name, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune(`/"\`, r) }):
		ps.add(key("name"), "%q must not contain spaces, control characters, /, \" or \\", a.Name)
	case len(a.Name) > 64:
		ps.add(key("name"), "is longer than 64 bytes")
	}
	switch a.Protocol {
	case IMAP, POP3:
	case "":
		ps.add(key("protocol"), "missing (want imap or pop3)")
	default:
		ps.add(key("protocol"), "%q is not valid (want imap or pop3)", a.Protocol)
	}
	switch {
	case a.Host == "":
		ps.add(key("host"), "missing: the server's host name")
	case strings.Contains(a.Host, "://"):
		ps.add(key("host"), "%q must be a host name only, without a scheme", a.Host)
	case hasPort(a.Host):
		ps.add(key("host"), "%q includes a port; set port separately", a.Host)
	}
	if (a.Port < 1 || a.Port > 65535) && !(a.Port == 0 && DefaultPort(a.Protocol, a.Security) == 0) {
		ps.add(key("port"), "%d is not a port number (want 1-65535)", a.Port)
	}
	// (Port 0 with a bad protocol or security is reported as those.)
	switch a.Security {
	case SecurityTLS, SecuritySTARTTLS, SecurityNone:
	default:
		ps.add(key("security"), "%q is not valid (want tls, starttls or none)", a.Security)
	}
	if a.Username == "" {
		ps.add(key("username"), "missing: the login name on the server")
	}
	a.Secret.validate(ps, fmt.Sprintf("account[%d]", i), true)
	if a.TLSCAFile != "" {
		if _, err := os.Stat(a.TLSCAFile); err != nil {
			ps.add(key("tls_ca_file"), "%v", err)
		}
	}
	if a.Security == SecurityNone && a.Host != "" && !isLoopbackHost(a.Host) && !a.AllowPlaintext {
		ps.add(key("security"), "\"none\" would send the password unencrypted to %s; use tls or starttls, "+
			"or set allow_plaintext = true if you really mean it", a.Host)
	}
	if a.Protocol == POP3 {
		if a.Include != nil {
			ps.add(key("include"), "applies only to imap accounts (POP3 has a single mailbox)")
		}
		if a.Exclude != nil {
			ps.add(key("exclude"), "applies only to imap accounts (POP3 has a single mailbox)")
		}
	} else {
		if a.Protocol == IMAP && len(a.Include) == 0 {
			ps.add(key("include"), "is empty, so nothing would be fetched (want e.g. [\"*\"])")
		}
		for _, list := range []struct {
			key      string
			patterns []string
		}{{"include", a.Include}, {"exclude", a.Exclude}} {
			for _, p := range list.patterns {
				if strings.TrimSpace(p) == "" {
					ps.add(key(list.key), "%q is not a valid mailbox pattern (want e.g. \"*\", \"INBOX\" or \"Archive/*\")", p)
				}
			}
		}
	}
	switch {
	case a.Protocol == IMAP && a.Delete.Mode != "":
		ps.add(key("delete"), "applies only to pop3 accounts: fetching over IMAP never deletes anything on the server")
	case a.Protocol == POP3:
		switch a.Delete.Mode {
		case DeleteNever, DeleteAfterArchive:
		case DeleteOlderThan:
			if a.Delete.OlderThan <= 0 {
				ps.add(key("delete"), "older-than needs a positive duration, like older-than:30d")
			}
		default:
			ps.add(key("delete"), "%s", badDelete(string(a.Delete.Mode)))
		}
	}
	switch {
	case a.Protocol != IMAP && a.Connections != 0:
		ps.add(key("connections"), "applies only to imap accounts (POP3 has a single mailbox)")
	case a.Protocol == IMAP && (a.Connections < 1 || a.Connections > MaxConnections):
		ps.add(key("connections"), "must be 1 to %d (want e.g. 2)", MaxConnections)
	}
	if a.MaxMessageSize <= 0 {
		ps.add(key("max_message_size"), "must be positive (want e.g. \"100MB\")")
	}
	switch {
	case a.Auth == AuthPlain:
	case a.Auth == AuthAPOP && a.Protocol != IMAP:
	case a.Auth == AuthAPOP:
		ps.add(key("auth"), "apop applies only to pop3 accounts")
	default:
		ps.add(key("auth"), "%q is not valid (want plain, or apop for pop3)", a.Auth)
	}
}

// validate checks that s names exactly one password source (at most one if
// not required) and that a command can be split into arguments. table is
// "web" or "account[i]".
func (s *Secret) validate(ps *problems, table string, required bool) {
	var set []string
	for _, k := range []struct{ key, val string }{
		{"password", s.Password}, {"password_env", s.Env}, {"password_command", s.Command},
	} {
		if k.val != "" {
			set = append(set, k.key)
		}
	}
	switch {
	case len(set) > 1:
		ps.add(joinKey(table, set[1]), "conflicts with %s: set only one of password_command, password_env and password", set[0])
	case len(set) == 0 && required:
		ps.add(joinKey(table, "password_command"), "missing: the account needs a password; set password_command, password_env or password")
	}
	if s.Command != "" {
		if _, err := splitCommand(s.Command, ""); err != nil {
			ps.add(joinKey(table, "password_command"), "%v", err)
		}
	}
	if s.Env != "" && !validEnvName(s.Env) {
		ps.add(joinKey(table, "password_env"), "%q is not an environment variable name", s.Env)
	}
}

func validEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// hasPort reports whether host is host:port rather than a name or address.
func hasPort(host string) bool {
	_, _, err := net.SplitHostPort(host)
	return err == nil
}
