package config

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed starter.toml
var starter string

// StarterConfig returns the commented configuration "mailkeep init" writes:
// the defaults spelled out, and an IMAP and a POP3 account commented out for
// the user to fill in. It loads and validates as it is.
func StarterConfig() []byte { return []byte(starter) }

// StarterConfigWith is StarterConfig with archive_dir set to archiveDir, for
// "mailkeep --archive DIR init", so that later commands find the archive
// without --archive. An empty dir leaves archive_dir commented out.
func StarterConfigWith(archiveDir string) []byte {
	if archiveDir == "" {
		return StarterConfig()
	}
	line := "archive_dir = " + tomlQuote(archiveDir)
	return []byte(strings.Replace(starter, `# archive_dir = "~/MailArchive"`, line, 1))
}

// tomlQuote writes s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
