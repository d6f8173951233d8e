package asl

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is one entry of an execution's history, named and filled as in
// Step Functions' GetExecutionHistory, so that what a test or leak scan
// reads here is what an operator would read there.
//
// Types: ExecutionStarted, ExecutionSucceeded, ExecutionFailed,
// ExecutionAborted, ExecutionTimedOut; <Type>StateEntered and
// <Type>StateExited for every state type (a Fail state has no Exited);
// for lambda:invoke and startExecution Tasks TaskScheduled, TaskStarted,
// TaskSubmitted (child executions), TaskSucceeded, TaskFailed,
// TaskTimedOut; for a Task whose Resource is a bare Lambda ARN
// LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded,
// LambdaFunctionFailed, LambdaFunctionTimedOut; MapStateStarted,
// MapStateSucceeded, MapStateFailed, MapIterationStarted,
// MapIterationSucceeded, MapIterationFailed, MapIterationAborted (INLINE);
// MapRunStarted, MapRunSucceeded, MapRunFailed (DISTRIBUTED: the items'
// own events are in their child workflow executions' histories);
// ParallelStateStarted, ParallelStateSucceeded, ParallelStateFailed.
type Event struct {
	ID    int
	Type  string
	State string // the state the event belongs to; empty for Execution* events
	Time  time.Time
	// Input is what a state was entered with, what a task was scheduled
	// with (its effective Parameters) or the execution's input.
	Input json.RawMessage
	// Output is what a state exited with, a task's result or the
	// execution's output.
	Output       json.RawMessage
	Error, Cause string
	// ResourceType and Resource name a task's integration, as "lambda" and
	// "invoke" or "states" and "startExecution.sync:2".
	ResourceType, Resource string
	// Index is the item index of MapIteration* events.
	Index int
}

// record appends an event to a running execution's history; events from
// states still unwinding after the execution ended are dropped, as AWS
// records nothing after ExecutionAborted.
func (x *Execution) record(ev Event) {
	now := x.engine.clock.Now()
	x.mu.Lock()
	ended := x.status == StatusRunning && x.appendLimited(ev, now)
	x.mu.Unlock()
	if ended {
		x.cancel()
	}
}

// enterState records a state's Entered event and counts the transition.
func (x *Execution) enterState(st *state, input any) time.Time {
	now := x.engine.clock.Now()
	encoded := encodeJSON(input)
	x.mu.Lock()
	ended := false
	if x.status == StatusRunning {
		x.transitions++
		x.maxPayload = max(x.maxPayload, len(encoded))
		ended = x.appendLimited(Event{Type: st.typ + "StateEntered", State: st.name, Input: encoded}, now)
	}
	x.mu.Unlock()
	if ended {
		x.cancel()
	}
	return now
}

// appendLimited appends ev to a running execution's history, unless the
// history is one event short of its limit: then, as in Step Functions, the
// execution fails instead, and ExecutionFailed is its last event. It
// reports whether the execution ended, in which case the caller must
// cancel it once x.mu is released. Must be called with x.mu held.
func (x *Execution) appendLimited(ev Event, now time.Time) bool {
	if len(x.events) < historyLimit-1 {
		x.appendEvent(ev, now)
		return false
	}
	x.status, x.errorName, x.cause, x.stopTime = StatusFailed, errRuntime, historyLimitCause, now
	x.appendEvent(Event{Type: "ExecutionFailed", Error: errRuntime, Cause: historyLimitCause}, now)
	return true
}

// notePayload checks one payload of the execution against Step Functions'
// limit: it records the largest seen, and returns States.DataLimitExceeded
// for one that is too large. what says what the payload is, for the cause.
func (x *Execution) notePayload(state, what string, encoded []byte) error {
	x.mu.Lock()
	x.maxPayload = max(x.maxPayload, len(encoded))
	x.mu.Unlock()
	if len(encoded) <= payloadLimit {
		return nil
	}
	return &failure{name: errDataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' %s with a size exceeding the maximum number of bytes service limit (%d bytes, more than %d).", state, what, len(encoded), payloadLimit)}
}

// countRetry counts a retry as the transition Step Functions bills for it.
func (x *Execution) countRetry() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.status == StatusRunning {
		x.transitions++
	}
}

// appendEvent must be called with x.mu held.
func (x *Execution) appendEvent(ev Event, now time.Time) {
	ev.ID = len(x.events) + 1
	ev.Time = now
	x.events = append(x.events, ev)
}
