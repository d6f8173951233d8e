package asl

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// Errors Start reports, to be matched with errors.Is. A Task that starts a
// child execution turns them into the error names Step Functions uses.
var (
	ErrStateMachineDoesNotExist = errors.New("state machine does not exist")
	ErrExecutionAlreadyExists   = errors.New("execution already exists")
	ErrInvalidName              = errors.New("invalid name")
	ErrInvalidExecutionInput    = errors.New("invalid execution input")
)

// EngineOptions configures an Engine. Every field is optional.
type EngineOptions struct {
	// Region and AccountID go into the ARNs of state machines and
	// executions; they default to us-east-1 and 000000000000.
	Region, AccountID string
	// Clock drives Wait states, retry back-off and event times; it defaults
	// to RealClock.
	Clock Clock
	// Functions are the Lambda handlers Tasks invoke, keyed by FunctionName
	// as it reads after substitution: a name or an ARN. A Task naming an
	// ARN also finds a handler registered under the function's bare name,
	// and the other way round.
	Functions map[string]lambda.Handler
	// Rand draws retry jitter and States.MathRandom results; it defaults
	// to a fixed seed so that runs repeat. The engine serialises its use.
	Rand *rand.Rand
	// BeforeState is called before a state is entered, including the states
	// of Map iterations and child executions, possibly from several
	// goroutines at once. A non-nil error stops the execution as an
	// operator's StopExecution would: status ABORTED with the error's text
	// as Cause, no Catch runs and no further state starts.
	BeforeState func(exec *Execution, stateName string) error
	// AfterTask is called after each attempt of a Task with its outcome.
	AfterTask func(exec *Execution, attempt TaskAttempt)
	// Timeout derives the context that enforces a TimeoutSeconds, a Task's
	// or a whole execution's, from its parent. It defaults to
	// context.WithTimeout: timeouts run on the wall clock, not on Clock,
	// because handlers do real work and a virtual clock that another
	// execution's Wait moves forward would time them out spuriously. Tests
	// replace it to expire a deadline without waiting for it.
	Timeout func(parent context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// Authorize, when set, is asked before a Task calls a service on the
	// execution's behalf: action lambda:InvokeFunction on the function
	// named by the Task, or states:StartExecution on the child state
	// machine's ARN. A non-empty errorName refuses the call: the Task
	// fails with that error and cause, as when the state machine's role
	// lacks the permission.
	Authorize func(exec *Execution, action, resource string) (errorName, cause string)
}

// TaskAttempt is the outcome of one attempt of a Task state.
type TaskAttempt struct {
	State    string
	Resource string
	Retry    int             // 0 for the first attempt
	Input    json.RawMessage // what the resource was given: the effective Parameters
	Output   json.RawMessage // the resource's result, when it succeeded
	Error    string          // the error name, when it failed
	Cause    string
}

// Engine registers state machines and runs their executions, like a
// regional Step Functions endpoint, so that the definitions that are
// deployed run unchanged in tests and the demo. It is safe for concurrent
// use; every execution runs in goroutines of its own.
//
// It runs JSONPath-mode definitions: Pass, Task, Choice, Wait, Succeed,
// Fail, Map (INLINE, and DISTRIBUTED with STANDARD child workflow
// executions over ItemsPath: one child execution per item, Map Runs with
// their counts, MaxConcurrency(Path), ToleratedFailurePercentage(Path) and
// ToleratedFailureCount(Path), States.ExceedToleratedFailureThreshold) and
// Parallel states with their input and output processing, Retry and Catch,
// and Tasks for lambda:invoke, bare Lambda ARNs and startExecution.sync(:2).
// A Lambda Task calls its handler through aws-lambda-go's JSON boundary and
// names a function error as Lambda does. Register rejects anything else
// (ItemReader, ItemBatcher, ResultWriter among them) rather than ignoring
// it. As in AWS, a path or intrinsic function that cannot be applied to the
// data fails the execution with States.Runtime, which no Retry or Catch
// sees; so do Step Functions' hard limits: a payload over 256 KiB
// (States.DataLimitExceeded) and a history that reaches 25,000 events.
//
//	e := NewEngine(EngineOptions{Clock: NewFakeClock(start), Functions: handlers})
//	arn, err := e.Register("rotate-target", RotateTargetDefinition, substitutions)
//	x, err := e.Start(ctx, arn, "", []byte(`{"target": "team-a", "mode": "compromise"}`))
//	err = x.Wait(ctx) // then x.Status(), x.Output(), x.History()
type Engine struct {
	region, account string
	clock           Clock
	beforeState     func(*Execution, string) error
	afterTask       func(*Execution, TaskAttempt)
	timeout         func(context.Context, time.Duration) (context.Context, context.CancelFunc)
	authorize       func(*Execution, string, string) (string, string)

	randMu sync.Mutex
	rand   *rand.Rand

	mu           sync.Mutex
	functions    map[string]lambda.Handler
	machines     map[string]*stateMachine // by ARN
	executions   []*Execution
	mapRuns      []*MapRun
	byARN        map[string]*Execution
	outputGuards map[lambda.Handler]*sync.Mutex
}

// stateMachine is a registered definition.
type stateMachine struct {
	name, arn  string
	definition *Definition
}

// defaultSeed makes retry jitter repeat from run to run unless the caller
// brings its own source.
const defaultSeed = 1

// NewEngine returns an engine with no state machines registered.
func NewEngine(opts EngineOptions) *Engine {
	e := &Engine{
		region:       cmp.Or(opts.Region, "us-east-1"),
		account:      cmp.Or(opts.AccountID, "000000000000"),
		clock:        opts.Clock,
		beforeState:  opts.BeforeState,
		afterTask:    opts.AfterTask,
		timeout:      opts.Timeout,
		authorize:    opts.Authorize,
		rand:         opts.Rand,
		functions:    map[string]lambda.Handler{},
		machines:     map[string]*stateMachine{},
		byARN:        map[string]*Execution{},
		outputGuards: map[lambda.Handler]*sync.Mutex{},
	}
	if e.clock == nil {
		e.clock = RealClock()
	}
	if e.timeout == nil {
		e.timeout = context.WithTimeout
	}
	if e.rand == nil {
		e.rand = rand.New(rand.NewPCG(defaultSeed, defaultSeed))
	}
	for name, h := range opts.Functions {
		e.functions[name] = h
	}
	return e
}

// SetFunction registers or replaces the handler for a function name or ARN.
func (e *Engine) SetFunction(name string, h lambda.Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.functions[name] = h
}

// function finds the handler for a FunctionName: by exact key first, then
// by the function's bare name so that an ARN and a name meet.
func (e *Engine) function(name string) (lambda.Handler, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if h, ok := e.functions[name]; ok {
		return h, true
	}
	short := functionShortName(name)
	keys := make([]string, 0, len(e.functions))
	for k := range e.functions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if functionShortName(k) == short {
			return e.functions[k], true
		}
	}
	return nil, false
}

