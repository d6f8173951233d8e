package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/handlertrace"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// unknownFunctionError names a function error whose type has no name (an
// anonymous struct, say), which no ErrorEquals could match otherwise.
const unknownFunctionError = "Lambda.Unknown"

// invoke calls h with payload as Lambda would: through aws-lambda-go's
// JSON boundary, under a deadline of timeout, with a panic turned into the
// error Lambda reports. It returns the function's output as a generic
// value, a *failure when the function failed or timed out, or ctx's error
// when the execution was stopped meanwhile.
//
// The handler runs in a goroutine of its own so that a timeout or a stop
// does not wait for it. Its context is not canceled by a stop, only by its
// deadline: Lambda does not interrupt a running function either.
func (e *Engine) invoke(ctx context.Context, h lambda.Handler, payload []byte, timeout time.Duration) (any, error) {
	fnCtx, cancel := e.timeout(context.WithoutCancel(ctx), timeout)
	type outcome struct {
		output []byte
		err    *messages.InvokeResponse_Error
	}
	done := make(chan outcome, 1)
	go func() {
		defer cancel()
		output, err := e.callHandler(fnCtx, h, payload)
		done <- outcome{output, err}
	}()
	timedOut := &failure{name: errTimeout, cause: fmt.Sprintf("The task did not finish within its TimeoutSeconds of %d.", int(timeout.Seconds()))}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-fnCtx.Done():
		if errors.Is(fnCtx.Err(), context.DeadlineExceeded) {
			return nil, timedOut
		}
		o := <-done // canceled by the handler's goroutine: it has finished
		return decodeOutcome(o.output, o.err)
	case o := <-done:
		// A function that returns just as its deadline passes has timed
		// out, whatever it returned (most likely the context's error).
		if errors.Is(fnCtx.Err(), context.DeadlineExceeded) {
			return nil, timedOut
		}
		return decodeOutcome(o.output, o.err)
	}
}

// decodeOutcome turns what a handler returned into the function's output
// or its failure.
func decodeOutcome(output []byte, fnErr *messages.InvokeResponse_Error) (any, error) {
	if fnErr != nil {
		return nil, functionFailure(fnErr)
	}
	v, err := decodeJSON(output)
	if err != nil {
		return string(output), nil // Lambda passes a non-JSON response on as a string
	}
	return v, nil
}

// callHandler calls h.Invoke, recovering a panic as aws-lambda-go's
// runtime loop does, and returns a copy of the output.
//
// aws-lambda-go's Invoke returns a slice of a pooled buffer that it has
// already handed back to its pool, so a concurrent invocation of the same
// handler can overwrite the output before the caller reads it (real Lambda
// never runs two invocations in one process, so it does not notice). A
// handler that returns a value announces, through handlertrace's
// ResponseEvent, that it is about to encode it into that buffer: taking the
// handler's output guard there and releasing it once the output is copied
// keeps the encode-and-copy of concurrent invocations apart while their
// handler bodies still run in parallel. A handler that returns only an
// error announces nothing; its output is always null, which is then
// returned without reading the pooled bytes. A Handler implemented by hand
// announces nothing either, and its output is copied as it is.
func (e *Engine) callHandler(ctx context.Context, h lambda.Handler, payload []byte) (output []byte, fnErr *messages.InvokeResponse_Error) {
	guard := e.outputGuard(h)
	responded := false
	ctx = handlertrace.NewContext(ctx, handlertrace.HandlerTrace{
		ResponseEvent: func(context.Context, any) {
			if !responded {
				responded = true
				if guard != nil {
					guard.Lock()
				}
			}
		},
	})
	defer func() {
		if v := recover(); v != nil {
			output, fnErr = nil, panicResponse(v)
		}
		if responded && guard != nil {
			guard.Unlock()
		}
	}()
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		return nil, errorResponse(err)
	}
	if !responded && builtByNewHandler(h) {
		return []byte(noResponse), nil
	}
	return bytes.Clone(out), nil
}

// noResponse is what aws-lambda-go encodes for a handler without a value.
const noResponse = "null"

// newHandlerType is the type of the handlers lambda.NewHandler builds.
var newHandlerType = reflect.TypeOf(lambda.NewHandler(func() {}))

