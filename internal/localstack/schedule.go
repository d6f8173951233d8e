package localstack

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// schedule computes the fire times of an EventBridge schedule expression.
type schedule interface {
	next(after time.Time) (time.Time, bool)
}

// parseSchedule reads rate(N unit) and cron(min hour dom month dow year).
func parseSchedule(expr string, created time.Time) (schedule, error) {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		fields := strings.Fields(expr[len("rate(") : len(expr)-1])
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s: rate(value unit)", expr)
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: the value must be a positive whole number", expr)
		}
		unit := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[fields[1]]
		if unit == 0 || (n == 1) != !strings.HasSuffix(fields[1], "s") {
			return nil, fmt.Errorf("%s: the unit must be minute(s), hour(s) or day(s), singular for 1", expr)
		}
		return rate{start: created, period: time.Duration(n) * unit}, nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[len("cron(") : len(expr)-1])
	}
	return nil, fmt.Errorf("%q: %w", expr, errNoSchedule)
}

// rate fires every period from the rule's creation.
type rate struct {
	start  time.Time
	period time.Duration
}

func (r rate) next(after time.Time) (time.Time, bool) {
	n := after.Sub(r.start)/r.period + 1
	return r.start.Add(n * r.period), true
}

// cron is an EventBridge cron expression in UTC.
type cron struct {
	minutes, hours, doms, months, dows, years map[int]bool
	anyDom, anyDow                            bool
}

func parseCron(s string) (schedule, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(%s): six fields (minutes hours day-of-month month day-of-week year)", s)
	}
	c := &cron{}
	var err error
	months := map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	days := map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
	if c.minutes, err = cronField(f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = cronField(f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	c.anyDom, c.anyDow = f[2] == "?", f[4] == "?"
	if c.anyDom == c.anyDow {
		return nil, fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", s)
	}
	if !c.anyDom {
		if c.doms, err = cronField(f[2], 1, 31, nil); err != nil {
			return nil, err
		}
	}
	if c.months, err = cronField(f[3], 1, 12, months); err != nil {
		return nil, err
	}
	if !c.anyDow {
		if c.dows, err = cronField(f[4], 1, 7, days); err != nil {
			return nil, err
		}
	}
	if c.years, err = cronField(f[5], 1970, 2199, nil); err != nil {
		return nil, err
	}
	return c, nil
}

func cronField(s string, lo, hi int, names map[string]int) (map[int]bool, error) {
	out := map[int]bool{}
	val := func(v string) (int, error) {
		if n, ok := names[strings.ToUpper(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("cron field %q: %q is not a value between %d and %d (L, W and # are not supported locally)", s, v, lo, hi)
		}
		return n, nil
	}
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("cron field %q: bad step", s)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = val(a); err != nil {
				return nil, err
			}
			if to, err = val(b); err != nil {
				return nil, err
			}
		default:
			n, err := val(rng)
			if err != nil {
				return nil, err
			}
			from, to = n, n
			if hasStep {
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			out[v] = true
		}
	}
	return out, nil
}

func (c *cron) next(after time.Time) (time.Time, bool) {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		if !c.years[t.Year()] || !c.months[int(t.Month())] {
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
			continue
		}
		dayOK := (c.anyDom || c.doms[t.Day()]) && (c.anyDow || c.dows[int(t.Weekday())+1])
		if !dayOK {
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
			continue
		}
		if !c.hours[t.Hour()] {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, time.UTC).Add(time.Hour)
			continue
		}
		if c.minutes[t.Minute()] {
			return t, true
		}
		t = t.Add(time.Minute)
	}
	return time.Time{}, false
}

// startSchedules fires each enabled schedule rule on the stack's clock:
// every target that is a state machine of the stack gets an execution,
// started with the rule target's role.
func (ls *Stack) startSchedules() error {
	for _, rule := range ls.Deployment.Rules {
		if !rule.Enabled || rule.Schedule == "" {
			continue
		}
		sched, err := parseSchedule(rule.Schedule, ls.opts.Clock.Now())
		if err != nil {
			return fmt.Errorf("rule %s: %w", rule.Name, err)
		}
		rule := rule
		ls.wg.Add(1)
		go func() {
			defer ls.wg.Done()
			for {
				now := ls.opts.Clock.Now()
				at, ok := sched.next(now)
				if !ok {
					return
				}
				if err := ls.opts.Clock.Sleep(ls.ctx, at.Sub(now)); err != nil {
					return
				}
				ls.fire(rule)
			}
		}()
	}
	return nil
}

// fire delivers a rule's event to its targets, as EventBridge does with
// each target's role.
func (ls *Stack) fire(rule *Rule) {
	dep := ls.Deployment
	for _, t := range rule.Targets {
		m := ls.machineByARN(t.ARN)
		if m == nil {
			fmt.Fprintf(ls.opts.Logs, "events | rule %s: target %s is not a state machine of the stack; not delivered locally\n", rule.Name, t.ID)
			continue
		}
		session := "events-" + rule.Name
		if len(session) > 64 {
			session = session[:64]
		}
		d := dep.authorizeRole(t.RoleARN, session, "states:StartExecution", m.ARN, nil)
		if d.Allowed && m.KMSKeyARN != "" {
			d = dep.authorizeRole(t.RoleARN, session, "kms:GenerateDataKey", m.KMSKeyARN, kmsStatesContext(dep, m))
		}
		if !d.Allowed {
			fmt.Fprintf(ls.opts.Logs, "events | rule %s: target %s denied: %s\n", rule.Name, t.ID, d.Reason)
			continue
		}
		input := t.Input
		if input == "" {
			input = `{"version":"0","detail-type":"Scheduled Event","source":"aws.events","resources":["` + rule.ARN + `"],"detail":{}}`
		}
		x, serr := ls.start(ls.ctx, m, "", []byte(input))
		if serr != nil {
			fmt.Fprintf(ls.opts.Logs, "events | rule %s: %s\n", rule.Name, serr.Message)
			continue
		}
		fmt.Fprintf(ls.opts.Logs, "events | rule %s started %s\n", rule.Name, x.ARN())
	}
}
