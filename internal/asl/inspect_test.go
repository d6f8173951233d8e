package asl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WaitDuration reads a Wait state as the executor does, from the input its
// WaitStateEntered event records: every kind of Wait, and the errors.
func TestWaitDurationReadsTheStateAsTheExecutorDoes(t *testing.T) {
	def, err := os.ReadFile(filepath.Join("testdata", "wait.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(def, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2029, 12, 31, 23, 0, 0, 0, time.UTC)
	input := json.RawMessage(`{"grace": 60, "until": "2030-01-01T00:00:00Z"}`)
	for state, want := range map[string]time.Duration{
		"Seconds": 30 * time.Second, "SecondsPath": time.Minute, "Timestamp": time.Hour, "TimestampPath": time.Hour,
	} {
		if got, err := d.WaitDuration(state, input, now); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", state, got, err, want)
		}
	}
	if got, err := d.WaitDuration("TimestampPath", input, now.Add(2*time.Hour)); err != nil || got != 0 {
		t.Errorf("a timestamp already past: %v, %v; want 0", got, err)
	}
	for name, c := range map[string]struct {
		state string
		input string
	}{
		"no such state":   {"Nowhere", `{}`},
		"not JSON":        {"SecondsPath", `{`},
		"negative":        {"SecondsPath", `{"grace": -1}`},
		"missing":         {"SecondsPath", `{}`},
		"not a timestamp": {"TimestampPath", `{"until": "soon"}`},
	} {
		if got, err := d.WaitDuration(c.state, json.RawMessage(c.input), now); err == nil {
			t.Errorf("%s: %v, want an error", name, got)
		}
	}
}
