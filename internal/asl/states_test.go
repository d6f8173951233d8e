package asl

import (
	"slices"
	"testing"
	"time"
)

func TestChoiceState(t *testing.T) {
	tests := []struct {
		name, input string
		want        Status
		output      string
		error       string
	}{
		{"And matches", `{"kind": "big", "size": 11}`, StatusSucceeded, `"big"`, ""},
		{"Default when no rule matches", `{"kind": "big", "size": 10}`, StatusSucceeded, `"small"`, ""},
		{"nested Choice with InputPath", `{"kind": "strict", "nested": {"ok": true}}`, StatusSucceeded, `"big"`, ""},
		{"no match and no Default", `{"kind": "strict", "nested": {"ok": false}}`, StatusFailed, "", errNoChoiceMatched},
		{"missing Variable is a runtime error", `{"kind": "strict", "nested": {}}`, StatusFailed, "", errRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			x := h.run(h.register("choice.asl.json", nil), tt.input)
			requireStatus(t, x, tt.want)
			if tt.output != "" {
				requireJSON(t, "output", x.Output(), tt.output)
			}
			if x.Error() != tt.error {
				t.Errorf("Error = %q, want %q", x.Error(), tt.error)
			}
		})
	}
}

func TestWaitStatesUseTheClock(t *testing.T) {
	h := newHarness(t, nil)
	until := epoch.Add(48 * time.Hour)
	x := h.run(h.register("wait.asl.json", nil), `{"grace": 86400, "until": "`+until.Format(time.RFC3339)+`"}`)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `86400`)
	afterSeconds := epoch.Add(30*time.Second + 24*time.Hour)
	fixed := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []time.Duration{30 * time.Second, 24 * time.Hour, fixed.Sub(afterSeconds), 0}
	if got := h.clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("sleeps = %v, want %v (the last timestamp has passed)", got, want)
	}
	entered := eventsOf(x, "WaitStateEntered")
	if len(entered) != 4 || !entered[2].Time.Equal(afterSeconds) || !entered[3].Time.Equal(fixed) {
		t.Errorf("WaitStateEntered times = %v", entered)
	}
}

func TestWaitRejectsABadSecondsPath(t *testing.T) {
	for _, grace := range []string{`-1`, `1.5`, `"10"`} {
		t.Run(grace, func(t *testing.T) {
			h := newHarness(t, nil)
			x := h.run(h.register("wait.asl.json", nil), `{"grace": `+grace+`, "until": "2030-01-01T00:00:00Z"}`)
			requireStatus(t, x, StatusFailed)
			if x.Error() != errRuntime {
				t.Errorf("Error = %q, want States.Runtime", x.Error())
			}
		})
	}
}

func TestFailStateErrorPathAndCausePath(t *testing.T) {
	h := newHarness(t, nil)
	x, err := h.engine.Start(t.Context(), h.register("fail.asl.json", nil), "job-9", []byte(`{"problem": {"name": "KeyRevoked", "detail": "key gone"}}`))
	if err != nil {
		t.Fatal(err)
	}
	h.wait(x)
	requireStatus(t, x, StatusFailed)
	if x.Error() != "KeyRevoked" || x.Cause() != "job-9 failed: key gone" {
		t.Errorf("error/cause = %q/%q", x.Error(), x.Cause())
	}
	if got := eventTypes(x, ""); !slices.Equal(got, []string{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}) {
		t.Errorf("history = %v", got)
	}
	if ev := eventsOf(x, "ExecutionFailed")[0]; ev.Error != "KeyRevoked" || ev.Cause != x.Cause() {
		t.Errorf("ExecutionFailed = %+v", ev)
	}
}

func TestSucceedStateAppliesInputAndOutputPath(t *testing.T) {
	def := []byte(`{"StartAt": "Done", "States": {"Done": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}}`)
	h := newHarness(t, nil)
	x := h.run(h.registerDefinition("succeed", def, nil), `{"a": {"b": "kept"}, "b": "wrong"}`)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `"kept"`)
}
