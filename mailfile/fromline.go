package mailfile

import (
	"bytes"
	"time"
)

// fromLine reports whether line (a whole line, with or without its line
// ending) is an mbox From_ line, and returns its date (zero if it has none).
// See the package documentation for the rule. It does not allocate unless
// the date names a zone.
func fromLine(line []byte) (date time.Time, ok bool) {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return time.Time{}, false
	}
	rest := bytes.TrimSpace(line[5:])
	sender := rest
	if len(rest) > 0 && rest[0] == '"' {
		if i := bytes.IndexByte(rest[1:], '"'); i >= 0 {
			sender = rest[:i+2]
		}
	} else if i := bytes.IndexAny(rest, " \t"); i >= 0 {
		sender = rest[:i]
	}
	remain := bytes.TrimSpace(rest[len(sender):])
	if len(remain) == 0 {
		return time.Time{}, string(sender) == "-" || bytes.IndexByte(sender, '@') >= 0
	}
	return fromDate(remain)
}

// fromDate finds a date in the part of a From_ line after the sender. It
// takes the tokens it knows (month name, day of month, hh:mm[:ss], four-digit
// year, zone) in any order and ignores the rest (weekday, "extra info"), so
// asctime ("Sat Feb  6 23:42:23 2010"), Gmail's ("Fri Sep 26 17:18:40 +0000
// 2025") and RFC 5322 dates ("Wed, 2 May 2001 10:10:26 +0200") all parse.
// Month, day, time and year must all be there.
func fromDate(s []byte) (time.Time, bool) {
	var (
		month          time.Month
		day, year      = -1, -1
		hour, min, sec = -1, 0, 0
		loc            *time.Location
		prev           []byte // the previous token
		prevWasMonth   bool
	)
	for len(s) > 0 {
		// Next token, separated by spaces, tabs and commas.
		i := 0
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		s = s[i:]
		j := 0
		for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != ',' {
			j++
		}
		f := s[:j]
		s = s[j:]
		if len(f) == 0 {
			break
		}
		isMonth := false
		switch {
		case month == 0 && monthName(f) != 0:
			month, isMonth = monthName(f), true
			if day < 0 && len(prev) <= 2 && isDigits(prev) {
				day = atoi(prev) // "2 May 2001"
			}
		case hour < 0 && bytes.IndexByte(f, ':') >= 0:
			if h, m, sc, ok := clock(f); ok {
				hour, min, sec = h, m, sc
			}
		case year < 0 && len(f) == 4 && isDigits(f):
			year = atoi(f)
		case day < 0 && prevWasMonth && len(f) <= 2 && isDigits(f):
			day = atoi(f) // "May  6"
		case loc == nil && len(f) == 5 && (f[0] == '+' || f[0] == '-') && isDigits(f[1:]):
			off := atoi(f[1:3])*3600 + atoi(f[3:])*60
			if f[0] == '-' {
				off = -off
			}
			if off == 0 {
				loc = time.UTC
			} else {
				loc = time.FixedZone("", off)
			}
		case loc == nil && hour >= 0 && len(f) <= 3:
			for _, z := range zones {
				if bytes.EqualFold(f, []byte(z.name)) {
					loc = time.FixedZone("", z.hours*3600)
				}
			}
		}
		prev, prevWasMonth = f, isMonth
	}
	if month == 0 || day < 1 || day > 31 || hour < 0 || hour > 23 || min > 59 || sec > 60 || year < 1900 {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(year, month, day, hour, min, sec, 0, loc), true
}

var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"}

// monthName returns the month named by f ("Feb" or "February", any case),
// or 0.
func monthName(f []byte) time.Month {
	if len(f) < 3 {
		return 0
	}
	for i, name := range monthNames {
		if bytes.EqualFold(f, []byte(name[:3])) || bytes.EqualFold(f, []byte(name)) {
			return time.Month(i + 1)
		}
	}
	return 0
}

// Zone abbreviations that appear in From_ lines (the set net/mail knows).
var zones = []struct {
	name  string
	hours int
}{
	{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0},
	{"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
}

// clock parses "hh:mm" or "hh:mm:ss".
func clock(f []byte) (h, m, s int, ok bool) {
	var parts [3][]byte
	n := 0
	for {
		i := bytes.IndexByte(f, ':')
		if n == 3 {
			return 0, 0, 0, false
		}
		if i < 0 {
			parts[n] = f
			n++
			break
		}
		parts[n], f = f[:i], f[i+1:]
		n++
	}
	if n < 2 {
		return 0, 0, 0, false
	}
	for _, p := range parts[:n] {
		if len(p) < 1 || len(p) > 2 || !isDigits(p) {
			return 0, 0, 0, false
		}
	}
	h, m = atoi(parts[0]), atoi(parts[1])
	if n == 3 {
		s = atoi(parts[2])
	}
	return h, m, s, true
}

func isDigits(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// atoi converts a short string of digits (checked by the caller).
func atoi(s []byte) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
