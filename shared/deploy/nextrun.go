package deploy

import (
	"errors"
	"strings"
	"time"
)

// Schedule is a parsed EventBridge schedule expression that can say when
// it fires: what a local stand-in for EventBridge needs, with the same
// parser that validates the configuration, so that every schedule the
// validation accepts also fires locally (L, W and # included).
type Schedule struct {
	start time.Time     // a rate's first period starts here
	every time.Duration // a rate's period; 0 for a cron expression
	cron  cronSpec
}

// ParseSchedule reads rate(...) or cron(...). A rate fires every period
// from created, as EventBridge counts a rule's rate from its creation.
func ParseSchedule(expression string, created time.Time) (Schedule, error) {
	switch {
	case strings.HasPrefix(expression, "rate("):
		every, err := rateInterval(expression)
		if err != nil {
			return Schedule{}, err
		}
		return Schedule{start: created, every: every}, nil
	case strings.HasPrefix(expression, "cron(") && strings.HasSuffix(expression, ")"):
		spec, err := parseCron(strings.TrimSuffix(strings.TrimPrefix(expression, "cron("), ")"))
		if err != nil {
			return Schedule{}, err
		}
		return Schedule{cron: spec}, nil
	}
	return Schedule{}, errors.New(`is not an EventBridge schedule expression: want "rate(<n> <unit>)" or "cron(<6 fields>)"`)
}

// Next returns the first time after after at which the schedule fires
// (cron expressions in UTC, to the minute), and false when it never fires
// again within the five years ahead.
func (s Schedule) Next(after time.Time) (time.Time, bool) {
	if s.every > 0 {
		if after.Before(s.start) {
			return s.start, true
		}
		n := after.Sub(s.start)/s.every + 1
		return s.start.Add(n * s.every), true
	}
	c := s.cron
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.Add(scheduleHorizon)
	for t.Before(limit) {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		switch {
		case !c.years.has(t.Year()) || !c.months.has(int(t.Month())):
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
		case !c.days(day):
			t = day.AddDate(0, 0, 1)
		case !c.hours.has(t.Hour()):
			t = day.Add(time.Duration(t.Hour()+1) * time.Hour)
		case !c.minutes.has(t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t, true
		}
	}
	return time.Time{}, false
}