// builtByNewHandler reports whether h is one of aws-lambda-go's own
// handlers, whose output when it announced no response is always null.
// Any other Handler's output is its own to return, whatever its length.
func builtByNewHandler(h lambda.Handler) bool {
	return reflect.TypeOf(h) == newHandlerType
}

// outputGuard returns the mutex that serialises copying h's output, or nil
// for a handler value that cannot key a map (and so is no aws-lambda-go
// handler, whose outputs need no guard).
func (e *Engine) outputGuard(h lambda.Handler) *sync.Mutex {
	if h == nil || !reflect.TypeOf(h).Comparable() {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.outputGuards[h]
	if !ok {
		g = &sync.Mutex{}
		e.outputGuards[h] = g
	}
	return g
}

// errorResponse mirrors aws-lambda-go's lambdaErrorResponse: an
// InvokeResponse_Error passes as is, anything else is reported with its
// message and type name. Like aws-lambda-go it does not unwrap: an error
// wrapped by fmt.Errorf("...: %w", err) is a wrapError.
func errorResponse(err error) *messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{Message: err.Error(), Type: errorType(err)}
}

// panicResponse mirrors aws-lambda-go's lambdaPanicResponse: a panic with
// an InvokeResponse_Error passes as is; any other value is reported with
// its printed form, its type name and the stack.
func panicResponse(v any) *messages.InvokeResponse_Error {
	if ive, ok := v.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{
		Message:    fmt.Sprintf("%v", v),
		Type:       errorType(v),
		StackTrace: panicStack(),
		ShouldExit: true,
	}
}

// errorType mirrors aws-lambda-go's getErrorType: the reflect type name,
// with one pointer dereferenced. This is the name Step Functions matches
// in ErrorEquals: *errors.errorString is "errorString", a panic("...")
// value is "string".
func errorType(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// panicStack mirrors aws-lambda-go's getPanicStack, called from the
// deferred function that recovered the panic.
func panicStack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, 32)
	const framesToHide = 3 // runtime.Callers, panicStack, panicResponse
	n := runtime.Callers(framesToHide, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []*messages.InvokeResponse_Error_StackFrame
	for {
		frame, more := frames.Next()
		out = append(out, stackFrame(frame))
		if !more {
			return out
		}
	}
}

// stackFrame mirrors aws-lambda-go's formatFrame: the file path keeps as
// many trailing elements as the function's package path has, plus one,
// and the label drops the package.
func stackFrame(f runtime.Frame) *messages.InvokeResponse_Error_StackFrame {
	path, label := f.File, f.Function
	i := len(path)
	for n := 0; n < strings.Count(label, "/")+2; n++ {
		if i = strings.LastIndex(path[:i], "/"); i < 0 {
			break
		}
	}
	path = path[i+1:]
	label = label[strings.LastIndex(label, "/")+1:]
	label = label[strings.Index(label, ".")+1:]
	return &messages.InvokeResponse_Error_StackFrame{Path: path, Line: int32(f.Line), Label: label}
}

// functionCause is the error document the lambda:invoke integration puts in
// Cause, with stackTrace always present as Lambda reports it.
type functionCause struct {
	ErrorMessage string                                      `json:"errorMessage"`
	ErrorType    string                                      `json:"errorType"`
	StackTrace   []*messages.InvokeResponse_Error_StackFrame `json:"stackTrace"`
}

// functionFailure turns a function error into the failure Step Functions
// reports: the error type as Error, the error document as Cause.
func functionFailure(fnErr *messages.InvokeResponse_Error) *failure {
	doc := functionCause{ErrorMessage: fnErr.Message, ErrorType: fnErr.Type, StackTrace: fnErr.StackTrace}
	if doc.StackTrace == nil {
		doc.StackTrace = []*messages.InvokeResponse_Error_StackFrame{}
	}
	cause, err := json.Marshal(doc)
	if err != nil {
		cause = []byte(fnErr.Message)
	}
	name := fnErr.Type
	if name == "" {
		name = unknownFunctionError
	}
	return &failure{name: name, cause: string(cause)}
}
