package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// oneTask is a machine with a single lambda:invoke Task of "fn" and no
// Retry or Catch, so the execution fails with the task's error.
var oneTask = []byte(`{"StartAt": "Call", "States": {"Call": {"Type": "Task",
	"Resource": "arn:aws:states:::lambda:invoke",
	"Parameters": {"FunctionName": "fn", "Payload.$": "$"}, "End": true}}}`)

func TestHandlerErrorsAreNamedAsLambdaReportsThem(t *testing.T) {
	tests := []struct {
		name      string
		handler   any
		wantError string
		wantMsg   string
		wantStack bool
	}{
		{"typed pointer error", func() error { return &TransientError{Reason: "busy"} }, "TransientError", "transient: busy", false},
		{"typed value error", func() error { return PermanentError{} }, "PermanentError", "permanent", false},
		{"errors.New", func() error { return errors.New("plain") }, "errorString", "plain", false},
		{"fmt.Errorf without %w", func() error { return fmt.Errorf("code %d", 7) }, "errorString", "code 7", false},
		{"fmt.Errorf wrapping a typed error", func() error { return fmt.Errorf("create key: %w", &TransientError{Reason: "x"}) }, "wrapError", "create key: transient: x", false},
		{"InvokeResponse_Error keeps its type", func() error {
			return messages.InvokeResponse_Error{Type: "Custom.Failure", Message: "told so"}
		}, "Custom.Failure", "told so", false},
		{"payload that does not decode", func(in struct{ N int }) error { return nil }, "UnmarshalTypeError", "json: cannot unmarshal", false},
		{"panic with a string", func() error { panic("boom") }, "string", "boom", true},
		{"panic with a typed error", func() error { panic(&TransientError{Reason: "p"}) }, "TransientError", "transient: p", true},
		{"panic with an InvokeResponse_Error", func() error {
			panic(messages.InvokeResponse_Error{Type: "Runtime.Custom", Message: "exit"})
		}, "Runtime.Custom", "exit", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]any{"fn": tt.handler})
			x := h.run(h.registerDefinition("one", oneTask, nil), `{"N": "not a number"}`)
			requireStatus(t, x, StatusFailed)
			if x.Error() != tt.wantError {
				t.Errorf("Error = %q, want %q", x.Error(), tt.wantError)
			}
			var cause struct {
				ErrorMessage string            `json:"errorMessage"`
				ErrorType    string            `json:"errorType"`
				StackTrace   []json.RawMessage `json:"stackTrace"`
			}
			if err := json.Unmarshal([]byte(x.Cause()), &cause); err != nil {
				t.Fatalf("Cause %q is not the error document: %v", x.Cause(), err)
			}
			if !strings.HasPrefix(cause.ErrorMessage, tt.wantMsg) || cause.ErrorType != tt.wantError {
				t.Errorf("Cause = %s, want errorMessage %q and errorType %q", x.Cause(), tt.wantMsg, tt.wantError)
			}
			if !strings.Contains(x.Cause(), `"stackTrace":[`) {
				t.Errorf("Cause %s has no stackTrace array", x.Cause())
			}
			if got := len(cause.StackTrace) > 0; got != tt.wantStack {
				t.Errorf("stack trace present = %v, want %v", got, tt.wantStack)
			}
			failed := eventsOf(x, "TaskFailed")
			if len(failed) != 1 || failed[0].Error != tt.wantError || failed[0].Cause != x.Cause() {
				t.Errorf("TaskFailed events = %+v", failed)
			}
		})
	}
}

func TestSetFunctionReplacesAHandler(t *testing.T) {
	h := newHarness(t, map[string]any{"fn": func() (string, error) { return "old", nil }})
	arn := h.registerDefinition("one", oneTask, nil)
	h.engine.SetFunction("fn", lambdaHandler(func() (string, error) { return "new", nil }))
	x := h.run(arn, `{}`)
	requireStatus(t, x, StatusSucceeded)
	if !strings.Contains(string(x.Output()), `"Payload":"new"`) {
		t.Errorf("output = %s, want the replacement's result", x.Output())
	}
}

func TestMissingFunctionFailsTheTask(t *testing.T) {
	h := newHarness(t, nil)
	x := h.run(h.registerDefinition("one", oneTask, nil), `{}`)
	requireStatus(t, x, StatusFailed)
	if x.Error() != "Lambda.ResourceNotFoundException" {
		t.Errorf("Error = %q, want Lambda.ResourceNotFoundException", x.Error())
	}
}

