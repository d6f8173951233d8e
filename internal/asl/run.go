package asl

import (
	"context"
	"errors"
	"time"
)

// runner runs the states of one execution. Map iterations and Parallel
// branches of the execution share it.
type runner struct {
	x *Execution
	e *Engine
}

// runMachine runs m from its StartAt until a state ends it, and returns the
// last state's output. The error is a *failure when a state failed and was
// not caught, or the context's error when the execution was stopped.
func (r *runner) runMachine(ctx context.Context, m *machine, input any) (any, error) {
	name := m.startAt
	for {
		out, next, err := r.runState(ctx, m.states[name], input)
		if err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		name, input = next, out
	}
}

// runState enters one state, runs it and returns its output and the state
// to go to next ("" when it ends its machine).
func (r *runner) runState(ctx context.Context, st *state, input any) (any, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if r.e.beforeState != nil {
		if err := r.e.beforeState(r.x, st.name); err != nil {
			r.x.Stop("", err.Error())
			return nil, "", context.Canceled
		}
	}
	sr := &stateRun{runner: r, st: st, raw: input, entered: r.x.enterState(st, input)}
	var out any
	var next string
	var err error
	switch st.typ {
	case "Pass":
		out, next, err = sr.pass()
	case "Task":
		out, next, err = sr.withRetry(ctx, sr.taskAttempt)
	case "Choice":
		out, next, err = sr.choose()
	case "Wait":
		out, next, err = sr.wait(ctx)
	case "Succeed":
		out, err = sr.succeed()
	case "Fail":
		err = sr.fail()
	case "Map":
		out, next, err = sr.withRetry(ctx, sr.mapAttempt)
	case "Parallel":
		out, next, err = sr.withRetry(ctx, sr.parallelAttempt)
	}
	if err != nil {
		return nil, "", err
	}
	encoded := encodeJSON(out)
	if err := r.x.notePayload(st.name, "returned an output", encoded); err != nil {
		return nil, "", err
	}
	r.x.record(Event{Type: st.typ + "StateExited", State: st.name, Output: encoded})
	return out, next, nil
}

// stateRun is one visit of a state: its raw input and what the context
// object says about it.
type stateRun struct {
	*runner
	st         *state
	raw        any
	entered    time.Time
	retryCount int
}

// contextObject builds $$ for the state.
func (sr *stateRun) contextObject() map[string]any {
	x := sr.x
	return map[string]any{
		"Execution": map[string]any{
			"Id":           x.arn,
			"Name":         x.name,
			"Input":        x.input,
			"StartTime":    formatTime(x.startTime),
			"RoleArn":      "arn:" + partition(sr.e.region) + ":iam::" + sr.e.account + ":role/service-role/StepFunctions-" + x.machine.name + "-role",
			"RedriveCount": intValue(0),
		},
		"StateMachine": map[string]any{"Id": x.machine.arn, "Name": x.machine.name},
		"State": map[string]any{
			"Name":        sr.st.name,
			"EnteredTime": formatTime(sr.entered),
			"RetryCount":  intValue(int64(sr.retryCount)),
		},
	}
}

// formatTime renders a time as Step Functions does in the context object.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func (sr *stateRun) env(input any) *evalEnv {
	return &evalEnv{input: input, context: sr.contextObject(), random: sr.e.randomBelow}
}

// effectiveInput applies InputPath to the raw input.
func (sr *stateRun) effectiveInput() (any, error) {
	return sr.selectPath("InputPath", sr.st.inputPath, sr.raw)
}

// outputOf applies OutputPath.
func (sr *stateRun) outputOf(v any) (any, error) {
	return sr.selectPath("OutputPath", sr.st.outputPath, v)
}

func (sr *stateRun) selectPath(field string, p dataPath, v any) (any, error) {
	switch {
	case p.null:
		return map[string]any{}, nil
	case p.path == nil:
		return v, nil
	}
	out, err := p.path.query(v)
	if err != nil {
		return nil, runtimeFailure(sr.st.name, "Invalid %s: %v", field, err)
	}
	return out, nil
}

// applyTemplate evaluates Parameters, ResultSelector or ItemSelector.
func (sr *stateRun) applyTemplate(field string, t *template, env *evalEnv) (any, error) {
	if t == nil {
		return env.input, nil
	}
	out, err := t.eval(env)
	if err != nil {
		return nil, runtimeFailure(sr.st.name, "Invalid %s: %v", field, err)
	}
	return out, nil
}

// placeResult combines the raw input with a result as ResultPath says.
func (sr *stateRun) placeResult(rp resultPath, result any) (any, error) {
	switch {
	case rp.discard:
		return sr.raw, nil
	case rp.path == nil:
		return result, nil
	}
	out, err := rp.path.set(sr.raw, result)
	if err != nil {
		return nil, runtimeFailure(sr.st.name, "Invalid ResultPath: %v", err)
	}
	return out, nil
}

// finish turns a state's result into its output: ResultSelector, then
// ResultPath into the raw input, then OutputPath. The raw result must fit
// in Step Functions' payload limit, whatever ResultSelector keeps of it.
func (sr *stateRun) finish(result any) (any, error) {
	if err := sr.x.notePayload(sr.st.name, "returned a result", encodeJSON(result)); err != nil {
		return nil, err
	}
	selected, err := sr.applyTemplate("ResultSelector", sr.st.resultSelector, sr.env(result))
	if err != nil {
		return nil, err
	}
	placed, err := sr.placeResult(sr.st.resultPath, selected)
	if err != nil {
		return nil, err
	}
	return sr.outputOf(placed)
}

// withRetry runs attempt, which does the state's work from InputPath to
// OutputPath, applying the state's Retry and then its Catch when it fails.
func (sr *stateRun) withRetry(ctx context.Context, attempt func(context.Context) (any, error)) (any, string, error) {
	retries := make([]int, len(sr.st.retry))
	for {
		out, err := attempt(ctx)
		if err == nil {
			return out, sr.st.next, nil
		}
		var f *failure
		if !errors.As(err, &f) || f.terminal() {
			return nil, "", err
		}
		if i := matchingRetrier(sr.st.retry, f.name); i >= 0 && retries[i] < sr.st.retry[i].maxAttempts {
			delay := sr.st.retry[i].delay(retries[i], sr.e.randomFloat)
			retries[i]++
			sr.retryCount++
			sr.x.countRetry()
			if err := sr.e.clock.Sleep(ctx, delay); err != nil {
				return nil, "", err
			}
			continue
		}
		return sr.catch(f)
	}
}

// matchingRetrier returns the index of the first retrier whose ErrorEquals
// matches name, or -1. Only that retrier applies, even once exhausted.
func matchingRetrier(retriers []*retrier, name string) int {
	for i, r := range retriers {
		if errorMatches(r.errorEquals, name) {
			return i
		}
	}
	return -1
}

// catch hands a failure to the first matching catcher: its ResultPath puts
// {"Error", "Cause"} into the raw input and the execution goes on at its
// Next. OutputPath does not apply to a caught error.
func (sr *stateRun) catch(f *failure) (any, string, error) {
	for _, c := range sr.st.catch {
		if !errorMatches(c.errorEquals, f.name) {
			continue
		}
		out, err := sr.placeResult(c.resultPath, map[string]any{"Error": f.name, "Cause": f.cause})
		if err != nil {
			return nil, "", err
		}
		return out, c.next, nil
	}
	return nil, "", f
}
