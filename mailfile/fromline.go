package mailfile

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// fromLine reports whether line (a whole line, with or without its line
// ending) is an mbox From_ line, and returns its date (zero if it has none).
// See the package documentation for the rule.
func fromLine(line []byte) (date time.Time, ok bool) {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return time.Time{}, false
	}
	rest := strings.TrimSpace(string(line[5:]))
	sender := rest
	if strings.HasPrefix(rest, `"`) {
		if i := strings.IndexByte(rest[1:], '"'); i >= 0 {
			sender = rest[:i+2]
		}
	} else if i := strings.IndexAny(rest, " \t"); i >= 0 {
		sender = rest[:i]
	}
	remain := strings.TrimSpace(rest[len(sender):])
	if remain == "" {
		return time.Time{}, sender == "-" || strings.Contains(sender, "@")
	}
	return fromDate(remain)
}

var months = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// Zone abbreviations that appear in From_ lines (the same set as net/mail).
var zones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

// fromDate finds a date in the part of a From_ line after the sender. It
// takes the tokens it knows (month name, day of month, hh:mm[:ss], four-digit
// year, zone) in any order and ignores the rest (weekday, "extra info"), so
// asctime ("Sat Feb  6 23:42:23 2010"), Gmail's ("Fri Sep 26 17:18:40 +0000
// 2025") and RFC 5322 dates ("Wed, 2 May 2001 10:10:26 +0200") all parse.
// Month, day, time and year must all be there.
func fromDate(s string) (time.Time, bool) {
	var (
		month          time.Month
		monthAt        = -1
		day, year      = -1, -1
		hour, min, sec = -1, 0, 0
		loc            *time.Location
	)
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
	for i, f := range fields {
		switch {
		case month == 0 && monthName(f) != 0:
			month, monthAt = monthName(f), i
			if day < 0 && i > 0 && len(fields[i-1]) <= 2 && isDigits(fields[i-1]) {
				day = atoi(fields[i-1]) // "2 May 2001"
			}
		case hour < 0 && strings.Contains(f, ":"):
			if h, m, sc, ok := clock(f); ok {
				hour, min, sec = h, m, sc
			}
		case year < 0 && len(f) == 4 && isDigits(f):
			year = atoi(f)
		case day < 0 && monthAt >= 0 && i == monthAt+1 && len(f) <= 2 && isDigits(f):
			day = atoi(f) // "May  6"
		case loc == nil && len(f) == 5 && (f[0] == '+' || f[0] == '-') && isDigits(f[1:]):
			off := atoi(f[1:3])*3600 + atoi(f[3:])*60
			if f[0] == '-' {
				off = -off
			}
			loc = time.FixedZone(f, off)
		case loc == nil && hour >= 0:
			if h, ok := zones[strings.ToUpper(f)]; ok {
				loc = time.FixedZone(strings.ToUpper(f), h*3600)
			}
		}
	}
	if month == 0 || day < 1 || day > 31 || hour < 0 || hour > 23 || min > 59 || sec > 60 || year < 1900 {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(year, month, day, hour, min, sec, 0, loc), true
}

// monthName returns the month named by f ("Feb" or "February", any case),
// or 0.
func monthName(f string) time.Month {
	if len(f) < 3 || !isLetters(f) {
		return 0
	}
	m := months[strings.ToLower(f[:3])]
	if m == 0 || (len(f) > 3 && !strings.EqualFold(f, m.String())) {
		return 0
	}
	return m
}

// clock parses "hh:mm" or "hh:mm:ss".
func clock(f string) (h, m, s int, ok bool) {
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	for _, p := range parts {
		if len(p) < 1 || len(p) > 2 || !isDigits(p) {
			return 0, 0, 0, false
		}
	}
	h, m = atoi(parts[0]), atoi(parts[1])
	if len(parts) == 3 {
		s = atoi(parts[2])
	}
	return h, m, s, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
