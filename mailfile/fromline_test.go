package mailfile

import (
	"testing"
	"time"
)

func TestFromLine(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		line string
		ok   bool
		date time.Time
	}{
		{"From a@b.c Sat Feb  6 23:42:23 2010\n", true, utc(2010, 2, 6, 23, 42, 23)},
		{"From a@b.c Sat Feb  6 23:42:23 2010\r\n", true, utc(2010, 2, 6, 23, 42, 23)},
		{"From jm@dogma.slashnull.org  Wed May 16 00:40:34 2001\n", true, utc(2001, 5, 16, 0, 40, 34)},
		{"From MAILER-DAEMON Sun Aug  7 11:40:37 2022 extra info\n", true, utc(2022, 8, 7, 11, 40, 37)},
		{"From - Mon Jun  3 12:50:27 1996\n", true, utc(1996, 6, 3, 12, 50, 27)},
		{"From - \n", true, time.Time{}},
		{"From -\n", true, time.Time{}},
		{"From 1844347792267117879@xxx\n", true, time.Time{}},
		{"From 1844347792267117879@xxx Fri Sep 26 17:18:40 +0000 2025\r\n", true, utc(2025, 9, 26, 17, 18, 40)},
		{"From x@y Fri Sep 26 17:18:40 +0200 2025\n", true, time.Date(2025, 9, 26, 17, 18, 40, 0, time.FixedZone("", 7200))},
		{"From tst@localhost  Sat Jan 19 15:26:33 EST 2002\n", true, time.Date(2002, 1, 19, 15, 26, 33, 0, time.FixedZone("", -5*3600))},
		{"From s@w.fr Wed, 2 May 2001 10:10:26 +0200\n", true, time.Date(2001, 5, 2, 10, 10, 26, 0, time.FixedZone("", 7200))},
		{`From "naveen.andrews@enron.com" Wed Jan 30 18:07:01 2002` + "\n", true, utc(2002, 1, 30, 18, 7, 1)},
		{"From zvf@[1086695621] [ufa]  Sun Aug  5 09:51:15 2001\n", true, utc(2001, 8, 5, 9, 51, 15)},
		{"From a@b Mon Jun 01 10:00\n", false, time.Time{}}, // no year
		{"From time to time\n", false, time.Time{}},
		{"From Russia with love\n", false, time.Time{}},
		{"From the RFC about ending boundary:\n", false, time.Time{}},
		{"From here\n", false, time.Time{}},
		{"From \n", false, time.Time{}},
		{"From Jan 5 10:00 2020 onwards\n", false, time.Time{}},
		{"From: a@b.c\n", false, time.Time{}},
		{">From a@b.c Sat Feb  6 23:42:23 2010\n", false, time.Time{}},
		{"From a@b.c Sat Feb 36 23:42:23 2010\n", false, time.Time{}},
		{"From a@b.c Sat Feb  6 25:42:23 2010\n", false, time.Time{}},
	}
	for _, tt := range tests {
		date, ok := fromLine([]byte(tt.line))
		if ok != tt.ok || !date.Equal(tt.date) {
			t.Errorf("fromLine(%q) = %v, %v; want %v, %v", tt.line, date, ok, tt.date, tt.ok)
		}
	}
}
