package config

import (
	"net/netip"
	"path/filepath"
	"strings"
)

// ConfigPath returns the configuration file to use: flag (--config) when
// set, else $MAILKEEP_CONFIG, else $XDG_CONFIG_HOME/mailkeep/config.toml,
// else ~/.config/mailkeep/config.toml. A leading "~/" is the home directory
// ($HOME). It returns "" when none of these can be determined.
func ConfigPath(flag string, getenv func(string) string) string {
	home := getenv("HOME")
	switch {
	case flag != "":
		return expandHome(flag, home)
	case getenv("MAILKEEP_CONFIG") != "":
		return expandHome(getenv("MAILKEEP_CONFIG"), home)
	}
	if dir := xdgDir(getenv, "XDG_CONFIG_HOME", ".config"); dir != "" {
		return filepath.Join(dir, "mailkeep", "config.toml")
	}
	return ""
}

// ArchiveDir returns the archive directory to use: flag (--archive) when
// set, else cfg.ArchiveDir (which includes $MAILKEEP_ARCHIVE_DIR), else
// $XDG_DATA_HOME/mailkeep, else ~/.local/share/mailkeep. A leading "~/" is
// the home directory ($HOME); cfg may be nil. It returns "" when none of
// these can be determined.
func ArchiveDir(flag string, cfg *Config, getenv func(string) string) string {
	home := getenv("HOME")
	switch {
	case flag != "":
		return expandHome(flag, home)
	case cfg != nil && cfg.ArchiveDir != "":
		return expandHome(cfg.ArchiveDir, home)
	}
	if dir := xdgDir(getenv, "XDG_DATA_HOME", filepath.Join(".local", "share")); dir != "" {
		return filepath.Join(dir, "mailkeep")
	}
	return ""
}

// xdgDir returns $name, or home/fallback when $name is unset or relative
// (the XDG Base Directory spec says to ignore relative values).
func xdgDir(getenv func(string) string, name, fallback string) string {
	if dir := getenv(name); filepath.IsAbs(dir) {
		return dir
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, fallback)
	}
	return ""
}

// homeDir returns $HOME as getenv sees it.
func homeDir(getenv func(string) string) string { return getenv("HOME") }

// expandHome replaces a leading "~" or "~/" in path with home; it leaves
// path alone when home is "" or path names another user's home ("~bob").
func expandHome(path, home string) string {
	if home == "" || !strings.HasPrefix(path, "~") {
		return path
	}
	if path == "~" {
		return home
	}
	if strings.HasPrefix(path, "~/") {
		return filepath.Join(home, path[2:])
	}
	return path
}

// isLoopbackHost reports whether host (a name or an IP address, optionally
// in brackets) is this machine: localhost, *.localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}
