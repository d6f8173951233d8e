package asl

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// twoTasks runs "first" then "second", each with a catch-all into Handled.
var twoTasks = []byte(`{"StartAt": "First", "States": {
	"First": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "first"}, "ResultPath": null,
		"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "Next": "Second"},
	"Second": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "second"},
		"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": true},
	"Handled": {"Type": "Pass", "End": true}}}`)

func TestBeforeStateErrorStopsTheExecution(t *testing.T) {
	var secondCalled bool
	var seen []string
	h := newHarness(t, map[string]any{
		"first":  func() error { return nil },
		"second": func() error { secondCalled = true; return nil },
	}, func(o *EngineOptions) {
		o.BeforeState = func(x *Execution, state string) error {
			seen = append(seen, state)
			if state == "Second" {
				return errors.New("fault injected before Second")
			}
			return nil
		}
	})
	x := h.run(h.registerDefinition("two", twoTasks, nil), `{}`)
	requireStatus(t, x, StatusAborted)
	if x.Cause() != "fault injected before Second" {
		t.Errorf("Cause = %q", x.Cause())
	}
	if secondCalled {
		t.Error("the stopped state's handler ran")
	}
	if !slices.Equal(seen, []string{"First", "Second"}) {
		t.Errorf("BeforeState saw %v", seen)
	}
	types := eventTypes(x, "")
	if types[len(types)-1] != "ExecutionAborted" || slices.Contains(types, "PassStateEntered") {
		t.Errorf("history = %v, want it to end in ExecutionAborted with no Catch run", types)
	}
	if x.Transitions() != 1 {
		t.Errorf("Transitions() = %d, want 1", x.Transitions())
	}
}

func TestStopDoesNotInterruptARunningHandler(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	handlerErr := make(chan error, 1)
	h := newHarness(t, map[string]any{
		"first": func(ctx context.Context) error {
			close(entered)
			<-release
			handlerErr <- ctx.Err()
			return nil
		},
		"second": func() error { t.Error("a state ran after Stop"); return nil },
	})
	x, err := h.engine.Start(t.Context(), h.registerDefinition("two", twoTasks, nil), "stop-me", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	x.Stop("Operator.Stop", "suspected leak handled elsewhere")
	if x.Status() != StatusAborted {
		t.Fatalf("status right after Stop = %s, want ABORTED", x.Status())
	}
	h.wait(x)
	if x.Error() != "Operator.Stop" || x.Cause() != "suspected leak handled elsewhere" {
		t.Errorf("error/cause = %q/%q", x.Error(), x.Cause())
	}
	close(release)
	if err := <-handlerErr; err != nil {
		t.Errorf("the running handler's context ended with the stop: %v", err)
	}
	x.Stop("Again", "no effect")
	if x.Error() != "Operator.Stop" {
		t.Errorf("a second Stop changed the error to %q", x.Error())
	}
	if status, ok := h.engine.Describe(x.ARN()); !ok || status != StatusAborted {
		t.Errorf("Describe = %s, %v", status, ok)
	}
}

func TestExecutionTimeout(t *testing.T) {
	def := []byte(`{"TimeoutSeconds": 300, "StartAt": "Hang", "States": {"Hang": {"Type": "Task",
		"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "hang"}, "End": true}}}`)
	timeouts := &expiringTimeouts{expire: 300 * time.Second}
	testDone := make(chan struct{})
	t.Cleanup(func() { close(testDone) })
	h := newHarness(t, map[string]any{"hang": func() error { <-testDone; return nil }},
		func(o *EngineOptions) { o.Timeout = timeouts.timeout })
	x := h.run(h.registerDefinition("hang", def, nil), `{}`)
	requireStatus(t, x, StatusTimedOut)
	if x.Error() != errTimeout {
		t.Errorf("Error = %q", x.Error())
	}
	if types := eventTypes(x, ""); types[len(types)-1] != "ExecutionTimedOut" {
		t.Errorf("history = %v", types)
	}
}