// functionShortName returns the function name in a Lambda function ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]), or s itself.
func functionShortName(s string) string {
	parts := strings.Split(s, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
		return parts[6]
	}
	return s
}

var (
	machineName   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	executionName = regexp.MustCompile(`^[^\s<>{}\[\]?*"#%\\^|~` + "`" + `$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$`)
)

// Register loads and validates a definition and registers it under name,
// replacing any machine of that name (as UpdateStateMachine would; running
// executions keep the definition they started with). It returns the state
// machine's ARN.
func (e *Engine) Register(name string, definition []byte, substitutions map[string]string) (string, error) {
	if !machineName.MatchString(name) {
		return "", fmt.Errorf("register state machine %q: %w: 1 to 80 letters, digits, - or _", name, ErrInvalidName)
	}
	d, err := Load(definition, substitutions)
	if err != nil {
		return "", fmt.Errorf("register state machine %q: %w", name, err)
	}
	arn := fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", partition(e.region), e.region, e.account, name)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.machines[arn] = &stateMachine{name: name, arn: arn, definition: d}
	return arn, nil
}

// partition returns the AWS partition of a region, for ARNs.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// Start starts an execution of the state machine with the given ARN, as
// StartExecution does; an empty name gets a UUID and empty input is {}.
// ctx serves the start only: like a real execution, this one runs on
// until it ends or is stopped with Stop.
func (e *Engine) Start(ctx context.Context, stateMachineArn, name string, input []byte) (*Execution, error) {
	return e.start(ctx, stateMachineArn, name, input, nil)
}

func (e *Engine) start(ctx context.Context, stateMachineArn, name string, input []byte, parent *Execution) (*Execution, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start execution: %w", err)
	}
	if name == "" {
		name = newUUID()
	}
	if !executionName.MatchString(name) {
		return nil, fmt.Errorf("start execution %q: %w: 1 to 80 characters, no whitespace, brackets, wildcards or punctuation", name, ErrInvalidName)
	}
	if len(strings.TrimSpace(string(input))) == 0 {
		input = []byte("{}")
	}
	if len(input) > payloadLimit {
		return nil, fmt.Errorf("start execution %q: %w: the input has %d bytes, more than the %d an execution's input may have", name, ErrInvalidExecutionInput, len(input), payloadLimit)
	}
	value, err := decodeJSON(input)
	if err != nil {
		return nil, fmt.Errorf("start execution %q: %w: %v", name, ErrInvalidExecutionInput, err)
	}
	e.mu.Lock()
	sm, ok := e.machines[stateMachineArn]
	if !ok {
		e.mu.Unlock()
		return nil, fmt.Errorf("start execution %q: %w: %s", name, ErrStateMachineDoesNotExist, stateMachineArn)
	}
	arn := fmt.Sprintf("arn:%s:states:%s:%s:execution:%s:%s", partition(e.region), e.region, e.account, sm.name, name)
	if _, exists := e.byARN[arn]; exists {
		e.mu.Unlock()
		return nil, fmt.Errorf("start execution %q: %w", name, ErrExecutionAlreadyExists)
	}
	x := newExecution(e, sm, arn, name, value, parent)
	e.executions = append(e.executions, x)
	e.byARN[arn] = x
	e.mu.Unlock()

	x.begin()
	return x, nil
}

// Describe reports the status of an execution, and false when no
// execution has that ARN.
func (e *Engine) Describe(executionArn string) (Status, bool) {
	e.mu.Lock()
	x, ok := e.byARN[executionArn]
	e.mu.Unlock()
	if !ok {
		return "", false
	}
	return x.Status(), true
}

// Execution returns the execution with the given ARN.
func (e *Engine) Execution(executionArn string) (*Execution, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.byARN[executionArn]
	return x, ok
}

// Executions returns every execution started so far, child executions
// included, in the order they started.
func (e *Engine) Executions() []*Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Execution(nil), e.executions...)
}

// randomFloat draws from [0, 1) for retry jitter.
func (e *Engine) randomFloat() float64 {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	return e.rand.Float64()
}

// randomBelow draws from [0, n) for States.MathRandom.
func (e *Engine) randomBelow(n int64) int64 {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	return e.rand.Int64N(n)
}
