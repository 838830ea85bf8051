package config

import (
	"time"
)

// Config is mailkeep's configuration: what the TOML file says, with
// environment overrides applied and defaults filled in.
//
// The key tags name the TOML keys; they are the one list of keys, used to
// reject unknown keys, to name environment overrides and by the test that
// config.example.toml documents every key.
type Config struct {
	// Path is the file the configuration was read from, or "" when no file
	// was read (Default, or LoadWith with Optional and no file).
	Path string

	// ArchiveDir is where the archive lives: absolute, "~" expanded, or ""
	// for the default location (see ArchiveDir).
	ArchiveDir string    `key:"archive_dir"`
	Web        Web       `key:"web"`
	Schedule   Schedule  `key:"schedule"`
	Accounts   []Account `key:"account"`

	// from maps a key (as in Problem.Key) to the environment variable that
	// set it, so problems with such values can name the variable.
	from map[string]string
}

// Web configures the local web UI of "mailkeep serve".
type Web struct {
	// Listen is the address to listen on, host:port.
	Listen string `key:"listen"`
	// Secret is the web UI's password: required when Listen is not a
	// loopback address.
	Secret Secret
}

// Schedule configures when "mailkeep serve" fetches by itself.
type Schedule struct {
	// Cron is a robfig/cron v3 standard spec (five fields, no seconds) or a
	// descriptor like "@daily" or "@every 6h"; "" turns the schedule off.
	Cron string `key:"cron"`
	// Jitter is the upper bound of a random delay before each scheduled run.
	Jitter time.Duration `key:"jitter"`
	// StaleAfter: the status page calls the archive stale when an account's
	// last successful run is older than this.
	StaleAfter time.Duration `key:"stale_after"`
}

// Account is one mailbox on a server, fetched over IMAP or POP3.
type Account struct {
	// Name identifies the account in the archive, in searches (account:NAME)
	// and in environment overrides. Unique.
	Name     string   `key:"name,noenv"`
	Protocol Protocol `key:"protocol"`
	Host     string   `key:"host"`
	Port     int      `key:"port"`
	Security Security `key:"security"`
	Username string   `key:"username"`
	// Secret says where the password comes from; exactly one source is set.
	Secret Secret
	// TLSCAFile is a PEM file with extra CA or self-signed certificates to
	// trust (absolute, or "").
	TLSCAFile string `key:"tls_ca_file"`
	// AllowPlaintext permits Security none to a host that is not loopback.
	AllowPlaintext bool `key:"allow_plaintext"`
	// Include and Exclude are IMAP mailbox patterns on the full decoded name
	// with the server's delimiter: "*" matches anything, across levels
	// ("Archive/*" is every mailbox below Archive), "%" anything within one
	// level, "?" one character; other characters, "[" too, match themselves
	// (INBOX in any case);
	// a mailbox is fetched when it matches an Include pattern and no Exclude
	// pattern. Nil for POP3 accounts.
	Include []string `key:"include"`
	Exclude []string `key:"exclude"`
	// Delete says whether POP3 messages are deleted from the server once
	// archived. Zero (Mode "") for IMAP accounts, which never delete.
	Delete DeletePolicy `key:"delete"`
	// MaxMessageSize is the largest message fetched, in bytes; larger ones
	// are skipped and reported.
	MaxMessageSize int64 `key:"max_message_size,size"`
	// Connections is how many IMAP connections a fetch of this account
	// uses at once, each archiving a different mailbox (1 to
	// MaxConnections). Zero for POP3 accounts, which have one mailbox.
	Connections int `key:"connections"`
	// Auth is how to log in: plain (IMAP LOGIN / POP3 USER and PASS) or, for
	// POP3, apop (APOP when the server's greeting offers it).
	Auth Auth `key:"auth"`
}

// Protocol is how an account is fetched.
type Protocol string

const (
	IMAP Protocol = "imap"
	POP3 Protocol = "pop3"
)

// Security is how the connection to the server is protected.
type Security string

const (
	SecurityTLS      Security = "tls"      // TLS from the first byte (ports 993, 995)
	SecuritySTARTTLS Security = "starttls" // plain connection upgraded with STARTTLS / STLS
	SecurityNone     Security = "none"     // no encryption
)

// Auth is how an account logs in.
type Auth string

const (
	AuthPlain Auth = "plain" // IMAP LOGIN, POP3 USER/PASS
	AuthAPOP  Auth = "apop"  // POP3 APOP when the greeting offers it
)

// DeleteMode says whether a POP3 account deletes archived messages from the
// server.
type DeleteMode string

const (
	DeleteNever        DeleteMode = "never"         // keep everything on the server
	DeleteAfterArchive DeleteMode = "after-archive" // delete once durably archived
	DeleteOlderThan    DeleteMode = "older-than"    // delete once archived for longer than OlderThan
)

// DeletePolicy is the parsed value of an account's delete key: "never",
// "after-archive" or "older-than:DURATION" (e.g. "older-than:30d").
type DeletePolicy struct {
	Mode DeleteMode
	// OlderThan is how long a message stays on the server after it was first
	// archived; set only with Mode DeleteOlderThan.
	OlderThan time.Duration
}

// Defaults for keys the file leaves out.
const (
	DefaultListen         = "127.0.0.1:8025"
	DefaultCron           = "0 3 * * *"
	DefaultStaleAfter     = 72 * time.Hour
	DefaultMaxMessageSize = 100 * 1000 * 1000 // 100MB
	DefaultConnections    = 2
	MaxConnections        = 8 // servers limit connections per user (Gmail: 15, Dovecot: 10 per IP)
)

// Default returns the configuration used for keys the file leaves out (and
// when there is no file): the web UI on 127.0.0.1:8025, a nightly fetch at
// 03:00, no accounts, and the archive in the default location.
func Default() *Config {
	return &Config{
		Web: Web{Listen: DefaultListen},
		Schedule: Schedule{
			Cron:       DefaultCron,
			StaleAfter: DefaultStaleAfter,
		},
	}
}

// DefaultPort is the port used for protocol p with security s when an
// account gives none: 993 and 995 with TLS, 143 and 110 otherwise.
func DefaultPort(p Protocol, s Security) int {
	switch {
	case p == IMAP && s == SecurityTLS:
		return 993
	case p == IMAP:
		return 143
	case p == POP3 && s == SecurityTLS:
		return 995
	case p == POP3:
		return 110
	}
	return 0
}

// Account returns the account called name.
func (c *Config) Account(name string) (*Account, bool) {
	for i := range c.Accounts {
		if c.Accounts[i].Name == name {
			return &c.Accounts[i], true
		}
	}
	return nil, false
}

// setDefaults fills in the keys of an account that the file left out;
// set reports whether the file (or the environment) gave a key.
func (a *Account) setDefaults(set func(key string) bool) {
	if !set("security") {
		a.Security = SecurityTLS
	}
	if !set("port") {
		a.Port = DefaultPort(a.Protocol, a.Security)
	}
	if !set("max_message_size") {
		a.MaxMessageSize = DefaultMaxMessageSize
	}
	if !set("auth") {
		a.Auth = AuthPlain
	}
	if a.Protocol == IMAP && !set("include") {
		a.Include = []string{"*"}
	}
	if a.Protocol == IMAP && !set("connections") {
		a.Connections = DefaultConnections
	}
	if a.Protocol == POP3 && !set("delete") {
		a.Delete = DeletePolicy{Mode: DeleteNever}
	}
}
