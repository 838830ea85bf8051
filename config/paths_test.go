package config

import "testing"

func getenvOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"/etc/mk.toml", map[string]string{"MAILKEEP_CONFIG": "/other"}, "/etc/mk.toml"},
		{"~/mk.toml", map[string]string{"HOME": "/home/u"}, "/home/u/mk.toml"},
		{"", map[string]string{"MAILKEEP_CONFIG": "~/c.toml", "HOME": "/home/u", "XDG_CONFIG_HOME": "/xdg"}, "/home/u/c.toml"},
		{"", map[string]string{"XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/mailkeep/config.toml"},
		{"", map[string]string{"XDG_CONFIG_HOME": "relative", "HOME": "/home/u"}, "/home/u/.config/mailkeep/config.toml"},
		{"", map[string]string{"HOME": "/home/u"}, "/home/u/.config/mailkeep/config.toml"},
		{"", map[string]string{}, ""},
		{"rel.toml", map[string]string{}, "rel.toml"},
	}
	for _, tt := range tests {
		if got := ConfigPath(tt.flag, getenvOf(tt.env)); got != tt.want {
			t.Errorf("ConfigPath(%q, %v) = %q, want %q", tt.flag, tt.env, got, tt.want)
		}
	}
}

func TestArchiveDir(t *testing.T) {
	t.Parallel()
	cfg := &Config{ArchiveDir: "/from/config"}
	tests := []struct {
		flag string
		cfg  *Config
		env  map[string]string
		want string
	}{
		{"/flag", cfg, nil, "/flag"},
		{"~/A", cfg, map[string]string{"HOME": "/home/u"}, "/home/u/A"},
		{"", cfg, map[string]string{"XDG_DATA_HOME": "/xdg"}, "/from/config"},
		{"", &Config{ArchiveDir: "~/M"}, map[string]string{"HOME": "/home/u"}, "/home/u/M"},
		{"", Default(), map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/mailkeep"},
		{"", nil, map[string]string{"XDG_DATA_HOME": "/xdg"}, "/xdg/mailkeep"},
		{"", nil, map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/mailkeep"},
		{"", nil, map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "x"}, "/home/u/.local/share/mailkeep"},
		{"", nil, nil, ""},
	}
	for _, tt := range tests {
		if got := ArchiveDir(tt.flag, tt.cfg, getenvOf(tt.env)); got != tt.want {
			t.Errorf("ArchiveDir(%q, %v, %v) = %q, want %q", tt.flag, tt.cfg, tt.env, got, tt.want)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "mail.localhost": true, "127.0.0.1": true, "127.1.2.3": true,
		"::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"": false, "0.0.0.0": false, "::": false, "example.com": false, "localhost.example.com": false, "10.0.0.1": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