func TestFunctionsAreFoundByNameOrARN(t *testing.T) {
	const fnARN = "arn:aws:lambda:us-east-1:000000000000:function:fn"
	tests := []struct{ registered, named string }{
		{"fn", "fn"},
		{fnARN, fnARN},
		{"fn", fnARN},
		{fnARN, "fn"},
	}
	for _, tt := range tests {
		t.Run(tt.registered+" as "+tt.named, func(t *testing.T) {
			h := newHarness(t, map[string]any{tt.registered: func() (string, error) { return "found", nil }})
			def := strings.Replace(string(oneTask), `"FunctionName": "fn"`, `"FunctionName": "`+tt.named+`"`, 1)
			x := h.run(h.registerDefinition("one", []byte(def), nil), `{}`)
			requireStatus(t, x, StatusSucceeded)
		})
	}
}

// expiringTimeouts replaces EngineOptions.Timeout: a timeout of the given
// length expires at once, any other runs on the wall clock. It records
// every timeout asked for.
type expiringTimeouts struct {
	expire time.Duration
	mu     sync.Mutex
	asked  []time.Duration
}

func (e *expiringTimeouts) timeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	e.mu.Lock()
	e.asked = append(e.asked, d)
	e.mu.Unlock()
	if d == e.expire {
		return context.WithDeadline(parent, time.Unix(0, 0))
	}
	return context.WithTimeout(parent, d)
}

func TestTaskTimeout(t *testing.T) {
	def := func(retry, catch string) []byte {
		return []byte(`{"StartAt": "Slow", "States": {
			"Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 7,
				"Parameters": {"FunctionName": "slow"}, "Retry": ` + retry + `, "Catch": ` + catch + `, "End": true},
			"Caught": {"Type": "Pass", "End": true}}}`)
	}
	tests := []struct {
		name       string
		retry      string
		catch      string
		wantStatus Status
		wantCalls  int // attempts, each timing out
	}{
		{"States.TaskFailed does not match a timeout", `[{"ErrorEquals": ["States.TaskFailed"]}]`, `[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]`, StatusFailed, 1},
		{"States.Timeout is retried and caught", `[{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}]`, `[{"ErrorEquals": ["States.Timeout"], "Next": "Caught"}]`, StatusSucceeded, 3},
		{"States.ALL catches a timeout", `[]`, `[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]`, StatusSucceeded, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeouts := &expiringTimeouts{expire: 7 * time.Second}
			h := newHarness(t, map[string]any{
				"slow": func(ctx context.Context) error {
					<-ctx.Done() // a function that outlives its deadline
					return ctx.Err()
				},
			}, func(o *EngineOptions) { o.Timeout = timeouts.timeout })
			x := h.run(h.registerDefinition("slow", def(tt.retry, tt.catch), nil), `{}`)
			requireStatus(t, x, tt.wantStatus)
			if tt.wantStatus == StatusFailed && x.Error() != errTimeout {
				t.Errorf("Error = %q, want States.Timeout", x.Error())
			}
			if got := len(eventsOf(x, "TaskTimedOut")); got != tt.wantCalls {
				t.Errorf("%d TaskTimedOut events, want %d", got, tt.wantCalls)
			}
			timeouts.mu.Lock()
			defer timeouts.mu.Unlock()
			if want := slices.Repeat([]time.Duration{7 * time.Second}, tt.wantCalls); !slices.Equal(timeouts.asked, want) {
				t.Errorf("deadlines asked for = %v, want %v", timeouts.asked, want)
			}
		})
	}
}

func TestHandlerDeadlineIsTimeoutSeconds(t *testing.T) {
	tests := []struct {
		timeoutField string
		want         time.Duration
	}{
		{``, defaultTaskTimeout},
		{`"TimeoutSeconds": 120,`, 120 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			var remaining time.Duration
			h := newHarness(t, map[string]any{"fn": func(ctx context.Context) error {
				deadline, ok := ctx.Deadline()
				if !ok {
					return errors.New("no deadline")
				}
				remaining = time.Until(deadline)
				return nil
			}})
			def := `{"StartAt": "Call", "States": {"Call": {"Type": "Task", ` + tt.timeoutField + `
				"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "fn"}, "End": true}}}`
			x := h.run(h.registerDefinition("deadline", []byte(def), nil), `{}`)
			requireStatus(t, x, StatusSucceeded)
			if remaining > tt.want || remaining < tt.want-5*time.Second {
				t.Errorf("handler had %v left, want just under %v", remaining, tt.want)
			}
		})
	}
}

