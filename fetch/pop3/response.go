package pop3

import (
	"slices"
	"strconv"
	"strings"
)

// maxLine bounds a status or listing line. RFC 2449 allows 512 octets; real
// servers stay far below this.
const maxLine = 64 << 10

// cmdGreeting is the Cmd of a ServerError for an -ERR greeting.
const cmdGreeting = "greeting"

// parseStatus splits a status line into its indicator and text. "+OK" and
// "-ERR" are matched without regard to case.
func parseStatus(line string) (ok bool, text string, valid bool) {
	switch {
	case hasPrefixFold(line, "+OK"):
		ok, text = true, line[3:]
	case hasPrefixFold(line, "-ERR"):
		text = line[4:]
	default:
		return false, "", false
	}
	return ok, strings.TrimLeft(text, " \t"), true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// responseCode returns the RFC 2449 response code at the start of text:
// "[IN-USE] locked" gives "IN-USE".
func responseCode(text string) string {
	if !strings.HasPrefix(text, "[") {
		return ""
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return ""
	}
	return strings.ToUpper(text[1:end])
}

// serverError builds the error for an -ERR reply to cmd.
func serverError(cmd, text string) *ServerError {
	return &ServerError{Cmd: cmd, Code: printable(responseCode(text)), Text: printable(text)}
}

// timestamp returns the APOP timestamp in a greeting, "<…>", or "".
func timestamp(greeting string) string {
	start := strings.IndexByte(greeting, '<')
	if start < 0 {
		return ""
	}
	end := strings.IndexByte(greeting[start:], '>')
	if end < 2 {
		return ""
	}
	return greeting[start : start+end+1]
}

// Capabilities is the answer to CAPA: capability names in upper case, each
// with its arguments, e.g. "SASL" → ["PLAIN", "LOGIN"].
type Capabilities map[string][]string

// Has reports whether the server listed the capability name.
func (c Capabilities) Has(name string) bool {
	_, ok := c[strings.ToUpper(name)]
	return ok
}

// SASL reports whether the server listed the SASL mechanism mech.
func (c Capabilities) SASL(mech string) bool {
	return slices.ContainsFunc(c["SASL"], func(m string) bool { return strings.EqualFold(m, mech) })
}

func parseCapabilities(lines []string) Capabilities {
	caps := Capabilities{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		caps[strings.ToUpper(f[0])] = f[1:]
	}
	return caps
}

// ListEntry is one line of a LIST reply.
type ListEntry struct {
	Num  int   // message number, from 1
	Size int64 // size in octets as the server counts it
}

// UIDLEntry is one line of a UIDL reply.
type UIDLEntry struct {
	Num  int    // message number, from 1
	UIDL string // the server's unique id for the message, exactly as sent
}

// parseNumPair parses "n x …" where n is a message number, returning n and
// the rest of the line after the separating spaces.
func parseNumPair(line string) (n int, rest string, ok bool) {
	line = strings.TrimLeft(line, " \t")
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return 0, "", false
	}
	n, err := strconv.Atoi(line[:i])
	if err != nil || n < 1 {
		return 0, "", false
	}
	return n, strings.Trim(line[i:], " \t"), true
}

func parseListLine(line string) (ListEntry, bool) {
	n, rest, ok := parseNumPair(line)
	if !ok {
		return ListEntry{}, false
	}
	size := rest
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		size = rest[:i]
	}
	sz, err := strconv.ParseInt(size, 10, 64)
	if err != nil || sz < 0 {
		return ListEntry{}, false
	}
	return ListEntry{Num: n, Size: sz}, true
}

func parseUIDLLine(line string) (UIDLEntry, bool) {
	n, uid, ok := parseNumPair(line)
	if !ok || uid == "" {
		return UIDLEntry{}, false
	}
	return UIDLEntry{Num: n, UIDL: uid}, true
}

// parseStat parses the text of a STAT reply, "count size …".
func parseStat(text string) (count int, size int64, ok bool) {
	f := strings.Fields(text)
	if len(f) < 2 {
		return 0, 0, false
	}
	c, err1 := strconv.Atoi(f[0])
	s, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || c < 0 || s < 0 {
		return 0, 0, false
	}
	return c, s, true
}
