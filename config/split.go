package config

import (
	"errors"
	"fmt"
	"strings"
)

// splitCommand splits a password_command into a program and its arguments
// with a small part of POSIX shell syntax: words are separated by blanks;
// '…' quotes literally; "…" quotes, with \ escaping $ ` " \ and newline;
// \ outside quotes escapes the next character; an unquoted ~ or ~/ at the
// start of a word is home (when home is not "").
//
// There is no shell, so shell syntax that would silently mean something else
// (unquoted | & ; < > ( ) and $ or ` anywhere unescaped) is an error that
// says to use sh -c.
func splitCommand(s, home string) ([]string, error) {
	var (
		argv   []string
		word   strings.Builder
		inWord bool
	)
	end := func() {
		if inWord {
			argv = append(argv, word.String())
		}
		word.Reset()
		inWord = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			end()
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated ' quote")
			}
			word.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += 1 + j
		case c == '"':
			inWord = true
			for i++; ; i++ {
				if i >= len(s) {
					return nil, errors.New(`unterminated " quote`)
				}
				c := s[i]
				if c == '"' {
					break
				}
				if c == '$' || c == '`' {
					return nil, shellSyntax(c)
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
					if s[i] != '\n' {
						word.WriteByte(s[i])
					}
					continue
				}
				word.WriteByte(c)
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			if s[i] != '\n' {
				word.WriteByte(s[i])
				inWord = true
			}
		case strings.IndexByte("|&;<>()$`", c) >= 0:
			return nil, shellSyntax(c)
		case c == '~' && !inWord && home != "" && (i+1 == len(s) || strings.IndexByte("/ \t\n", s[i+1]) >= 0):
			word.WriteString(home)
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	end()
	if len(argv) == 0 {
		return nil, errors.New("no command")
	}
	return argv, nil
}

func shellSyntax(c byte) error {
	return fmt.Errorf("%q is shell syntax, but the command runs without a shell "+
		"(quote it, or write sh -c '…' to use a shell)", string(c))
}
