package asl

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// resourceKind is a Task Resource the executor knows how to run.
type resourceKind int

const (
	lambdaInvoke           resourceKind = iota // arn:aws:states:::lambda:invoke
	lambdaFunction                             // a bare Lambda function ARN
	startExecutionSync                         // arn:aws:states:::states:startExecution.sync
	startExecutionSyncJSON                     // arn:aws:states:::states:startExecution.sync:2
)

type taskSpec struct {
	resource string
	kind     resourceKind
	timeout  time.Duration
}

var (
	lambdaInvokeResource   = regexp.MustCompile(`^arn:aws[a-z-]*:states:::lambda:invoke$`)
	startExecutionResource = regexp.MustCompile(`^arn:aws[a-z-]*:states:::states:startExecution\.sync(:2)?$`)
	lambdaFunctionResource = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$`)
)

// parseTask reads a Task's Resource and TimeoutSeconds, and checks that its
// Parameters are what that resource takes.
func parseTask(f fields, params *template) (*taskSpec, error) {
	resource, err := f.str("Resource", true)
	if err != nil {
		return nil, err
	}
	t := &taskSpec{resource: resource, timeout: defaultTaskTimeout}
	if n, ok, err := f.integer("TimeoutSeconds", 1, maxTimeoutSeconds); err != nil {
		return nil, err
	} else if ok {
		t.timeout = time.Duration(n) * time.Second
	}
	var required string
	var allowed []string
	switch m := startExecutionResource.FindStringSubmatch(resource); {
	case lambdaInvokeResource.MatchString(resource):
		t.kind, required = lambdaInvoke, "FunctionName"
		allowed = []string{"FunctionName", "Payload", "Qualifier", "InvocationType"}
	case m != nil:
		t.kind, required = startExecutionSync, "StateMachineArn"
		if m[1] != "" {
			t.kind = startExecutionSyncJSON
		}
		allowed = []string{"StateMachineArn", "Input", "Name"}
	case lambdaFunctionResource.MatchString(resource):
		t.kind = lambdaFunction
		return t, nil
	default:
		return nil, f.errorf("Resource", "unsupported resource %q: the executor runs lambda:invoke, startExecution.sync, startExecution.sync:2 and Lambda function ARNs", resource)
	}
	if params == nil {
		return nil, f.errorf("Parameters", "is required for %s and must give %s", resource, required)
	}
	if _, ok := params.field(required); !ok {
		return nil, f.errorf("Parameters", "must give %s for %s", required, resource)
	}
	for _, name := range params.fields {
		if !slices.Contains(allowed, name) {
			return nil, f.errorf("Parameters."+name, "is not a parameter of %s that the executor supports (%v)", resource, allowed)
		}
	}
	if it, ok := params.field("InvocationType"); ok && (it.kind != literalTemplate || it.literal != "RequestResponse") {
		return nil, f.errorf("Parameters.InvocationType", "only RequestResponse is supported")
	}
	return t, nil
}

// taskAttempt runs one attempt of a Task state.
func (sr *stateRun) taskAttempt(ctx context.Context) (any, error) {
	input, err := sr.effectiveInput()
	if err != nil {
		return nil, err
	}
	params, err := sr.applyTemplate("Parameters", sr.st.parameters, sr.env(input))
	if err != nil {
		return nil, err
	}
	if err := sr.x.notePayload(sr.st.name, "received an input", encodeJSON(params)); err != nil {
		return nil, err
	}
	var result any
	switch sr.st.task.kind {
	case lambdaInvoke:
		result, err = sr.invokeLambda(ctx, params)
	case lambdaFunction:
		result, err = sr.invokeFunction(ctx, params)
	case startExecutionSync, startExecutionSyncJSON:
		result, err = sr.runChildExecution(ctx, params)
	}
	if err != nil {
		return nil, err
	}
	return sr.finish(result)
}

// reportAttempt hands an attempt's outcome to EngineOptions.AfterTask.
func (sr *stateRun) reportAttempt(params, result any, f *failure) {
	if sr.e.afterTask == nil {
		return
	}
	a := TaskAttempt{State: sr.st.name, Resource: sr.st.task.resource, Retry: sr.retryCount, Input: encodeJSON(params)}
	if f != nil {
		a.Error, a.Cause = f.name, f.cause
	} else {
		a.Output = encodeJSON(result)
	}
	sr.e.afterTask(sr.x, a)
}

// stringParam reads a string parameter whose presence the loader checked.
func (sr *stateRun) stringParam(params any, name string) (string, error) {
	v := params.(map[string]any)[name]
	s, ok := v.(string)
	if !ok || s == "" {
		return "", runtimeFailure(sr.st.name, "The value of the parameter %s must be a non-empty string, not %s.", name, jsonType(v))
	}
	return s, nil
}

// invokeLambda runs the lambda:invoke integration: it calls the function
// with Parameters.Payload and returns the integration's result, with the
// function's output as Payload.
func (sr *stateRun) invokeLambda(ctx context.Context, params any) (any, error) {
	name, err := sr.stringParam(params, "FunctionName")
	if err != nil {
		return nil, err
	}
	payload, ok := params.(map[string]any)["Payload"]
	if !ok {
		payload = map[string]any{}
	}
	ev := taskEvents{sr: sr, params: params, resourceType: "lambda", resource: "invoke", prefix: "Task"}
	output, err := sr.callFunction(ctx, ev, name, payload)
	if err != nil {
		return nil, err
	}
	result := map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         output,
		"StatusCode":      intValue(200),
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{"X-Amz-Executed-Version": []any{"$LATEST"}, "Content-Type": []any{"application/json"}},
			"HttpHeaders":    map[string]any{"X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/json"},
			"HttpStatusCode": intValue(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": newUUID()},
	}
	ev.succeeded(result)
	return result, nil
}

// invokeFunction runs a Task whose Resource is a Lambda function ARN: the
// effective Parameters are the payload and the function's output is the
// result.
func (sr *stateRun) invokeFunction(ctx context.Context, params any) (any, error) {
	ev := taskEvents{sr: sr, params: params, resourceType: "lambda", resource: sr.st.task.resource, prefix: "LambdaFunction"}
	output, err := sr.callFunction(ctx, ev, sr.st.task.resource, params)
	if err != nil {
		return nil, err
	}
	ev.succeeded(output)
	return output, nil
}

// callFunction invokes a registered handler and records the task's
// scheduling, start and, when it fails, failure.
func (sr *stateRun) callFunction(ctx context.Context, ev taskEvents, name string, payload any) (any, error) {
	ev.record("Scheduled", Event{Input: encodeJSON(ev.params)})
	if sr.e.authorize != nil {
		if errName, cause := sr.e.authorize(sr.x, "lambda:InvokeFunction", name); errName != "" {
			return nil, ev.failed(&failure{name: errName, cause: cause})
		}
	}
	h, ok := sr.e.function(name)
	if !ok {
		return nil, ev.failed(&failure{
			name:  "Lambda.ResourceNotFoundException",
			cause: fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException)", name),
		})
	}
	ev.record("Started", Event{})
	output, err := sr.e.invoke(ctx, h, encodeJSON(payload), sr.st.task.timeout)
	if err != nil {
		if f, ok := err.(*failure); ok {
			return nil, ev.failed(f)
		}
		return nil, err
	}
	return output, nil
}

// taskEvents records the history events of one task attempt.
type taskEvents struct {
	sr                     *stateRun
	params                 any
	resourceType, resource string
	prefix                 string // "Task" or "LambdaFunction"
}

func (t taskEvents) record(suffix string, ev Event) {
	ev.Type = t.prefix + suffix
	ev.State = t.sr.st.name
	ev.ResourceType, ev.Resource = t.resourceType, t.resource
	t.sr.x.record(ev)
}

func (t taskEvents) succeeded(result any) {
	t.record("Succeeded", Event{Output: encodeJSON(result)})
	t.sr.reportAttempt(t.params, result, nil)
}

func (t taskEvents) failed(f *failure) error {
	suffix := "Failed"
	if f.name == errTimeout {
		suffix = "TimedOut"
	}
	t.record(suffix, Event{Error: f.name, Cause: f.cause})
	t.sr.reportAttempt(t.params, nil, f)
	return f
}
