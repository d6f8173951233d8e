package asl

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestPassStatesApplyEveryPathField(t *testing.T) {
	h := newHarness(t, nil)
	arn := h.register("paths.asl.json", nil)
	x, err := h.engine.Start(t.Context(), arn, "run-1", []byte(`{
		"order": {"id": "A-1", "items": [{"name": "pen", "qty": 2}, {"name": "ink", "qty": 5}]},
		"other": true
	}`))
	if err != nil {
		t.Fatal(err)
	}
	h.wait(x)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `{
		"id": "A-1",
		"first": "pen",
		"quoted": "ink",
		"names": ["pen", "ink"],
		"label": "order A-1 in run-1",
		"state": "Select",
		"count": 2,
		"nested": {"copy": "A-1", "list": [{"deep": 5}, "plain"]},
		"literal": 7,
		"flag": {"ok": true},
		"emptied": {}
	}`)
}

func TestTaskResultShapeAndHistory(t *testing.T) {
	var got []map[string]any
	h := newHarness(t, map[string]any{
		"echo": func(in map[string]any) (map[string]any, error) {
			got = append(got, in)
			return map[string]any{"seen": in["value"]}, nil
		},
	})
	arn := h.register("task.asl.json", map[string]string{"EchoFunction": "echo"})
	x := h.run(arn, `{"request": {"value": 42}, "kept": "no"}`)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `{"echoed": {"seen": 42}, "status": 200, "version": "$LATEST"}`)
	if len(got) != 1 || mustJSON(t, got[0]) != `{"retry":0,"value":42}` {
		t.Errorf("handler payloads = %v, want one {retry:0 value:42}", got)
	}

	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if types := eventTypes(x, ""); !slices.Equal(types, want) {
		t.Fatalf("history = %v, want %v", types, want)
	}
	for i, ev := range x.History() {
		if ev.ID != i+1 {
			t.Errorf("event %d has ID %d", i, ev.ID)
		}
		if !ev.Time.Equal(epoch) {
			t.Errorf("event %s at %v, want the virtual clock's %v", ev.Type, ev.Time, epoch)
		}
	}
	scheduled := eventsOf(x, "TaskScheduled")[0]
	if scheduled.ResourceType != "lambda" || scheduled.Resource != "invoke" {
		t.Errorf("TaskScheduled resource = %s/%s, want lambda/invoke", scheduled.ResourceType, scheduled.Resource)
	}
	requireJSON(t, "TaskScheduled input", scheduled.Input, `{"FunctionName": "echo", "Payload": {"value": 42, "retry": 0}}`)
	succeeded := eventsOf(x, "TaskSucceeded")[0]
	for _, field := range []string{`"Payload":{"seen":42}`, `"StatusCode":200`, `"ExecutedVersion":"$LATEST"`, `"SdkHttpMetadata"`, `"SdkResponseMetadata"`} {
		if !strings.Contains(string(succeeded.Output), field) {
			t.Errorf("TaskSucceeded output %s lacks %s", succeeded.Output, field)
		}
	}
	requireJSON(t, "TaskStateEntered input", eventsOf(x, "TaskStateEntered")[0].Input, `{"request": {"value": 42}, "kept": "no"}`)
	if got := x.Transitions(); got != 1 {
		t.Errorf("Transitions() = %d, want 1", got)
	}
}

func TestContextObject(t *testing.T) {
	def := []byte(`{"StartAt": "Look", "States": {"Look": {"Type": "Pass", "Parameters": {
		"id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input",
		"start.$": "$$.Execution.StartTime", "machine.$": "$$.StateMachine.Id", "machineName.$": "$$.StateMachine.Name",
		"state.$": "$$.State.Name", "entered.$": "$$.State.EnteredTime", "retries.$": "$$.State.RetryCount"
	}, "End": true}}}`)
	h := newHarness(t, nil, func(o *EngineOptions) { o.Region, o.AccountID = "eu-west-1", "123456789012" })
	arn := h.registerDefinition("inspect", def, nil)
	if want := "arn:aws:states:eu-west-1:123456789012:stateMachine:inspect"; arn != want {
		t.Fatalf("Register ARN = %s, want %s", arn, want)
	}
	x, err := h.engine.Start(t.Context(), arn, "look-1", []byte(`{"a": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	h.wait(x)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `{
		"id": "arn:aws:states:eu-west-1:123456789012:execution:inspect:look-1",
		"name": "look-1",
		"input": {"a": 1},
		"start": "2025-03-14T15:09:26.000Z",
		"machine": "arn:aws:states:eu-west-1:123456789012:stateMachine:inspect",
		"machineName": "inspect",
		"state": "Look",
		"entered": "2025-03-14T15:09:26.000Z",
		"retries": 0
	}`)
}

func TestDataFlowErrorsAreUncatchableRuntimeFailures(t *testing.T) {
	tests := []struct {
		name  string
		state string
	}{
		{"parameters path", `"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "ok", "Payload": {"x.$": "$.missing"}}`},
		{"input path", `"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "InputPath": "$.missing", "Parameters": {"FunctionName": "ok"}`},
		{"result selector", `"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "ok"}, "ResultSelector": {"x.$": "$.Payload.missing"}`},
		{"result path through a string", `"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "ok"}, "ResultPath": "$.text.inner"`},
		{"intrinsic on the wrong type", `"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "ok", "Payload": {"n.$": "States.ArrayLength($.text)"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			h := newHarness(t, map[string]any{"ok": func() (string, error) { calls++; return "done", nil }})
			def := `{"StartAt": "S", "States": {"S": {` + tt.state + `,
				"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
				"Caught": {"Type": "Pass", "End": true}}}`
			x := h.run(h.registerDefinition("runtime", []byte(def), nil), `{"text": "plain"}`)
			requireStatus(t, x, StatusFailed)
			if x.Error() != errRuntime || !strings.Contains(x.Cause(), "'S'") {
				t.Errorf("error = %q, cause = %q; want States.Runtime naming the state", x.Error(), x.Cause())
			}
			if slices.Contains(eventTypes(x, "Caught"), "PassStateEntered") {
				t.Error("a Catch handled States.Runtime")
			}
		})
	}
}

func TestStartValidatesNamesInputAndMachine(t *testing.T) {
	h := newHarness(t, nil)
	arn := h.register("paths.asl.json", nil)
	tests := []struct {
		name, execName, input, machine string
		want                           error
	}{
		{"unknown machine", "a", `{}`, arn + "-gone", ErrStateMachineDoesNotExist},
		{"bad name", "has space", `{}`, arn, ErrInvalidName},
		{"bad input", "b", `{"open": `, arn, ErrInvalidExecutionInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.engine.Start(t.Context(), tt.machine, tt.execName, []byte(tt.input))
			if !errorsIs(err, tt.want) {
				t.Fatalf("Start error = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("duplicate name", func(t *testing.T) {
		input := `{"order": {"id": "x", "items": [{"name": "a", "qty": 1}, {"name": "b", "qty": 2}]}}`
		first, err := h.engine.Start(t.Context(), arn, "twice", []byte(input))
		if err != nil {
			t.Fatal(err)
		}
		h.wait(first)
		if _, err := h.engine.Start(t.Context(), arn, "twice", []byte(input)); !errorsIs(err, ErrExecutionAlreadyExists) {
			t.Fatalf("second Start error = %v, want ErrExecutionAlreadyExists", err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := h.engine.Start(ctx, arn, "late", nil); !errorsIs(err, context.Canceled) {
			t.Fatalf("Start error = %v, want context.Canceled", err)
		}
	})
}
