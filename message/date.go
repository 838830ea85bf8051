package message

import (
	"net/mail"
	"strings"
	"time"
)

var months = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	"mär": 3, "mrz": 3, "okt": 10, "dez": 12, "mai": 5, "juin": 6, "févr": 2, "déc": 12,
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// zones are the time-zone names of RFC 822 and the common others, in
// minutes east of UTC.
var zones = map[string]int{
	"ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "ist": 60, "west": 60,
	"cet": 60, "met": 60, "mez": 60, "cest": 120, "mest": 120, "mesz": 120, "eet": 120, "eest": 180,
	"msk": 180, "msd": 240, "jst": 540, "kst": 540, "hkt": 480, "sgt": 480, "awst": 480,
	"aest": 600, "aedt": 660, "acst": 570, "nzst": 720, "nzdt": 780,
	"est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
	"pst": -480, "pdt": -420, "akst": -540, "akdt": -480, "hst": -600, "ast": -240, "adt": -180,
	"nst": -210, "ndt": -150,
}

// parseDate parses a Date field: RFC 5322 through net/mail, and otherwise
// a scan for a day, month, year, time and zone in any order and spelling
// seen in real mail ("2002/09/14 Sat 02:29:32 CDT", "22:23:35.882 0000",
// "16 May 2016 at 09:30:32 GMT+1", two-digit years, no zone).
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	// The form nearly all mail uses, tried alone first: net/mail tries
	// two dozen layouts before it, each failure an allocated error.
	if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", v); err == nil && plausible(t) {
		return t, true
	}
	if t, err := mail.ParseDate(v); err == nil && plausible(t) {
		// time.Parse makes up a zero offset for a zone name it does not
		// know in the local time zone ("EST" on a UTC machine).
		if name, off := t.Zone(); off == 0 && name != "" {
			if z, ok := zones[strings.ToLower(name)]; ok && z != 0 {
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone("", z*60))
			}
		}
		return t, true
	}
	t, ok := scanDate(v)
	if !ok || !plausible(t) {
		return time.Time{}, false
	}
	return t, true
}

func plausible(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1900 && y <= 2200
}

func scanDate(v string) (time.Time, bool) {
	v = strings.ToLower(stripComments(rawToUTF8(v, "")))
	v = strings.NewReplacer(",", " ", "\t", " ").Replace(v)
	var (
		year, day                 = -1, -1
		month          time.Month = 0
		hh, mm, ss, ns            = -1, 0, 0, 0
		zone                      = 0
		zoneSet                   = false
	)
	for _, tok := range strings.Fields(v) {
		switch {
		case tok == "at" || tok == "am":
			continue
		case tok == "pm":
			if hh >= 0 && hh < 12 {
				hh += 12
			}
			continue
		}
		// ISO 8601: 2002-09-14t02:29:32z
		if i := strings.IndexByte(tok, 't'); i == 10 && len(tok) > 11 && isDigits(tok[:4]) {
			if y, m, d, ok := numericDate(tok[:10]); ok {
				year, month, day = y, m, d
				tok = tok[11:]
			}
		}
		if strings.ContainsRune(tok, ':') && tok[0] >= '0' && tok[0] <= '9' {
			// A time, maybe with a zone glued on.
			t := tok
			z := ""
			if i := strings.IndexAny(t, "+-z"); i > 0 {
				t, z = tok[:i], tok[i:]
			}
			if h, m, s, n, ok := clock(t); ok && hh < 0 {
				hh, mm, ss, ns = h, m, s, n
				if z != "" {
					if off, ok := zoneOffset(z); ok {
						zone, zoneSet = off, true
					}
				}
				continue
			}
		}
		if (tok[0] == '+' || tok[0] == '-') && len(tok) > 1 {
			if off, ok := zoneOffset(tok); ok && !zoneSet {
				zone, zoneSet = off, true
			}
			continue
		}
		if strings.ContainsAny(tok, "/-.") && tok[0] >= '0' && tok[0] <= '9' {
			if y, m, d, ok := numericDate(tok); ok && year < 0 {
				year, month, day = y, m, d
				continue
			}
		}
		if isDigits(tok) {
			n := atoi(tok)
			switch {
			case year >= 0 && hh >= 0:
				// "22:23:35 0000": a zone without its sign; other numbers
				// after the time are junk.
				if len(tok) == 4 && !zoneSet && n%100 < 60 && n/100 <= 14 {
					zone, zoneSet = n/100*60+n%100, true
				}
			case len(tok) >= 3 && year < 0 && len(tok) <= 4:
				year = n
				if len(tok) == 3 {
					year += 1900
				}
			case len(tok) <= 2 && day < 0 && n >= 1 && n <= 31:
				day = n
			case len(tok) <= 2 && year < 0 && day >= 0:
				year = n + 1900
				if n < 50 {
					year = n + 2000
				}
			default:
				return time.Time{}, false
			}
			continue
		}
		word := strings.Trim(tok, ".")
		if m, ok := monthOf(word); ok && month == 0 {
			month = m
			// "14-sep-2002"
			continue
		}
		if isWeekday(word) {
			continue
		}
		if off, ok := zoneOffset(word); ok {
			if !zoneSet {
				zone, zoneSet = off, true
			}
			continue
		}
		if strings.Count(tok, "-") == 2 {
			if y, m, d, ok := textDate(tok); ok && year < 0 {
				year, month, day = y, m, d
				continue
			}
		}
		// Unknown words (a zone we do not know, a comment without
		// parentheses) are skipped.
	}
	if year < 0 || month == 0 || day < 0 {
		return time.Time{}, false
	}
	if year < 1000 {
		// "0102": a year printed as years since 1900.
		year += 1900
	}
	if hh < 0 {
		hh = 0
	}
	if day > daysIn(month, year) || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false
	}
	if ss == 60 {
		ss = 59
	}
	return time.Date(year, month, day, hh, mm, ss, ns, time.FixedZone("", zone*60)), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
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

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func monthOf(w string) (time.Month, bool) {
	if len(w) < 3 {
		return 0, false
	}
	if m, ok := months[w]; ok {
		return m, true
	}
	if m, ok := months[w[:3]]; ok && len(w) <= 9 && isLetters(w) {
		return m, true
	}
	return 0, false
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func isWeekday(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, d := range weekdays {
		if strings.HasPrefix(w, d) && isLetters(w) {
			return true
		}
	}
	return false
}

// clock parses hh:mm[:ss[.frac]].
func clock(s string) (h, m, sec, ns int, ok bool) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac := s[i+1:]
		s = s[:i]
		if isDigits(frac) {
			for len(frac) < 9 {
				frac += "0"
			}
			ns = atoi(frac[:9])
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return
	}
	for _, p := range parts {
		if !isDigits(p) || len(p) > 2 {
			return
		}
	}
	h, m = atoi(parts[0]), atoi(parts[1])
	if len(parts) == 3 {
		sec = atoi(parts[2])
	}
	return h, m, sec, ns, true
}

