package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Spec is a parsed schedule: a robfig/cron v3 standard spec (five fields,
// no seconds, optionally prefixed with CRON_TZ=Zone) or a descriptor such
// as "@daily", "@hourly" or "@every 6h".
//
// Five-field specs and the @daily family name wall-clock times in the
// schedule's time zone, and Next treats them so across daylight-saving
// changes: a time that the clocks skip in spring runs once, shifted by the
// change, and a time that occurs twice in autumn runs once. "@every D"
// means a duration of real time, DST or not.
type Spec struct {
	text  string
	every time.Duration      // "@every": real time between runs
	spec  *cron.SpecSchedule // otherwise: evaluated on wall-clock fields in UTC
	loc   *time.Location     // the zone whose wall clock spec names
}

// Parse parses spec with the cron v3 standard parser. Wall-clock specs
// are evaluated in loc (nil means time.Local) unless the spec says
// CRON_TZ=Zone.
func Parse(spec string, loc *time.Location) (_ *Spec, err error) {
	if loc == nil {
		loc = time.Local
	}
	// robfig/cron has panicked on some malformed specs.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("schedule %q: %v", spec, r)
		}
	}()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	out := &Spec{text: spec, loc: loc}
	switch s := s.(type) {
	case cron.ConstantDelaySchedule:
		out.every = s.Delay
	case *cron.SpecSchedule:
		if s.Location != time.Local {
			out.loc = s.Location // CRON_TZ=
		}
		c := *s
		c.Location = time.UTC
		out.spec = &c
	default:
		return nil, fmt.Errorf("schedule %q: unsupported kind %T", spec, s)
	}
	return out, nil
}

// String returns the spec as written.
func (s *Spec) String() string { return s.text }

// Next returns the first time the schedule fires strictly after from, or
// the zero time when it never does (a date that does not exist within
// five years, such as "0 0 30 2 *").
func (s *Spec) Next(from time.Time) time.Time {
	from = from.Round(0) // wall clock: a machine's sleep counts
	if s.every > 0 {
		return from.Add(s.every - time.Duration(from.Nanosecond())).Round(0)
	}
	// Evaluate the spec on the wall clock as if it were UTC, which has no
	// daylight-saving changes, and map the answer back to the zone.
	wf := wallUTC(from.In(s.loc))
	wn := s.spec.Next(wf)
	if wn.IsZero() {
		return time.Time{}
	}
	n := time.Date(wn.Year(), wn.Month(), wn.Day(), wn.Hour(), wn.Minute(), wn.Second(), 0, s.loc)
	if nw := wallUTC(n); nw.Before(wn) {
		// The wall time is in a spring-forward gap and time.Date read it
		// in the zone before the change: move it forward by the gap, as
		// the clocks did.
		n = n.Add(wn.Sub(nw))
	}
	if !n.After(from) {
		n = from.Add(wn.Sub(wf))
	}
	return n
}

// wallUTC returns t's wall-clock reading as a time in UTC.
func wallUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
