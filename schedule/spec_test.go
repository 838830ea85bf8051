package schedule

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST cases need zones on machines without zoneinfo
)

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func TestSpecNext(t *testing.T) {
	sto := mustLoad(t, "Europe/Stockholm")
	ny := mustLoad(t, "America/New_York")
	d := func(loc *time.Location, y int, m time.Month, day, h, min int) time.Time {
		return time.Date(y, m, day, h, min, 0, 0, loc)
	}
	tests := []struct {
		name string
		spec string
		loc  *time.Location
		from time.Time
		want []time.Time
	}{
		{"nightly", "0 3 * * *", time.UTC, d(time.UTC, 2024, 5, 6, 12, 0),
			[]time.Time{d(time.UTC, 2024, 5, 7, 3, 0), d(time.UTC, 2024, 5, 8, 3, 0)}},
		{"nightly from just before", "0 3 * * *", time.UTC, d(time.UTC, 2024, 5, 6, 2, 59),
			[]time.Time{d(time.UTC, 2024, 5, 6, 3, 0)}},
		{"nightly at the slot is the next day", "0 3 * * *", time.UTC, d(time.UTC, 2024, 5, 6, 3, 0),
			[]time.Time{d(time.UTC, 2024, 5, 7, 3, 0)}},
		{"every 6h", "@every 6h", time.UTC, d(time.UTC, 2024, 5, 6, 1, 30),
			[]time.Time{d(time.UTC, 2024, 5, 6, 7, 30), d(time.UTC, 2024, 5, 6, 13, 30)}},
		{"hourly", "@hourly", time.UTC, d(time.UTC, 2024, 5, 6, 1, 30),
			[]time.Time{d(time.UTC, 2024, 5, 6, 2, 0), d(time.UTC, 2024, 5, 6, 3, 0)}},
		{"weekdays", "15 8 * * 1-5", time.UTC, d(time.UTC, 2024, 5, 10, 9, 0), // a Friday
			[]time.Time{d(time.UTC, 2024, 5, 13, 8, 15)}},
		{"local zone", "0 3 * * *", sto, d(sto, 2024, 5, 6, 12, 0),
			[]time.Time{d(sto, 2024, 5, 7, 3, 0)}},
		{"CRON_TZ", "CRON_TZ=UTC 0 3 * * *", sto, d(time.UTC, 2024, 5, 6, 12, 0),
			[]time.Time{d(time.UTC, 2024, 5, 7, 3, 0)}},
		// Clocks go from 02:00 to 03:00 on 2025-03-30 in Stockholm.
		{"spring forward, 03:00 still once a day", "0 3 * * *", sto, d(sto, 2025, 3, 29, 12, 0),
			[]time.Time{d(sto, 2025, 3, 30, 3, 0), d(sto, 2025, 3, 31, 3, 0)}},
		{"spring forward, skipped 02:30 runs anyway", "30 2 * * *", sto, d(sto, 2025, 3, 29, 12, 0),
			[]time.Time{d(sto, 2025, 3, 30, 3, 30), d(sto, 2025, 3, 31, 2, 30)}},
		// Clocks go from 03:00 back to 02:00 on 2025-10-26 in Stockholm.
		{"fall back, repeated 02:30 runs once", "30 2 * * *", sto, d(sto, 2025, 10, 25, 12, 0),
			[]time.Time{d(sto, 2025, 10, 26, 2, 30), d(sto, 2025, 10, 27, 2, 30)}},
		{"fall back, 03:00 once", "0 3 * * *", sto, d(sto, 2025, 10, 25, 12, 0),
			[]time.Time{d(sto, 2025, 10, 26, 3, 0), d(sto, 2025, 10, 27, 3, 0)}},
		{"fall back, @every is real time", "@every 6h", sto, d(sto, 2025, 10, 26, 0, 0),
			[]time.Time{d(sto, 2025, 10, 26, 5, 0)}},
		{"New York spring forward", "30 2 * * *", ny, d(ny, 2025, 3, 8, 12, 0),
			[]time.Time{d(ny, 2025, 3, 9, 3, 30), d(ny, 2025, 3, 10, 2, 30)}},
		{"never", "0 0 30 2 *", time.UTC, d(time.UTC, 2024, 5, 6, 0, 0), []time.Time{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			from := tt.from
			for i, want := range tt.want {
				got := s.Next(from)
				if !got.Equal(want) {
					t.Fatalf("Next #%d (%q from %v) = %v, want %v", i+1, tt.spec, from, got, want)
				}
				from = got
			}
		})
	}
}

// TestSpecNextOncePerDayAcrossDST walks a year of nightly slots in zones
// with daylight saving: exactly one run per calendar day.
func TestSpecNextOncePerDayAcrossDST(t *testing.T) {
	for _, zone := range []string{"Europe/Stockholm", "America/New_York", "Australia/Sydney"} {
		loc := mustLoad(t, zone)
		for _, spec := range []string{"0 3 * * *", "30 2 * * *", "59 1 * * *", "0 0 * * *"} {
			s, err := Parse(spec, loc)
			if err != nil {
				t.Fatal(err)
			}
			from := time.Date(2025, 1, 1, 12, 0, 0, 0, loc)
			days := map[string]int{}
			for range 365 {
				next := s.Next(from)
				if !next.After(from) {
					t.Fatalf("%s %q: Next(%v) = %v, not after", zone, spec, from, next)
				}
				days[next.In(loc).Format(time.DateOnly)]++
				from = next
			}
			for day, n := range days {
				if n != 1 {
					t.Errorf("%s %q: %d runs on %s, want 1", zone, spec, n, day)
				}
			}
			if len(days) != 365 {
				t.Errorf("%s %q: runs on %d days, want 365", zone, spec, len(days))
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, spec := range []string{"", "* * *", "0 3 * * * *", "@every nonsense", "@weekly-ish", "61 * * * *", "CRON_TZ=Nowhere/City 0 3 * * *"} {
		if _, err := Parse(spec, nil); err == nil {
			t.Errorf("Parse(%q) = nil error, want one", spec)
		}
	}
}
