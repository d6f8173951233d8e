package asl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func newParentAndChild(t *testing.T, work any, configure ...func(*EngineOptions)) (*harness, string, string) {
	t.Helper()
	h := newHarness(t, map[string]any{"work": work}, configure...)
	child := h.register("child.asl.json", nil)
	parent := h.register("parent.asl.json", map[string]string{"ChildArn": child})
	return h, parent, child
}

func TestStartExecutionSync2ReturnsTheChildsDescription(t *testing.T) {
	h, parent, child := newParentAndChild(t, func(in struct{ Value int }) (map[string]int, error) {
		return map[string]int{"doubled": in.Value * 2}, nil
	})
	x := h.run(parent, `{"value": 21}`)
	requireStatus(t, x, StatusSucceeded)

	executions := h.engine.Executions()
	if len(executions) != 2 {
		t.Fatalf("%d executions, want the parent and one child", len(executions))
	}
	c := executions[1]
	if c.StateMachineARN() != child || c.Parent() != x {
		t.Fatalf("second execution runs %s (parent %v), want the child %s of the parent", c.StateMachineARN(), c.Parent(), child)
	}
	requireStatus(t, c, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `{
		"output": {"doubled": 42},
		"input": {"value": 21, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "`+x.ARN()+`"},
		"status": "SUCCEEDED",
		"arn": "`+c.ARN()+`"
	}`)
	if status, ok := h.engine.Describe(c.ARN()); !ok || status != StatusSucceeded {
		t.Errorf("Describe(child) = %s, %v", status, ok)
	}
	want := []string{"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited"}
	if got := eventTypes(x, "RunChild"); !equalStrings(got, want) {
		t.Errorf("RunChild events = %v, want %v", got, want)
	}
	if ev := eventsOf(x, "TaskScheduled")[0]; ev.ResourceType != "states" || ev.Resource != "startExecution.sync:2" {
		t.Errorf("TaskScheduled resource = %s/%s", ev.ResourceType, ev.Resource)
	}
}

func TestStartExecutionSync2FailsWithTheChildsDescription(t *testing.T) {
	h, parent, _ := newParentAndChild(t, func() error { return nil })
	x := h.run(parent, `{"value": -1}`)
	requireStatus(t, x, StatusSucceeded)
	var out struct {
		Error struct{ Error, Cause string } `json:"error"`
	}
	if err := json.Unmarshal(x.Output(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Error.Error != errTaskFailed {
		t.Fatalf("caught error = %q, want States.TaskFailed", out.Error.Error)
	}
	var description map[string]any
	if err := json.Unmarshal([]byte(out.Error.Cause), &description); err != nil {
		t.Fatalf("Cause is not the child's description: %v", err)
	}
	for field, want := range map[string]any{"Status": "FAILED", "Error": "NegativeValue", "Cause": "the value is negative"} {
		if description[field] != want {
			t.Errorf("description %s = %v, want %v", field, description[field], want)
		}
	}
	if _, ok := description["Output"]; ok {
		t.Error("a failed child's description has an Output")
	}
}

func TestStartExecutionSyncReturnsJSONText(t *testing.T) {
	h, _, child := newParentAndChild(t, func(in struct{ Value int }) (int, error) { return in.Value + 1, nil })
	parent := strings.Replace(readTestdata(t, "parent.asl.json"), `states:startExecution.sync:2"`, `states:startExecution.sync"`, 1)
	x := h.run(h.registerDefinition("parent-v1", []byte(parent), map[string]string{"ChildArn": child}), `{"value": 1}`)
	requireStatus(t, x, StatusSucceeded)
	var out map[string]any
	if err := json.Unmarshal(x.Output(), &out); err != nil {
		t.Fatal(err)
	}
	if out["output"] != "2" {
		t.Errorf("Output = %#v, want the JSON text \"2\"", out["output"])
	}
	if in, ok := out["input"].(string); !ok || !strings.Contains(in, `"value":1`) {
		t.Errorf("Input = %#v, want JSON text", out["input"])
	}
}

func TestStartExecutionOfAnUnknownMachine(t *testing.T) {
	h := newHarness(t, nil)
	parent := h.register("parent.asl.json", map[string]string{"ChildArn": "arn:aws:states:us-east-1:000000000000:stateMachine:gone"})
	x := h.run(parent, `{"value": 1}`)
	requireStatus(t, x, StatusSucceeded)
	var out struct {
		Error struct{ Error string } `json:"error"`
	}
	if err := json.Unmarshal(x.Output(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Error.Error != "StepFunctions.StateMachineDoesNotExistException" {
		t.Errorf("caught error = %q, want StepFunctions.StateMachineDoesNotExistException (States.TaskFailed matches it)", out.Error.Error)
	}
}

func TestStoppingTheParentStopsTheChild(t *testing.T) {
	entered := make(chan struct{})
	h, parent, _ := newParentAndChild(t, func(ctx context.Context) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}, releaseHandlersAtCleanup(t))
	x, err := h.engine.Start(t.Context(), parent, "", []byte(`{"value": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	x.Stop("Operator", "enough")
	h.wait(x)
	requireStatus(t, x, StatusAborted)
	c := h.engine.Executions()[1]
	h.wait(c)
	requireStatus(t, c, StatusAborted)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