func TestCatchResultPath(t *testing.T) {
	tests := []struct {
		name       string
		resultPath string
		want       string
	}{
		{"default replaces the input", ``, `{"Error": "PermanentError", "Cause": "{\"errorMessage\":\"permanent\",\"errorType\":\"PermanentError\",\"stackTrace\":[]}"}`},
		{"into a field", `"ResultPath": "$.error",`, `{"keep": 1, "error": {"Error": "PermanentError", "Cause": "{\"errorMessage\":\"permanent\",\"errorType\":\"PermanentError\",\"stackTrace\":[]}"}}`},
		{"null discards the error", `"ResultPath": null,`, `{"keep": 1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]any{"fn": func() error { return PermanentError{} }})
			def := `{"StartAt": "Call", "States": {
				"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "fn"},
					"OutputPath": "$.never",
					"Catch": [{"ErrorEquals": ["TransientError"], "Next": "Wrong"}, {"ErrorEquals": ["PermanentError"], ` + tt.resultPath + ` "Next": "Handled"}],
					"End": true},
				"Wrong": {"Type": "Pass", "End": true},
				"Handled": {"Type": "Pass", "End": true}}}`
			x := h.run(h.registerDefinition("catch", []byte(def), nil), `{"keep": 1}`)
			requireStatus(t, x, StatusSucceeded)
			requireJSON(t, "output", x.Output(), tt.want)
			if slices.Contains(eventTypes(x, "Wrong"), "PassStateEntered") {
				t.Error("the catcher for another error ran")
			}
		})
	}
}

func TestAfterTaskSeesEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	var attempts []TaskAttempt
	calls := 0
	h := newHarness(t, map[string]any{"flaky": func() (string, error) {
		calls++
		if calls == 1 {
			return "", &TransientError{Reason: "first"}
		}
		return "second", nil
	}}, func(o *EngineOptions) {
		o.AfterTask = func(x *Execution, a TaskAttempt) {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, a)
		}
	})
	x := h.run(h.registerDefinition("retry", retryDefinition(`[{"ErrorEquals": ["TransientError"]}]`), nil), `{}`)
	requireStatus(t, x, StatusSucceeded)
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 2 {
		t.Fatalf("AfterTask saw %d attempts, want 2: %+v", len(attempts), attempts)
	}
	if a := attempts[0]; a.State != "Call" || a.Retry != 0 || a.Error != "TransientError" || a.Output != nil {
		t.Errorf("first attempt = %+v", a)
	}
	if a := attempts[1]; a.Retry != 1 || a.Error != "" || !strings.Contains(string(a.Output), `"Payload":"second"`) {
		t.Errorf("second attempt = %+v", a)
	}
	requireJSON(t, "attempt input", attempts[1].Input, `{"FunctionName": "flaky", "Payload": {"retry": 1}}`)
}

// rawHandler is a lambda.Handler written by hand, not built by
// lambda.NewHandler: it announces no response event, and its output is
// exactly its bytes.
type rawHandler string

func (r rawHandler) Invoke(context.Context, []byte) ([]byte, error) { return []byte(r), nil }

func TestHandlerNotBuiltByNewHandlerKeepsItsOutput(t *testing.T) {
	// Four bytes used to be taken for aws-lambda-go's "null"; a three- and a
	// five-byte output show the length is not what decides.
	for _, out := range []string{`true`, `1234`, `"ab"`, `null`, `123`, `false`} {
		t.Run(out, func(t *testing.T) {
			h := newHarness(t, nil, func(o *EngineOptions) { o.Functions["fn"] = rawHandler(out) })
			x := h.run(h.registerDefinition("one", oneTask, nil), `{}`)
			requireStatus(t, x, StatusSucceeded)
			if want := `"Payload":` + out; !strings.Contains(string(x.Output()), want) {
				t.Errorf("output = %s, want it to hold %s", x.Output(), want)
			}
		})
	}
}

func TestHandlerReturningOnlyAnErrorOutputsNull(t *testing.T) {
	h := newHarness(t, map[string]any{"fn": func() error { return nil }})
	x := h.run(h.registerDefinition("one", oneTask, nil), `{}`)
	requireStatus(t, x, StatusSucceeded)
	if !strings.Contains(string(x.Output()), `"Payload":null`) {
		t.Errorf("output = %s, want a null Payload", x.Output())
	}
}
