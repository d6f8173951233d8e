package asl

import (
	"strings"
	"testing"
)

// A payload over 256 KiB fails the execution with States.DataLimitExceeded,
// which no Catch sees, wherever it appears.
func TestPayloadOverTheLimitFailsTheExecution(t *testing.T) {
	big := strings.Repeat("x", PayloadLimit)
	catchAll := `"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],`
	tests := []struct {
		name, definition, input string
		wantCause               string
	}{
		{"a task's result", `{"StartAt": "T", "States": {
			"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "big"},
			      "ResultSelector": {"n.$": "States.StringSplit('a', 'b')"}, ` + catchAll + ` "End": true},
			"Caught": {"Type": "Succeed"}}}`, `{}`, "The state/task 'T' returned a result"},
		{"a state's output", `{"StartAt": "P", "States": {
			"P": {"Type": "Pass", "Parameters": {"a.$": "$.half", "b.$": "$.half"}, "End": true}}}`,
			`{"half": "` + big[:PayloadLimit/2+10] + `"}`, "The state/task 'P' returned an output"},
		{"a task's parameters", `{"StartAt": "T", "States": {
			"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "big", "Payload": {"a.$": "$.half", "b.$": "$.half"}}, ` + catchAll + ` "End": true},
			"Caught": {"Type": "Succeed"}}}`,
			`{"half": "` + big[:PayloadLimit/2+10] + `"}`, "The state/task 'T' received an input"},
		{"a Distributed Map's results, whatever ResultSelector keeps", `{"StartAt": "M", "States": {
			"M": {"Type": "Map", "ItemsPath": "$.items", "ResultSelector": {"n.$": "States.ArrayLength($)"}, ` + catchAll + `
			      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I",
			                        "States": {"I": {"Type": "Pass", "Parameters": {"pad.$": "States.Format('{}{}{}{}', $.p, $.p, $.p, $.p)"}, "End": true}}},
			      "End": true},
			"Caught": {"Type": "Succeed"}}}`,
			`{"items": [` + strings.TrimSuffix(strings.Repeat(`{"p": "`+big[:1000]+`"},`, 80), ",") + `]}`, "The state/task 'M' returned a result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]any{"big": func() (string, error) { return big, nil }})
			x := h.run(h.registerDefinition("limits", []byte(tt.definition), nil), tt.input)
			requireStatus(t, x, StatusFailed)
			if x.Error() != "States.DataLimitExceeded" || !strings.Contains(x.Cause(), tt.wantCause) || !strings.Contains(x.Cause(), "maximum number of bytes service limit") {
				t.Errorf("error %q, cause %q", x.Error(), x.Cause())
			}
			if x.MaxPayloadBytes() <= PayloadLimit {
				t.Errorf("MaxPayloadBytes = %d", x.MaxPayloadBytes())
			}
		})
	}
}

func TestExecutionInputOverTheLimitIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	arn := h.registerDefinition("pass", []byte(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`), nil)
	input := `{"a": "` + strings.Repeat("x", PayloadLimit) + `"}`
	if _, err := h.engine.Start(t.Context(), arn, "", []byte(input)); !errorsIs(err, ErrInvalidExecutionInput) {
		t.Errorf("Start: %v, want ErrInvalidExecutionInput", err)
	}
	x := h.run(arn, `{"a": "`+strings.Repeat("x", PayloadLimit-20)+`"}`)
	requireStatus(t, x, StatusSucceeded)
}

// countTo loops a Pass and a Choice until $.i reaches the input's $.n:
// four history events per round.
const countTo = `{"StartAt": "Next", "States": {
	"Next": {"Type": "Pass", "Parameters": {"n.$": "$.n", "i.$": "States.MathAdd($.i, 1)"}, "Next": "Done?"},
	"Done?": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Next"}], "Default": "Done"},
	"Done": {"Type": "Succeed"}}}`

// An execution that reaches 25,000 history events fails as Step Functions
// fails it; one that stays below does not.
func TestHistoryOverTheLimitFailsTheExecution(t *testing.T) {
	h := newHarness(t, nil)
	arn := h.registerDefinition("count", []byte(countTo), nil)

	x := h.run(arn, `{"i": 0, "n": 6000}`) // 2 + 6000 × 4 + 2 events
	requireStatus(t, x, StatusSucceeded)

	x = h.run(arn, `{"i": 0, "n": 7000}`)
	requireStatus(t, x, StatusFailed)
	history := x.History()
	if len(history) != HistoryLimit {
		t.Errorf("history has %d events, want exactly %d", len(history), HistoryLimit)
	}
	last := history[len(history)-1]
	if last.Type != "ExecutionFailed" || x.Error() != "States.Runtime" || x.Cause() != "The execution reached the maximum number of history events (25000)." || last.Cause != x.Cause() {
		t.Errorf("last event %s %s %q; execution %s %q", last.Type, last.Error, last.Cause, x.Error(), x.Cause())
	}
}

// The reason the fleet uses a Distributed Map: an INLINE Map records every
// iteration in the parent's history and runs out of events at a few
// thousand items; a Distributed Map's parent records the Map Run only.
func TestDistributedMapKeepsTheParentHistoryShort(t *testing.T) {
	const n = 7000
	itemsJSON := `{"items": [` + strings.TrimSuffix(strings.Repeat(`1,`, n), ",") + `]}`
	processor := `"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {}, "End": true}}`
	run := func(config string) *Execution {
		h := newHarness(t, nil)
		def := `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "ResultSelector": {"n.$": "States.ArrayLength($)"},
			"ItemProcessor": {` + config + processor + `}, "End": true}}}`
		return h.run(h.registerDefinition("many", []byte(def), nil), itemsJSON)
	}
	inline := run(``)
	requireStatus(t, inline, StatusFailed)
	if inline.Error() != "States.Runtime" || !strings.Contains(inline.Cause(), "maximum number of history events") {
		t.Errorf("inline: %s %q", inline.Error(), inline.Cause())
	}
	distributed := run(`"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, `)
	requireStatus(t, distributed, StatusSucceeded)
	requireJSON(t, "output", distributed.Output(), `{"n": 7000}`)
	if n := len(distributed.History()); n > 10 {
		t.Errorf("the distributed parent's history has %d events", n)
	}
}
