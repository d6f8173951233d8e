package deploy

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// scheduleHorizon is how far ahead a cron expression is expanded to find its
// shortest interval; long enough to see a yearly schedule fire twice.
const scheduleHorizon = 5 * 366 * 24 * time.Hour

var rateExpression = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// shortestInterval parses an EventBridge schedule expression and returns the
// shortest time between two consecutive runs from now on, which bounds the
// grace period: a rotation must revoke the old key before the next one starts.
// It returns 0 for a cron expression that fires only once in the horizon.
func shortestInterval(expression string, now time.Time) (time.Duration, error) {
	switch {
	case strings.HasPrefix(expression, "rate("):
		return rateInterval(expression)
	case strings.HasPrefix(expression, "cron(") && strings.HasSuffix(expression, ")"):
		spec, err := parseCron(strings.TrimSuffix(strings.TrimPrefix(expression, "cron("), ")"))
		if err != nil {
			return 0, err
		}
		return spec.shortestInterval(now.UTC(), scheduleHorizon)
	default:
		return 0, errors.New(`is not an EventBridge schedule expression: want "rate(<n> <unit>)" or "cron(<6 fields>)"`)
	}
}

func rateInterval(expression string) (time.Duration, error) {
	m := rateExpression.FindStringSubmatch(expression)
	if m == nil {
		return 0, errors.New(`is not a valid rate expression: want "rate(<n> minute(s)|hour(s)|day(s))"`)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 {
		return 0, errors.New("is not a valid rate expression: the value must be a positive whole number")
	}
	unit := m[2]
	// EventBridge insists on "1 day" but "2 days".
	if singular := !strings.HasSuffix(unit, "s"); singular != (n == 1) {
		return 0, fmt.Errorf("is not a valid rate expression: EventBridge wants the unit %q with the value %d", pluralize(strings.TrimSuffix(unit, "s"), n), n)
	}
	per := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(unit, "s")]
	return time.Duration(n) * per, nil
}

func pluralize(unit string, n int) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}

// cronSpec is a parsed EventBridge cron expression: minutes, hours,
// day-of-month, month, day-of-week, year, evaluated in UTC.
type cronSpec struct {
	minutes, hours, months, years fieldSet
	days                          dayMatcher
}

// fieldSet marks the allowed values of one numeric cron field.
type fieldSet struct {
	min     int
	allowed []bool // index value-min
}

func (f fieldSet) has(v int) bool {
	i := v - f.min
	return i >= 0 && i < len(f.allowed) && f.allowed[i]
}

// dayMatcher decides whether a calendar day matches the day-of-month or the
// day-of-week field (EventBridge takes exactly one of them, the other is "?").
type dayMatcher func(day time.Time) bool

type cronField struct {
	name     string
	min, max int
	names    []string // symbolic names for min, min+1, ...
}

