// Package config loads mailkeep's TOML configuration file, applies
// environment overrides, and validates the result.
//
// The file is read with viper, decoded strictly (an unknown key or a value of
// the wrong type is an error) and validated; every problem is reported at
// once in an [*Error] whose lines each name the file and the key, like
//
//	/home/me/.config/mailkeep/config.toml: account[1].security: "tsl" is not valid (want tls, starttls or none)
//
// Every such error wraps [ErrConfig], which the CLI maps to exit status 2.
// config.example.toml at the top of the repository documents every key; a
// test loads and validates it, so it cannot go stale.
//
// # Environment overrides
//
// Every key can be overridden by an environment variable, which takes
// precedence over the file. The variable is MAILKEEP_ followed by the key's
// path in upper case with "_" between the parts:
//
//	archive_dir              MAILKEEP_ARCHIVE_DIR
//	[web] listen             MAILKEEP_WEB_LISTEN
//	[web] password_command   MAILKEEP_WEB_PASSWORD_COMMAND
//	[schedule] cron          MAILKEEP_SCHEDULE_CRON
//	[schedule] stale_after   MAILKEEP_SCHEDULE_STALE_AFTER
//
// A key of an [[account]] is overridden by MAILKEEP_ACCOUNT_<NAME>_<KEY>,
// where NAME is the account's name in upper case with every character other
// than A-Z and 0-9 replaced by "_": for the account "old-isp",
// MAILKEEP_ACCOUNT_OLD_ISP_PASSWORD and MAILKEEP_ACCOUNT_OLD_ISP_PORT.
// Accounts themselves are defined only in the file, and their name has no
// override (it is what the variables are named after). Two accounts whose
// names map to the same NAME are an error.
//
// Values are written as in the file without TOML quoting: numbers as digits,
// booleans as true or false, durations and sizes as strings ("72h", "100MB"),
// and lists (include, exclude) as comma-separated items ("INBOX,Archive/*").
// An empty variable counts as unset.
//
// The three password keys (password, password_env, password_command) form
// one setting: when the environment sets any of them for an account (or for
// [web]), the ones from the file are ignored. So MAILKEEP_ACCOUNT_HOME_PASSWORD
// replaces a password_command from the file instead of conflicting with it.
//
// # Paths
//
// A leading "~/" in archive_dir, tls_ca_file and the words of a
// password_command (unquoted) is the home directory. A relative archive_dir or
// tls_ca_file in the file is relative to the file's directory; one from the
// environment is relative to the working directory. [ConfigPath] and
// [ArchiveDir] choose the config file and the archive directory from flags,
// the environment and the XDG base directories.
//
// # Secrets
//
// A password comes from exactly one of password (inline), password_env (an
// environment variable) or password_command (a program whose first line of
// output is the password). The command is run only when the password is
// needed ([Account.Password]), without a shell, with a 30 second timeout.
// The types of this package never print a password: [Secret] redacts itself
// under every fmt verb, in slog and in JSON.
package config
