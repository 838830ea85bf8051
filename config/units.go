package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// parseDuration parses a Go duration ("72h", "1h30m") that may start with a
// number of days ("30d", "1d12h"). Negative durations are an error.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a duration (want e.g. \"90s\", \"72h\" or \"30d\")", s)
	var d time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil || n > math.MaxInt64/uint64(day) {
			return 0, bad
		}
		d, s = time.Duration(n)*day, s[i+1:]
		if s == "" {
			return d, nil
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil || rest < 0 || d > math.MaxInt64-rest {
		return 0, bad
	}
	return d + rest, nil
}

// formatDuration writes d the way parseDuration reads it, shortest first:
// "30d", "1d12h", "90m" rather than "720h0m0s", "36h0m0s", "1h30m0s".
func formatDuration(d time.Duration) string {
	var days string
	if d >= day {
		days, d = strconv.FormatInt(int64(d/day), 10)+"d", d%day
		if d == 0 {
			return days
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return days + s
}

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "tib": 1 << 40,
}

// parseSize parses a size in bytes: a number with an optional unit, KB, MB,
// GB, TB (powers of 1000; K, M, G, T too) or KiB, MiB, GiB, TiB (powers of
// 1024), case-insensitive: "100MB", "1.5 GiB", "4096".
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if err != nil || !ok || n*unit >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size (want e.g. \"100MB\", \"512KiB\" or a number of bytes)", s)
	}
	return int64(n * unit), nil
}

// UnmarshalText parses "never", "after-archive" or "older-than:DURATION".
func (p *DeletePolicy) UnmarshalText(b []byte) error {
	s := string(b)
	mode, arg, hasArg := strings.Cut(s, ":")
	switch DeleteMode(mode) {
	case DeleteNever, DeleteAfterArchive:
		if !hasArg {
			*p = DeletePolicy{Mode: DeleteMode(mode)}
			return nil
		}
	case DeleteOlderThan:
		d, err := parseDuration(arg)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		if d <= 0 {
			return fmt.Errorf("%q: the duration must be positive", s)
		}
		*p = DeletePolicy{Mode: DeleteOlderThan, OlderThan: d}
		return nil
	}
	return errors.New(badDelete(s))
}

func badDelete(s string) string {
	return fmt.Sprintf("%q is not valid (want never, after-archive or older-than:DURATION like older-than:30d)", s)
}

// String returns p as it is written in the file.
func (p DeletePolicy) String() string {
	if p.Mode == DeleteOlderThan {
		return string(p.Mode) + ":" + formatDuration(p.OlderThan)
	}
	return string(p.Mode)
}
