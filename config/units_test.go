package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	good := map[string]time.Duration{
		"0s": 0, "90s": 90 * time.Second, "72h": 72 * time.Hour, "1h30m": 90 * time.Minute,
		"30d": 30 * day, "1d12h": 36 * time.Hour, " 2d ": 2 * day,
	}
	for in, want := range good {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "1", "-1s", "-1d", "1d-1h", "soon", "1.5d", "99999999999d", "1dd"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
	for _, d := range []time.Duration{0, time.Second, 30 * day, 36 * time.Hour, 90 * time.Minute, time.Hour, day + time.Second, 1500 * time.Millisecond} {
		if got, err := parseDuration(formatDuration(d)); err != nil || got != d {
			t.Errorf("parseDuration(formatDuration(%v) = %q) = %v, %v", d, formatDuration(d), got, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	good := map[string]int64{
		"4096": 4096, "100MB": 100e6, "100 mb": 100e6, "1.5GB": 1.5e9, "512KiB": 512 << 10,
		"1GiB": 1 << 30, "2k": 2000, "10B": 10, "0": 0,
	}
	for in, want := range good {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1MB", "1e6", "10 XB", "1..5MB", "99999999TiB", "lots"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %v, want an error", in, got)
		}
	}
}

func TestDeletePolicy(t *testing.T) {
	t.Parallel()
	good := map[string]DeletePolicy{
		"never":          {Mode: DeleteNever},
		"after-archive":  {Mode: DeleteAfterArchive},
		"older-than:30d": {Mode: DeleteOlderThan, OlderThan: 30 * day},
		"older-than:12h": {Mode: DeleteOlderThan, OlderThan: 12 * time.Hour},
	}
	for in, want := range good {
		var p DeletePolicy
		if err := p.UnmarshalText([]byte(in)); err != nil || p != want {
			t.Errorf("UnmarshalText(%q) = %+v, %v, want %+v", in, p, err, want)
		}
		if p.String() != in {
			t.Errorf("%+v.String() = %q, want %q", p, p.String(), in)
		}
	}
	for _, in := range []string{"", "always", "never:1d", "older-than", "older-than:", "older-than:0s", "older-than:-1d", "Never"} {
		var p DeletePolicy
		if err := p.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("UnmarshalText(%q) = %+v, want an error", in, p)
		}
	}
}