var (
	minuteField     = cronField{name: "minutes", min: 0, max: 59}
	hourField       = cronField{name: "hours", min: 0, max: 23}
	dayOfMonthField = cronField{name: "day-of-month", min: 1, max: 31}
	monthField      = cronField{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	dayOfWeekField  = cronField{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	yearField       = cronField{name: "year", min: 1970, max: 2199}
)

func parseCron(body string) (cronSpec, error) {
	fields := strings.Fields(body)
	if len(fields) != 6 {
		return cronSpec{}, fmt.Errorf("has %d cron fields, want 6: minutes hours day-of-month month day-of-week year", len(fields))
	}
	var spec cronSpec
	var err error
	if spec.minutes, err = minuteField.parse(fields[0]); err != nil {
		return cronSpec{}, err
	}
	if spec.hours, err = hourField.parse(fields[1]); err != nil {
		return cronSpec{}, err
	}
	if spec.months, err = monthField.parse(fields[3]); err != nil {
		return cronSpec{}, err
	}
	if spec.years, err = yearField.parse(fields[5]); err != nil {
		return cronSpec{}, err
	}
	dom, dow := fields[2], fields[4]
	switch {
	case dom == "?" && dow == "?", dom != "?" && dow != "?":
		return cronSpec{}, errors.New(`needs "?" in exactly one of day-of-month and day-of-week`)
	case dow == "?":
		spec.days, err = parseDayOfMonth(dom)
	default:
		spec.days, err = parseDayOfWeek(dow)
	}
	if err != nil {
		return cronSpec{}, err
	}
	return spec, nil
}

// parse reads a field made of "*", values, ranges "a-b" and steps "x/n",
// separated by commas.
func (f cronField) parse(text string) (fieldSet, error) {
	set := fieldSet{min: f.min, allowed: make([]bool, f.max-f.min+1)}
	for item := range strings.SplitSeq(text, ",") {
		first, last, step, err := f.parseItem(item)
		if err != nil {
			return fieldSet{}, err
		}
		for v := first; v <= last; v += step {
			set.allowed[v-f.min] = true
		}
	}
	return set, nil
}

func (f cronField) parseItem(item string) (first, last, step int, err error) {
	span, stepText, hasStep := strings.Cut(item, "/")
	step = 1
	if hasStep {
		if step, err = strconv.Atoi(stepText); err != nil || step < 1 {
			return 0, 0, 0, fmt.Errorf("%s field: %q has an invalid step", f.name, item)
		}
	}
	switch lo, hi, isRange := strings.Cut(span, "-"); {
	case span == "*":
		first, last = f.min, f.max
	case isRange:
		if first, err = f.value(lo); err != nil {
			return 0, 0, 0, err
		}
		if last, err = f.value(hi); err != nil {
			return 0, 0, 0, err
		}
		if first > last {
			return 0, 0, 0, fmt.Errorf("%s field: range %q runs backwards", f.name, span)
		}
	default:
		if first, err = f.value(span); err != nil {
			return 0, 0, 0, err
		}
		last = first
		if hasStep {
			last = f.max
		}
	}
	return first, last, step, nil
}

func (f cronField) value(text string) (int, error) {
	for i, name := range f.names {
		if strings.EqualFold(text, name) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < f.min || v > f.max {
		return 0, fmt.Errorf("%s field: %q is not a value from %d to %d", f.name, text, f.min, f.max)
	}
	return v, nil
}

var (
	nearestWeekday = regexp.MustCompile(`^(\d{1,2})W$`)
	lastWeekday    = regexp.MustCompile(`^([1-7]|[A-Za-z]{3})L$`)
	nthWeekday     = regexp.MustCompile(`^([1-7]|[A-Za-z]{3})#([1-5])$`)
)

// parseDayOfMonth reads the day-of-month field, including "L" (last day of
// the month) and "nW" (the weekday nearest to day n, within the month).
func parseDayOfMonth(text string) (dayMatcher, error) {
	if text == "L" {
		return func(day time.Time) bool { return day.Day() == daysIn(day) }, nil
	}
	if m := nearestWeekday.FindStringSubmatch(text); m != nil {
		n, err := dayOfMonthField.value(m[1])
		if err != nil {
			return nil, err
		}
		return func(day time.Time) bool { return day.Day() == nearestWeekdayTo(day, n) }, nil
	}
	set, err := dayOfMonthField.parse(text)
	if err != nil {
		return nil, err
	}
	return func(day time.Time) bool { return set.has(day.Day()) }, nil
}

// parseDayOfWeek reads the day-of-week field (1 = SUN), including "dL" (last
// such weekday of the month) and "d#n" (the n-th such weekday).
func parseDayOfWeek(text string) (dayMatcher, error) {
	if m := lastWeekday.FindStringSubmatch(text); m != nil {
		weekday, err := dayOfWeekField.value(m[1])
		if err != nil {
			return nil, err
		}
		return func(day time.Time) bool {
			return cronWeekday(day) == weekday && day.Day()+7 > daysIn(day)
		}, nil
	}
	if m := nthWeekday.FindStringSubmatch(text); m != nil {
		weekday, err := dayOfWeekField.value(m[1])
		if err != nil {
			return nil, err
		}
		nth, _ := strconv.Atoi(m[2])
		return func(day time.Time) bool {
			return cronWeekday(day) == weekday && (day.Day()-1)/7+1 == nth
		}, nil
	}
	set, err := dayOfWeekField.parse(text)
	if err != nil {
		return nil, err
	}
	return func(day time.Time) bool { return set.has(cronWeekday(day)) }, nil
}

// cronWeekday numbers days as EventBridge does: 1 = Sunday ... 7 = Saturday.
func cronWeekday(day time.Time) int { return int(day.Weekday()) + 1 }

func daysIn(day time.Time) int {
	return time.Date(day.Year(), day.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nearestWeekdayTo returns the day of day's month that "nW" selects: n itself
// on a weekday, else the nearest Monday-Friday without leaving the month.
func nearestWeekdayTo(day time.Time, n int) int {
	n = min(n, daysIn(day))
	target := time.Date(day.Year(), day.Month(), n, 0, 0, 0, 0, time.UTC)
	switch target.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == daysIn(day) {
			return n - 2
		}
		return n + 1
	}
	return n
}

// shortestInterval expands the schedule from now over horizon and returns the
// shortest gap between consecutive runs (0 when it runs only once).
func (c cronSpec) shortestInterval(now time.Time, horizon time.Duration) (time.Duration, error) {
	var previous time.Time
	var shortest time.Duration
	runs := 0
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for day := start; day.Before(now.Add(horizon)); day = day.AddDate(0, 0, 1) {
		if !c.years.has(day.Year()) || !c.months.has(int(day.Month())) || !c.days(day) {
			continue
		}
		for h := range 24 {
			if !c.hours.has(h) {
				continue
			}
			for m := range 60 {
				if !c.minutes.has(m) {
					continue
				}
				run := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if run.Before(now) {
					continue
				}
				if runs > 0 && (shortest == 0 || run.Sub(previous) < shortest) {
					shortest = run.Sub(previous)
				}
				previous = run
				runs++
				if shortest == time.Minute {
					return shortest, nil // nothing runs more often
				}
			}
		}
	}
	if runs == 0 {
		return 0, errors.New("never fires in the next five years")
	}
	return shortest, nil
}

// ScheduledRunInput is the rotate-fleet state machine's input for a
// scheduled run. It names no target: the fleet run lists the deployment's
// secrets by their TagDeployment tag when it starts, so the input stays the
// same size for any fleet and a target added later is rotated without
// touching the schedule.
func ScheduledRunInput() map[string]any {
	return map[string]any{"mode": "scheduled"}
}

// NextRun returns when an EventBridge schedule expression fires next after
// t. A cron(...) expression's next run is exact (UTC, to the minute). A
// rate(...) expression fires every period from when its rule was created,
// which the EventBridge API does not report, so for a rate NextRun returns
// t plus the period: the run after one at t.
func NextRun(expression string, t time.Time) (time.Time, error) {
	switch {
	case strings.HasPrefix(expression, "rate("):
		period, err := rateInterval(expression)
		if err != nil {
			return time.Time{}, err
		}
		return t.Add(period), nil
	case strings.HasPrefix(expression, "cron(") && strings.HasSuffix(expression, ")"):
		spec, err := parseCron(strings.TrimSuffix(strings.TrimPrefix(expression, "cron("), ")"))
		if err != nil {
			return time.Time{}, err
		}
		return spec.next(t.UTC(), scheduleHorizon)
	default:
		return time.Time{}, errors.New(`is not an EventBridge schedule expression: want "rate(<n> <unit>)" or "cron(<6 fields>)"`)
	}
}

// next returns the first run of the schedule after t, within horizon.
func (c cronSpec) next(t time.Time, horizon time.Duration) (time.Time, error) {
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for day := start; day.Before(t.Add(horizon)); day = day.AddDate(0, 0, 1) {
		if !c.years.has(day.Year()) || !c.months.has(int(day.Month())) || !c.days(day) {
			continue
		}
		for h := range 24 {
			if !c.hours.has(h) {
				continue
			}
			for m := range 60 {
				if run := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute); c.minutes.has(m) && run.After(t) {
					return run, nil
				}
			}
		}
	}
	return time.Time{}, errors.New("never fires in the next five years")
}
