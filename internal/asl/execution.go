package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Status is an execution's status, as DescribeExecution reports it.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// Execution is one run of a state machine. Its methods are safe for
// concurrent use.
type Execution struct {
	engine    *Engine
	machine   *stateMachine
	arn, name string
	input     any
	startTime time.Time
	parent    *Execution // the execution whose Task or Map Run started this one, if any
	mapRun    *MapRun    // the Map Run this execution is a child workflow execution of, if any

	ctx    context.Context // canceled when the execution ends, to unwind its states
	cancel context.CancelFunc
	done   chan struct{} // closed when the execution's goroutine has returned

	mu          sync.Mutex
	status      Status
	output      json.RawMessage
	errorName   string
	cause       string
	stopTime    time.Time
	events      []Event
	transitions int
	maxPayload  int // the largest input, result or output seen, in bytes
}

func newExecution(e *Engine, sm *stateMachine, arn, name string, input any, parent *Execution) *Execution {
	ctx, cancel := context.WithCancel(context.Background())
	return &Execution{
		engine:    e,
		machine:   sm,
		arn:       arn,
		name:      name,
		input:     input,
		startTime: e.clock.Now(),
		parent:    parent,
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		status:    StatusRunning,
	}
}

// begin records ExecutionStarted and runs the states in a goroutine of
// their own.
func (x *Execution) begin() {
	x.record(Event{Type: "ExecutionStarted", Input: encodeJSON(x.input)})
	stopTimeout := func() {}
	if d := x.machine.definition.timeout; d > 0 {
		deadline, cancel := x.engine.timeout(x.ctx, d)
		stopTimeout = cancel
		context.AfterFunc(deadline, func() {
			if errors.Is(deadline.Err(), context.DeadlineExceeded) {
				x.end(StatusTimedOut, nil, errTimeout, fmt.Sprintf("The execution did not finish within its TimeoutSeconds of %d.", int(d.Seconds())))
			}
		})
	}
	go func() {
		defer close(x.done)
		defer stopTimeout()
		r := &runner{x: x, e: x.engine}
		out, err := r.runMachine(x.ctx, x.machine.definition.root, x.input)
		var f *failure
		switch {
		case err == nil:
			x.end(StatusSucceeded, out, "", "")
		case errors.As(err, &f):
			x.end(StatusFailed, nil, f.name, f.cause)
		default:
			// Stopped or timed out: end has already recorded why.
			x.end(StatusAborted, nil, "", err.Error())
		}
	}()
}

// end moves a running execution to its final status, records the final
// event and unwinds whatever still runs. It returns false when the
// execution had already ended.
func (x *Execution) end(status Status, output any, errorName, cause string) bool {
	now := x.engine.clock.Now()
	x.mu.Lock()
	if x.status != StatusRunning {
		x.mu.Unlock()
		return false
	}
	x.status, x.errorName, x.cause, x.stopTime = status, errorName, cause, now
	ev := Event{Error: errorName, Cause: cause}
	switch status {
	case StatusSucceeded:
		x.output = encodeJSON(output)
		ev.Type, ev.Output = "ExecutionSucceeded", x.output
	case StatusFailed:
		ev.Type = "ExecutionFailed"
	case StatusTimedOut:
		ev.Type = "ExecutionTimedOut"
	case StatusAborted:
		ev.Type = "ExecutionAborted"
	}
	x.appendEvent(ev, now)
	x.mu.Unlock()
	x.cancel()
	return true
}

// ARN returns the execution's ARN, which is also $$.Execution.Id.
func (x *Execution) ARN() string { return x.arn }

// Name returns the execution's name.
func (x *Execution) Name() string { return x.name }

// Parent returns the execution whose startExecution Task started this one,
// or nil for an execution started with Engine.Start.
func (x *Execution) Parent() *Execution { return x.parent }

// StateMachineARN returns the ARN of the state machine it runs.
func (x *Execution) StateMachineARN() string { return x.machine.arn }

// Input returns the execution's input.
func (x *Execution) Input() []byte { return encodeJSON(x.input) }

// StartTime returns when the execution started, on the engine's clock.
func (x *Execution) StartTime() time.Time { return x.startTime }

// StopTime returns when the execution ended; zero while it runs.
func (x *Execution) StopTime() time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.stopTime
}

// Wait blocks until the execution has ended and its states have unwound,
// or until ctx is done.
func (x *Execution) Wait(ctx context.Context) error {
	select {
	case <-x.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for execution %s: %w", x.name, ctx.Err())
	}
}

// Status returns the execution's current status.
func (x *Execution) Status() Status {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.status
}

// Output returns the output of a SUCCEEDED execution, nil otherwise.
func (x *Execution) Output() []byte {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]byte(nil), x.output...)
}

// Error returns the error name of an execution that failed, timed out or
// was stopped with one.
func (x *Execution) Error() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.errorName
}

// Cause returns the cause that goes with Error.
func (x *Execution) Cause() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cause
}

// Stop ends a running execution as StopExecution does: status ABORTED with
// the given error and cause, no Catch runs and no further state starts. A
// Lambda handler already running is not interrupted (Lambda does not
// interrupt one either); its result is ignored. A child execution that a
// Task of this one waits for is stopped too. Stopping an execution that has
// already ended does nothing.
func (x *Execution) Stop(errorName, cause string) {
	x.end(StatusAborted, nil, errorName, cause)
}

// Transitions returns the number of state transitions so far, counted as
// Step Functions bills them: one for every state entered, including the
// states of each Map iteration and Parallel branch, and one for every
// retry of a state. A child execution's transitions are its own.
func (x *Execution) Transitions() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.transitions
}

// MaxPayloadBytes returns the size of the largest payload the execution
// has handled so far: its input, a task's parameters or result, a Map's
// or Parallel's raw result, or a state's input or output.
func (x *Execution) MaxPayloadBytes() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.maxPayload
}

// History returns a copy of the events recorded so far.
func (x *Execution) History() []Event {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]Event(nil), x.events...)
}

// describe returns what DescribeExecution would, as a startExecution.sync
// Task sees it: Input and Output as JSON values for sync:2, as JSON text
// otherwise.
func (x *Execution) describe(jsonValues bool) map[string]any {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := map[string]any{
		"ExecutionArn":    x.arn,
		"StateMachineArn": x.machine.arn,
		"Name":            x.name,
		"Status":          string(x.status),
		"StartDate":       intValue(x.startTime.UnixMilli()),
		"InputDetails":    map[string]any{"Included": true},
	}
	if jsonValues {
		d["Input"] = x.input
	} else {
		d["Input"] = string(encodeJSON(x.input))
	}
	if !x.stopTime.IsZero() {
		d["StopDate"] = intValue(x.stopTime.UnixMilli())
	}
	if x.status == StatusSucceeded {
		d["OutputDetails"] = map[string]any{"Included": true}
		if jsonValues {
			d["Output"], _ = decodeJSON(x.output)
		} else {
			d["Output"] = string(x.output)
		}
	}
	if x.errorName != "" {
		d["Error"] = x.errorName
	}
	if x.cause != "" {
		d["Cause"] = x.cause
	}
	return d
}
