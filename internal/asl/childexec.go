package asl

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// startExecutionErrors maps Start's errors to the names Step Functions
// gives them in a startExecution Task.
var startExecutionErrors = []struct {
	err  error
	name string
}{
	{ErrStateMachineDoesNotExist, "StepFunctions.StateMachineDoesNotExistException"},
	{ErrExecutionAlreadyExists, "StepFunctions.ExecutionAlreadyExistsException"},
	{ErrInvalidName, "StepFunctions.InvalidNameException"},
	{ErrInvalidExecutionInput, "StepFunctions.InvalidExecutionInputException"},
}

// runChildExecution runs the startExecution.sync and .sync:2 integrations:
// it starts an execution of a registered state machine and waits for it.
// The result is the child's description; a child that does not succeed
// fails the task with States.TaskFailed and its description as Cause. A
// stop of this execution stops the child too.
func (sr *stateRun) runChildExecution(ctx context.Context, params any) (any, error) {
	arn, err := sr.stringParam(params, "StateMachineArn")
	if err != nil {
		return nil, err
	}
	p := params.(map[string]any)
	var input []byte
	switch v := p["Input"].(type) {
	case nil:
		input = []byte("{}")
	case string:
		input = []byte(v) // StartExecution takes its input as JSON text
	default:
		input = encodeJSON(v)
	}
	name, _ := p["Name"].(string)
	jsonValues := sr.st.task.kind == startExecutionSyncJSON
	resource := strings.TrimPrefix(sr.st.task.resource[strings.LastIndex(sr.st.task.resource, ":::")+3:], "states:")
	ev := taskEvents{sr: sr, params: params, resourceType: "states", resource: resource, prefix: "Task"}

	ev.record("Scheduled", Event{Input: encodeJSON(params)})
	if sr.e.authorize != nil {
		if errName, cause := sr.e.authorize(sr.x, "states:StartExecution", arn); errName != "" {
			return nil, ev.failed(&failure{name: errName, cause: cause})
		}
	}
	child, err := sr.e.start(ctx, arn, name, input, sr.x)
	if err != nil {
		return nil, ev.failed(&failure{name: startErrorName(err), cause: err.Error()})
	}
	ev.record("Started", Event{})
	ev.record("Submitted", Event{Output: encodeJSON(map[string]any{
		"ExecutionArn": child.ARN(),
		"StartDate":    intValue(child.StartTime().UnixMilli()),
	})})
	select {
	case <-child.done:
	case <-ctx.Done():
		child.Stop("", fmt.Sprintf("The parent execution %s was stopped.", sr.x.arn))
		return nil, ctx.Err()
	}
	description := child.describe(jsonValues)
	if child.Status() != StatusSucceeded {
		return nil, ev.failed(&failure{name: errTaskFailed, cause: string(encodeJSON(description))})
	}
	ev.succeeded(description)
	return description, nil
}

func startErrorName(err error) string {
	for _, e := range startExecutionErrors {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return "StepFunctions.AWSStepFunctionsException"
}
