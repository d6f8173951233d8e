package asl

import (
	"fmt"
	"strings"
)

// Error names the Amazon States Language reserves.
const (
	errAll               = "States.ALL"
	errTaskFailed        = "States.TaskFailed"
	errTimeout           = "States.Timeout"
	errRuntime           = "States.Runtime"
	errDataLimitExceeded = "States.DataLimitExceeded"
	errNoChoiceMatched   = "States.NoChoiceMatched"
	// errExceedToleratedFailureThreshold fails a Distributed Map whose Map
	// Run has more failed items than it tolerates.
	errExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
)

// Step Functions' hard limits, which the executor enforces as AWS does.
const (
	// payloadLimit bounds, in bytes of UTF-8 JSON, an execution's input, a
	// task's parameters and result, and a state's output. Crossing it is
	// States.DataLimitExceeded, which fails the execution.
	payloadLimit = 256 * 1024
	// historyLimit is the most events an execution's history may hold; the
	// event that would cross it is replaced by ExecutionFailed.
	historyLimit = 25000
)

// PayloadLimit and HistoryLimit are the limits the executor enforces.
const (
	PayloadLimit = payloadLimit
	HistoryLimit = historyLimit
)

// historyLimitCause is the Cause of an execution that reached historyLimit,
// as Step Functions words it.
var historyLimitCause = fmt.Sprintf("The execution reached the maximum number of history events (%d).", historyLimit)

// reservedErrorNames are the States.* names a Retry or Catch may match.
// States.Runtime and States.DataLimitExceeded are missing on purpose: no
// retrier or catcher ever sees them, so naming one is a mistake.
var reservedErrorNames = map[string]bool{
	errAll:                             true,
	errTaskFailed:                      true,
	errTimeout:                         true,
	errNoChoiceMatched:                 true,
	"States.HeartbeatTimeout":          true,
	"States.Permissions":               true,
	"States.ResultPathMatchFailure":    true,
	"States.ParameterPathFailure":      true,
	"States.BranchFailed":              true,
	"States.IntrinsicFailure":          true,
	errExceedToleratedFailureThreshold: true,
	"States.ItemReaderFailed":          true,
	"States.ResultWriterFailed":        true,
	"States.QueryEvaluationError":      true,
	"States.Http.Socket":               true,
}

// failure is an error a state reports: its name, which Retry and Catch
// match, and its cause.
type failure struct {
	name, cause string
}

func (f *failure) Error() string {
	if f.cause == "" {
		return f.name
	}
	return f.name + ": " + f.cause
}

// terminal reports whether the failure ends the execution whatever the
// state's Retry and Catch say, as States.Runtime does in AWS.
func (f *failure) terminal() bool {
	return f.name == errRuntime || f.name == errDataLimitExceeded
}

// runtimeFailure is what a state reports when it cannot process its data: a
// path that does not match, an intrinsic function given the wrong type, a
// ResultPath that cannot be applied. As in AWS it is States.Runtime, which
// fails the execution and which no Catch sees.
func runtimeFailure(state string, format string, args ...any) *failure {
	return &failure{
		name:  errRuntime,
		cause: fmt.Sprintf("An error occurred while executing the state '%s'. %s", state, fmt.Sprintf(format, args...)),
	}
}

// errorMatches reports whether an ErrorEquals list matches an error name
// with the spec's wildcards: States.ALL matches every name, and
// States.TaskFailed every name except States.Timeout.
func errorMatches(errorEquals []string, name string) bool {
	for _, pattern := range errorEquals {
		switch pattern {
		case name, errAll:
			return true
		case errTaskFailed:
			if name != errTimeout {
				return true
			}
		}
	}
	return false
}

// DefinitionError reports what makes a definition unusable, naming the
// state and field at fault.
type DefinitionError struct {
	// State is the state's name; a state inside a Map or Parallel is named
	// with its enclosing states, as "RotateEach/RotateTarget". Empty for the
	// definition's top-level fields.
	State string
	// Field is the offending field, as "Retry[1].ErrorEquals"; empty when
	// the state as a whole is at fault.
	Field   string
	Problem string
}

func (e *DefinitionError) Error() string {
	var b strings.Builder
	b.WriteString("invalid state machine definition: ")
	if e.State != "" {
		fmt.Fprintf(&b, "state %q: ", e.State)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Problem)
	return b.String()
}
