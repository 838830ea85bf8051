package imap

import (
	"strings"
	"unicode/utf8"
)

// selected reports whether a mailbox is archived under the include and
// exclude patterns (see the package documentation).
func selected(name string, delim rune, include, exclude []string) bool {
	for _, p := range exclude {
		if matchMailbox(p, name, delim) {
			return false
		}
	}
	if len(include) == 0 {
		return true
	}
	for _, p := range include {
		if matchMailbox(p, name, delim) {
			return true
		}
	}
	return false
}

// matchMailbox matches one pattern against a mailbox name. delim is the
// server's hierarchy delimiter (0 for a flat namespace).
func matchMailbox(pattern, name string, delim rune) bool {
	return match(canonInbox(pattern, delim), canonInbox(name, delim), delim)
}

// canonInbox spells a leading INBOX, in any case, as "INBOX".
func canonInbox(s string, delim rune) string {
	head, rest := s, ""
	if delim != 0 {
		if i := strings.IndexRune(s, delim); i >= 0 {
			head, rest = s[:i], s[i:]
		}
	}
	if strings.EqualFold(head, "INBOX") {
		return "INBOX" + rest
	}
	return s
}

// match is a backtracking glob matcher over runes: '*' matches anything,
// '%' anything but delim, '?' one rune but delim.
func match(p, s string, delim rune) bool {
	// Mailbox names are short and patterns have few stars, so plain
	// backtracking is fine.
	for len(p) > 0 {
		pr, pn := utf8.DecodeRuneInString(p)
		switch pr {
		case '*':
			p = strings.TrimLeft(p, "*")
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); {
				if match(p, s[i:], delim) {
					return true
				}
				if i == len(s) {
					break
				}
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
			}
			return false
		case '%':
			p = p[pn:]
			for i := 0; i <= len(s); {
				if match(p, s[i:], delim) {
					return true
				}
				if i == len(s) {
					break
				}
				r, n := utf8.DecodeRuneInString(s[i:])
				if r == delim && delim != 0 {
					break
				}
				i += n
			}
			return false
		}
		if s == "" {
			return false
		}
		sr, sn := utf8.DecodeRuneInString(s)
		switch {
		case pr == '?':
			if delim != 0 && sr == delim {
				return false
			}
		case pr != sr:
			return false
		}
		p, s = p[pn:], s[sn:]
	}
	return s == ""
}
