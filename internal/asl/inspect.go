package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// WaitDuration is how long the top-level Wait state named state waits when
// it is entered with input (its raw input, as its WaitStateEntered event
// records it) at now: the executor's own reading of its Seconds,
// SecondsPath, Timestamp or TimestampPath, after InputPath. An execution's
// history tells when a Wait began and ended; under a clock that other
// executions move forward, only this tells what the Wait asked for.
func (d *Definition) WaitDuration(state string, input json.RawMessage, now time.Time) (time.Duration, error) {
	st, ok := d.root.states[state]
	if !ok || st.wait == nil {
		return 0, fmt.Errorf("asl: the definition has no top-level Wait state %q", state)
	}
	raw, err := decodeJSON(input)
	if err != nil {
		return 0, fmt.Errorf("asl: the input of %s: %w", state, err)
	}
	sr := &stateRun{runner: &runner{e: &Engine{clock: stoppedClock(now)}}, st: st, raw: raw}
	in, err := sr.effectiveInput()
	if err != nil {
		return 0, err
	}
	return sr.waitDuration(in)
}

// stoppedClock always tells the same time and never waits.
type stoppedClock time.Time

func (c stoppedClock) Now() time.Time                                 { return time.Time(c) }
func (stoppedClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
