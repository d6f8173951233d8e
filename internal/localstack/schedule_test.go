package localstack

import (
	"errors"
	"testing"
	"time"
)

// The schedule expressions of EventBridge's "Using cron and rate expressions
// to schedule rules" page, parsed and fired as EventBridge fires them: cron
// in UTC, a rate from the rule's creation.
func TestScheduleExpressionsFireAsDocumented(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	created := at("2025-01-01 10:00") // a Wednesday
	tests := []struct {
		rule  string
		expr  string
		after string
		want  []string // the next fire times, in order
	}{
		{"rate: every period from the rule's creation", "rate(5 minutes)", "2025-01-01 10:07", []string{"2025-01-01 10:10", "2025-01-01 10:15"}},
		{"rate: a value of 1 takes the singular unit", "rate(1 day)", "2025-01-01 10:00", []string{"2025-01-02 10:00", "2025-01-03 10:00"}},
		{"rate: before the creation, the first fire is the creation", "rate(1 hour)", "2024-12-31 00:00", []string{"2025-01-01 10:00", "2025-01-01 11:00"}},
		{"cron(0 10 * * ? *): 10:00 am (UTC+0) every day", "cron(0 10 * * ? *)", "2025-01-01 10:00", []string{"2025-01-02 10:00", "2025-01-03 10:00"}},
		{"cron(15 12 * * ? *): 12:15 pm (UTC+0) every day", "cron(15 12 * * ? *)", "2025-01-01 12:14", []string{"2025-01-01 12:15", "2025-01-02 12:15"}},
		{"cron(0 18 ? * MON-FRI *): 6:00 pm Monday through Friday", "cron(0 18 ? * MON-FRI *)", "2025-01-03 18:00", []string{"2025-01-06 18:00", "2025-01-07 18:00"}},
		{"cron(0 8 1 * ? *): 8:00 am on the first day of the month", "cron(0 8 1 * ? *)", "2025-01-01 08:00", []string{"2025-02-01 08:00", "2025-03-01 08:00"}},
		{"cron(0/15 * * * ? *): every 15 minutes", "cron(0/15 * * * ? *)", "2025-01-01 10:07", []string{"2025-01-01 10:15", "2025-01-01 10:30"}},
		{"cron(0/10 * ? * MON-FRI *): every 10 minutes Monday through Friday", "cron(0/10 * ? * MON-FRI *)", "2025-01-03 23:55", []string{"2025-01-06 00:00", "2025-01-06 00:10"}},
		{"cron(0/5 8-17 ? * MON-FRI *): every 5 minutes between 8:00 am and 5:55 pm weekdays", "cron(0/5 8-17 ? * MON-FRI *)", "2025-01-03 17:55", []string{"2025-01-06 08:00", "2025-01-06 08:05"}},
		{"cron(0 9 ? * 2#1 *): 9:00 am on the first Monday of each month", "cron(0 9 ? * 2#1 *)", "2025-01-07 00:00", []string{"2025-02-03 09:00", "2025-03-03 09:00"}},
		{"L in day-of-month: the last day of the month", "cron(0 0 L * ? *)", "2025-02-01 00:00", []string{"2025-02-28 00:00", "2025-03-31 00:00"}},
		{"W in day-of-month: the weekday closest to the day (1W when the 1st is a Saturday)", "cron(0 0 1W * ? *)", "2025-01-31 00:00", []string{"2025-02-03 00:00", "2025-03-03 00:00"}},
		{"5L in day-of-week: the last Thursday of the month", "cron(0 0 ? * 5L *)", "2025-01-01 00:00", []string{"2025-01-30 00:00", "2025-02-27 00:00"}},
		{"the year field", "cron(0 0 1 JAN ? 2026-2027)", "2025-06-01 00:00", []string{"2026-01-01 00:00", "2027-01-01 00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			s, err := parseSchedule(tt.expr, created)
			if err != nil {
				t.Fatalf("parse %s: %v", tt.expr, err)
			}
			now := at(tt.after)
			for _, want := range tt.want {
				next, ok := s.next(now)
				if !ok || !next.Equal(at(want)) {
					t.Fatalf("%s after %s = %v (%v), want %s", tt.expr, now.Format("2006-01-02 15:04"), next.Format("2006-01-02 15:04 Mon"), ok, want)
				}
				now = next
			}
		})
	}

	// The last fire of a bounded year range: nothing after it.
	s, err := parseSchedule("cron(0 0 1 JAN ? 2026)", created)
	if err != nil {
		t.Fatal(err)
	}
	if next, ok := s.next(at("2026-01-01 00:00")); ok {
		t.Errorf("a schedule ending in 2026 fires again at %v", next)
	}
}

func TestScheduleExpressionsRefusedAsEventBridgeRefusesThem(t *testing.T) {
	for rule, expr := range map[string]string{
		"cron expressions have six required fields":                       "cron(0 10 * * ?)",
		"you can't use * in both the Day-of-month and Day-of-week fields": "cron(0 10 * * * *)",
		"one of Day-of-month and Day-of-week must be ?, not both":         "cron(0 10 ? * ? *)",
		"minutes are 0-59":                                                              "cron(60 10 * * ? *)",
		"hours are 0-23":                                                                "cron(0 24 * * ? *)",
		"months are 1-12 or JAN-DEC":                                                    "cron(0 10 * 13 ? *)",
		"day-of-week is 1-7 or SUN-SAT":                                                 "cron(0 10 ? * 8 *)",
		"years are 1970-2199":                                                           "cron(0 10 * * ? 2200)",
		"? is a wildcard of the day fields only":                                        "cron(? 10 * * ? *)",
		"W is a wildcard of day-of-month only":                                          "cron(0 10 ? * 2W *)",
		"# is a wildcard of day-of-week only":                                           "cron(0 10 2#1 * ? *)",
		"rate: if the value is equal to 1, then the unit must be singular":              "rate(1 minutes)",
		"rate: if the value is greater than 1, the unit must be plural":                 "rate(5 minute)",
		"rate: the value is a positive number":                                          "rate(0 minutes)",
		"rate: the unit is minute(s), hour(s) or day(s)":                                "rate(1 week)",
		"a schedule expression is rate(...) or cron(...)":                               "every day at ten",
		"rate: the value and unit are separated by one space, without other characters": "rate(5  minutes)",
	} {
		if _, err := parseSchedule(expr, time.Now()); err == nil || !errors.Is(err, errNoSchedule) {
			t.Errorf("%s: %s parsed (err %v)", rule, expr, err)
		}
	}
}
