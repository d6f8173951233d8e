package deploy

import (
	"strings"
	"testing"
	"time"
)

func TestShortestInterval(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		expression string
		want       time.Duration
	}{
		{"rate(1 minute)", time.Minute},
		{"rate(5 minutes)", 5 * time.Minute},
		{"rate(1 hour)", time.Hour},
		{"rate(30 days)", 30 * day},
		{"cron(0 3 * * ? *)", day},
		{"cron(0/15 * * * ? *)", 15 * time.Minute},
		{"cron(0 3 ? * MON *)", 7 * day},
		{"cron(0 8,20 ? * MON-FRI *)", 12 * time.Hour},
		{"cron(30 2 1 * ? *)", 28 * day},         // 1 Feb to 1 Mar in a common year
		{"cron(0 0 L * ? *)", 28 * day},          // 31 Jan to 28 Feb
		{"cron(0 12 ? * 2#1 *)", 28 * day},       // first Mondays, 6 Jan to 3 Feb 2025
		{"cron(0 12 ? * FRIL *)", 28 * day},      // last Fridays, 31 Jan to 28 Feb 2025
		{"cron(0 0 1 JAN-DEC/3 ? *)", 90 * day},  // quarterly, 1 Jan to 1 Apr 2025
		{"cron(0 0 29 2 ? *)", 0},                // 29 Feb 2028 only within five years
		{"cron(0 0 1 1 ? 2025-2026)", 365 * day}, // twice, a year apart
	}
	for _, tt := range tests {
		t.Run(tt.expression, func(t *testing.T) {
			got, err := shortestInterval(tt.expression, validationTime)
			if err != nil {
				t.Fatalf("shortestInterval: %v", err)
			}
			if got != tt.want {
				t.Errorf("shortestInterval = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestShortestIntervalRejects(t *testing.T) {
	tests := []struct {
		expression string
		want       string
	}{
		{"every day", "not an EventBridge schedule expression"},
		{"rate(0 days)", "positive whole number"},
		{"rate(2 day)", `unit "days"`},
		{"rate(1 week)", "not a valid rate expression"},
		{"cron(0 3 * * ?)", "has 5 cron fields, want 6"},
		{"cron(60 3 * * ? *)", `minutes field: "60" is not a value from 0 to 59`},
		{"cron(0 5-3 * * ? *)", `hours field: range "5-3" runs backwards`},
		{"cron(*/0 * * * ? *)", "invalid step"},
		{"cron(0 3 ? * ? *)", `"?" in exactly one`},
		{"cron(0 3 ? * XYZ *)", `day-of-week field: "XYZ"`},
		{"cron(0 3 ? * 2#6 *)", `day-of-week field: "2#6"`},
		{"cron(0 0 1 1 ? 2020)", "never fires"},
	}
	for _, tt := range tests {
		t.Run(tt.expression, func(t *testing.T) {
			_, err := shortestInterval(tt.expression, validationTime)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("shortestInterval(%q) = %v, want an error containing %q", tt.expression, err, tt.want)
			}
		})
	}
}

func TestNearestWeekdayStaysInTheMonth(t *testing.T) {
	tests := []struct {
		month time.Month
		n     int
		want  int
	}{
		{time.June, 15, 16},     // Sunday 15 June 2025: Monday after
		{time.February, 15, 14}, // Saturday 15 February 2025: Friday before
		{time.November, 1, 3},   // Saturday 1 November 2025: not back into October
		{time.August, 31, 29},   // Sunday 31 August 2025: not on into September
		{time.March, 12, 12},    // a Wednesday stays
		{time.February, 31, 28}, // past the month's end: its last day, a Friday in 2025
	}
	for _, tt := range tests {
		day := time.Date(2025, tt.month, 1, 0, 0, 0, 0, time.UTC)
		if got := nearestWeekdayTo(day, tt.n); got != tt.want {
			t.Errorf("%dW in %v 2025 = %d, want %d", tt.n, tt.month, got, tt.want)
		}
	}
}

func TestNextRun(t *testing.T) {
	at := time.Date(2025, 1, 31, 10, 30, 0, 0, time.UTC) // a Friday
	tests := []struct {
		expression string
		want       time.Time
	}{
		{"rate(30 days)", at.Add(30 * 24 * time.Hour)},
		{"rate(1 hour)", at.Add(time.Hour)},
		{"cron(0 3 * * ? *)", time.Date(2025, 2, 1, 3, 0, 0, 0, time.UTC)},
		{"cron(30 10 * * ? *)", time.Date(2025, 2, 1, 10, 30, 0, 0, time.UTC)}, // strictly after
		{"cron(0/15 * * * ? *)", time.Date(2025, 1, 31, 10, 45, 0, 0, time.UTC)},
		{"cron(0 3 ? * MON *)", time.Date(2025, 2, 3, 3, 0, 0, 0, time.UTC)},
		{"cron(0 0 L * ? *)", time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"cron(0 12 ? * FRIL *)", time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := NextRun(tt.expression, at)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("NextRun(%s) = %v, %v; want %v", tt.expression, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "every day", "rate(0 days)", "cron(0 0 * * * *)", "cron(0 0 1 1 ? 2001)"} {
		if _, err := NextRun(bad, at); err == nil {
			t.Errorf("NextRun(%q) succeeded", bad)
		}
	}
}
