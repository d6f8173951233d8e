package asl

import (
	"context"
	"fmt"
	"time"
)

// pass runs a Pass state: its Result, or its effective input shaped by
// Parameters, goes where ResultPath says.
func (sr *stateRun) pass() (any, string, error) {
	input, err := sr.effectiveInput()
	if err != nil {
		return nil, "", err
	}
	result := sr.st.result
	if !sr.st.hasResult {
		if result, err = sr.applyTemplate("Parameters", sr.st.parameters, sr.env(input)); err != nil {
			return nil, "", err
		}
	}
	placed, err := sr.placeResult(sr.st.resultPath, result)
	if err != nil {
		return nil, "", err
	}
	out, err := sr.outputOf(placed)
	return out, sr.st.next, err
}

// choose runs a Choice state: the first matching rule's Next, else
// Default, else States.NoChoiceMatched.
func (sr *stateRun) choose() (any, string, error) {
	input, err := sr.effectiveInput()
	if err != nil {
		return nil, "", err
	}
	env := sr.env(input)
	next := sr.st.choice.defaultNext
	for i, rule := range sr.st.choice.rules {
		ok, err := rule.eval(env)
		if err != nil {
			return nil, "", runtimeFailure(sr.st.name, "Invalid Choices[%d]: %v", i, err)
		}
		if ok {
			next = rule.next
			break
		}
	}
	if next == "" {
		return nil, "", &failure{name: errNoChoiceMatched, cause: fmt.Sprintf("No Choice rule of the state '%s' matched its input and it has no Default.", sr.st.name)}
	}
	out, err := sr.outputOf(input)
	return out, next, err
}

// succeed runs a Succeed state: its effective input, through OutputPath,
// is the output that ends its machine.
func (sr *stateRun) succeed() (any, error) {
	input, err := sr.effectiveInput()
	if err != nil {
		return nil, err
	}
	return sr.outputOf(input)
}

// wait runs a Wait state on the engine's clock. A timestamp already past
// waits for nothing.
func (sr *stateRun) wait(ctx context.Context) (any, string, error) {
	input, err := sr.effectiveInput()
	if err != nil {
		return nil, "", err
	}
	d, err := sr.waitDuration(input)
	if err != nil {
		return nil, "", err
	}
	if err := sr.e.clock.Sleep(ctx, d); err != nil {
		return nil, "", err
	}
	out, err := sr.outputOf(input)
	return out, sr.st.next, err
}

func (sr *stateRun) waitDuration(input any) (time.Duration, error) {
	w := sr.st.wait
	switch {
	case w.secondsPath != nil:
		v, err := w.secondsPath.query(input)
		if err != nil {
			return 0, runtimeFailure(sr.st.name, "Invalid SecondsPath: %v", err)
		}
		n, ok := integer(v)
		if !ok || n < 0 {
			return 0, runtimeFailure(sr.st.name, "Invalid SecondsPath: %s must be a non-negative integer, not %s", w.secondsPath, string(encodeJSON(v)))
		}
		return time.Duration(n) * time.Second, nil
	case w.timestampPath != nil:
		v, err := w.timestampPath.query(input)
		if err != nil {
			return 0, runtimeFailure(sr.st.name, "Invalid TimestampPath: %v", err)
		}
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			return 0, runtimeFailure(sr.st.name, "Invalid TimestampPath: %s must be an RFC 3339 timestamp, not %s", w.timestampPath, string(encodeJSON(v)))
		}
		return max(t.Sub(sr.e.clock.Now()), 0), nil
	case !w.timestamp.IsZero():
		return max(w.timestamp.Sub(sr.e.clock.Now()), 0), nil
	}
	return time.Duration(w.seconds) * time.Second, nil
}

// fail runs a Fail state: it fails its machine with Error and Cause, taken
// from the raw input for ErrorPath and CausePath.
func (sr *stateRun) fail() error {
	spec := sr.st.fail
	name, cause := spec.errorName, spec.cause
	env := sr.env(sr.raw)
	for _, f := range []struct {
		field string
		e     *expr
		dst   *string
	}{{"ErrorPath", spec.errorPath, &name}, {"CausePath", spec.causePath, &cause}} {
		if f.e == nil {
			continue
		}
		v, err := f.e.eval(env)
		if err != nil {
			return runtimeFailure(sr.st.name, "Invalid %s: %v", f.field, err)
		}
		s, ok := v.(string)
		if !ok {
			return runtimeFailure(sr.st.name, "Invalid %s: %s must give a string, not %s", f.field, f.e.text, jsonType(v))
		}
		*f.dst = s
	}
	return &failure{name: name, cause: cause}
}