// zoneOffset parses "+0100", "-08:00", "+1", "gmt+1", "utc-05:00", "cdt"
// into minutes east of UTC.
func zoneOffset(s string) (int, bool) {
	if off, ok := zones[s]; ok {
		return off, true
	}
	for _, pre := range []string{"gmt", "utc", "ut"} {
		if strings.HasPrefix(s, pre) && len(s) > len(pre) {
			s = s[len(pre):]
			break
		}
	}
	if s == "z" {
		return 0, true
	}
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	d := strings.ReplaceAll(s[1:], ":", "")
	if !isDigits(d) {
		return 0, false
	}
	var h, m int
	switch len(d) {
	case 1, 2:
		h = atoi(d)
	case 3:
		h, m = atoi(d[:1]), atoi(d[1:])
	case 4:
		h, m = atoi(d[:2]), atoi(d[2:])
	default:
		return 0, false
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*60 + m), true
}

// numericDate parses 2002/09/14, 2002-09-14, 14.09.2002, 09/14/2002.
func numericDate(s string) (int, time.Month, int, bool) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	for _, p := range parts {
		if !isDigits(p) {
			return 0, 0, 0, false
		}
	}
	a, b, c := atoi(parts[0]), atoi(parts[1]), atoi(parts[2])
	switch {
	case len(parts[0]) == 4:
		return a, time.Month(b), c, b >= 1 && b <= 12 && c >= 1 && c <= 31
	case len(parts[2]) == 4 || len(parts[2]) == 2:
		y := c
		if len(parts[2]) == 2 {
			y = 1900 + c
			if c < 50 {
				y = 2000 + c
			}
		}
		dmy := a >= 1 && a <= 31 && b >= 1 && b <= 12
		mdy := a >= 1 && a <= 12 && b >= 1 && b <= 31
		switch {
		case mdy && (strings.Contains(s, "/") || !dmy):
			return y, time.Month(a), b, true
		case dmy:
			return y, time.Month(b), a, true
		}
	}
	return 0, 0, 0, false
}

// textDate parses 14-sep-2002.
func textDate(s string) (int, time.Month, int, bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || !isDigits(parts[0]) || !isDigits(parts[2]) {
		return 0, 0, 0, false
	}
	m, ok := monthOf(parts[1])
	if !ok {
		return 0, 0, 0, false
	}
	y := atoi(parts[2])
	if len(parts[2]) == 2 {
		y += 1900
		if y < 1950 {
			y += 100
		}
	}
	return y, m, atoi(parts[0]), true
}
