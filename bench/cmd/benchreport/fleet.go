package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// Fleet conditions, as issue 7 sets them.
const (
	fleetLatency     = 20 * time.Millisecond
	fleetCreateLimit = 60
	fleetLimitPeriod = 10 * time.Second
	// fleetMaxConcurrency is the rotate-fleet definition's Map MaxConcurrency.
	fleetMaxConcurrency = 10
	// everyNthPair makes every 4th fleet target an api-app-key target.
	everyNthPair = 4
)

// fleetResult is one scheduled rotate-fleet execution over n targets.
type fleetResult struct {
	real         bool          // run on the real clock (with realGrace)
	grace        time.Duration // scheduled grace period of every target
	n, pairs     int
	requested    int // targets asked for (n is fewer when the budget did not fit them)
	setup, wall  time.Duration
	virtual      time.Duration // virtual time the run spanned
	status       asl.Status
	failed       int // rotate-target executions that did not succeed
	failedErrors map[string]int
	creates      int // CreateAPIKey calls that made a key
	createCalls  int // CreateAPIKey calls, 429s included
	throttled    int // 429 answers to CreateAPIKey
	maxPerWindow int // most keys made in one rate-limit window (virtual clock)
	windows      int // rate-limit windows in which keys were made
	ddCalls      int
	awsCalls     int
	fleetTrans   int // the fleet execution's own transitions and its Map Run's child executions'

	childTrans int // all rotate-target executions' transitions
}

// lowerBound is the time the rate limit alone would need if its windows
// were real time: creates / (limit per period).
func (f fleetResult) lowerBound() time.Duration {
	return time.Duration(float64(f.creates) / fleetCreateLimit * float64(fleetLimitPeriod))
}

// latencyFloor is the time the injected latency alone needs at the Map's
// MaxConcurrency: every Datadog call waits fleetLatency.
func (f fleetResult) latencyFloor() time.Duration {
	return time.Duration(f.ddCalls) * fleetLatency / fleetMaxConcurrency
}

func fleetTargetName(i int) string { return fmt.Sprintf("team-%05d", i) }

// realGrace is the grace period of the real-clock run: short, so that the
// run is bound by Datadog and not by waiting.
const realGrace = time.Second

// runFleet sets up n targets (every everyNthPair-th an api-app-key target)
// and runs one scheduled rotate-fleet execution over them under the issue's
// latency and CreateAPIKey rate limit. With real, the deployment (executor
// and emulator alike) runs on the real clock with a grace period of
// realGrace, so the emulator's rate-limit windows are real seconds; without
// it, on localenv's default VirtualClock with the default 24 h grace.
func runFleet(ctx context.Context, n int, real bool) (_ fleetResult, err error) {
	res := fleetResult{n: n, real: real, grace: 24 * time.Hour, failedErrors: map[string]int{}}
	opts := localenv.Options{}
	if real {
		res.grace = realGrace
		opts.Clock, opts.DefaultGrace = asl.RealClock(), realGrace
	}
	env, err := localenv.Start(ctx, opts)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	// Every target holds a key, and one in ten holds two during its grace
	// period: lift the org's cap (200 by default) out of the way.
	env.Datadog.SetMaxAPIKeys(2*n + 100)

	t0 := time.Now()
	names := make([]string, n)
	for i := range names {
		spec := localenv.TargetSpec{Name: fleetTargetName(i), Kind: deploy.KindAPIKey}
		if i%everyNthPair == everyNthPair-1 {
			spec.Kind = deploy.KindAPIAppKey
			spec.Scopes = []string{"dashboards_read", "metrics_read"}
			res.pairs++
		}
		if _, err := env.AddTarget(ctx, spec); err != nil {
			return res, err
		}
		names[i] = spec.Name
	}
	res.setup = time.Since(t0)

	env.Datadog.SetLatency(fleetLatency)
	env.Datadog.SetRateLimit(ddemu.CreateAPIKey, fleetCreateLimit, fleetLimitPeriod)
	env.Datadog.ResetObservations()
	env.AWS.ResetObservations()

	v0 := env.Clock.Now()
	t0 = time.Now()
	x, err := env.RotateFleet(ctx, rotation.ModeScheduled)
	res.wall = time.Since(t0)
	res.virtual = env.Clock.Now().Sub(v0)
	if err != nil && x == nil {
		return res, err
	}
	res.status = x.Status()
	res.fleetTrans = x.Transitions()

	for _, c := range env.Engine.Executions() {
		if c.MapRun() != nil && c.MapRun().Execution() == x {
			// The Distributed Map's child workflow executions are billed
			// as the fleet's.
			res.fleetTrans += c.Transitions()
		}
		if c.StateMachineARN() != env.TargetMachineARN {
			continue
		}
		res.childTrans += c.Transitions()
		if c.Status() != asl.StatusSucceeded {
			res.failed++
			res.failedErrors[c.Error()]++
		}
	}
	perWindow := map[time.Time]int{}
	for _, c := range env.Datadog.Calls() {
		if c.Op != ddemu.CreateAPIKey {
			continue
		}
		res.createCalls++
		switch {
		case c.Status == http.StatusTooManyRequests:
			res.throttled++
		case c.Status >= 200 && c.Status < 300:
			res.creates++
			perWindow[c.Time.Truncate(fleetLimitPeriod)]++
		}
	}
	for _, k := range perWindow {
		res.maxPerWindow = max(res.maxPerWindow, k)
	}
	res.windows = len(perWindow)
	res.ddCalls = sum(env.Datadog.Counters())
	res.awsCalls = sum(env.AWS.Counters())
	return res, nil
}
