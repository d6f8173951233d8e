package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// stepFunctionsPricePer1000 is Step Functions Standard's public price, in
// US dollars per 1,000 state transitions (us-east-1; the free tier ignored).
const stepFunctionsPricePer1000 = 0.025

// rotationSample is what one rotate-target execution cost.
type rotationSample struct {
	datadog     map[string]int
	notFound    map[string]int // Datadog calls answered 404, by operation
	aws         map[string]int
	transitions int
}

// callsResult is the measurement of one (kind, mode) pair: the first
// rotation of a freshly seeded target, and the steady state after it.
type callsResult struct {
	kind   deploy.Kind
	mode   rotation.Mode
	target string
	first  rotationSample
	steady []rotationSample // one per repetition
}

// kindTargets names the target of each kind in the measurement env.
var kindTargets = []struct {
	kind   deploy.Kind
	target string
}{
	{deploy.KindAPIKey, "payments"},
	{deploy.KindAPIAppKey, "analytics"},
	{deploy.KindAdmin, localenv.AdminTarget},
}

// measureCalls rotates one target of each kind in each mode in its own
// fresh deployment: one rotation from the seeded secret, then reps more,
// each between ResetObservations and the emulators' counters.
func measureCalls(ctx context.Context, reps int) ([]callsResult, error) {
	var out []callsResult
	for _, kt := range kindTargets {
		for _, mode := range []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise} {
			r, err := measureOne(ctx, kt.kind, kt.target, mode, reps)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", kt.kind, mode, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func measureOne(ctx context.Context, kind deploy.Kind, target string, mode rotation.Mode, reps int) (_ callsResult, err error) {
	env, err := localenv.Start(ctx, localenv.Options{DatadogTimeout: 5 * time.Second})
	if err != nil {
		return callsResult{}, err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	specs := []localenv.TargetSpec{
		{Name: "payments", Kind: deploy.KindAPIKey},
		{Name: "analytics", Kind: deploy.KindAPIAppKey, Scopes: []string{"dashboards_read", "metrics_read"}},
	}
	for _, spec := range specs {
		if _, err := env.AddTarget(ctx, spec); err != nil {
			return callsResult{}, err
		}
	}
	res := callsResult{kind: kind, mode: mode, target: target}
	for i := 0; i <= reps; i++ {
		s, err := rotateOnce(ctx, env, target, mode)
		if err != nil {
			return callsResult{}, err
		}
		if i == 0 {
			res.first = s
		} else {
			res.steady = append(res.steady, s)
		}
	}
	return res, nil
}

func rotateOnce(ctx context.Context, env *localenv.Env, target string, mode rotation.Mode) (rotationSample, error) {
	env.Datadog.ResetObservations()
	env.AWS.ResetObservations()
	x, err := env.Rotate(ctx, target, mode)
	if err != nil {
		return rotationSample{}, err
	}
	if x.Status() != asl.StatusSucceeded {
		return rotationSample{}, fmt.Errorf("rotation of %s ended %s: %s: %s", target, x.Status(), x.Error(), x.Cause())
	}
	s := rotationSample{datadog: env.Datadog.Counters(), aws: env.AWS.Counters(), transitions: x.Transitions(), notFound: map[string]int{}}
	for _, c := range env.Datadog.Calls() {
		if c.Status == http.StatusNotFound {
			s.notFound[c.Op]++
		}
	}
	return s, nil
}

// minimumCalls is the least the protocol needs from Datadog: validate the
// current key (scheduled only; +1 for the pair), create each key, verify
// the new key (+1 for the pair), delete each old key.
func minimumCalls(kind deploy.Kind, mode rotation.Mode) map[string]int {
	pair := kind != deploy.KindAPIKey
	m := map[string]int{ddemu.CreateAPIKey: 1, ddemu.ValidateAPIKey: 1, ddemu.DeleteAPIKey: 1}
	if mode == rotation.ModeScheduled {
		m[ddemu.ValidateAPIKey]++
	}
	if pair {
		m[ddemu.CreateServiceAccountAppKey] = 1
		m[ddemu.ValidateKeys] = 1
		m[ddemu.DeleteServiceAccountAppKey] = 1
		if mode == rotation.ModeScheduled {
			m[ddemu.ValidateKeys]++
		}
	}
	return m
}

// whyExtra says why the steps make a Datadog call beyond the minimum.
var whyExtra = map[string]string{
	ddemu.GetServiceAccountAppKey:   "Create checks that the admin application key holds every scope rotation needs before anything changes; on a team's first rotation it also reads the old application key's scopes, which the seeded secret does not record",
	ddemu.ListAPIKeys:               "lists the target's managed API keys by name",
	ddemu.ListServiceAccountAppKeys: "lists the target's managed application keys by name",
	ddemu.GetAPIKey:                 "reads back an API key made by an earlier attempt",
}

// sum totals a counter map.
func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// extras lists the calls of got above min (and below, marked), e.g.
// "ListAPIKeys +1 (lists the target's managed API keys by name)".
func extras(got, min map[string]int, mode rotation.Mode, notFound map[string]int) []string {
	var out []string
	ops := slices.Sorted(maps.Keys(union(got, min)))
	for _, op := range ops {
		d := got[op] - min[op]
		switch {
		case d > 0:
			why := whyExtra[op]
			if (op == ddemu.ListAPIKeys || op == ddemu.ListServiceAccountAppKeys) && mode == rotation.ModeCompromise {
				why = "compromise: " + why + " to revoke every one"
			}
			if nf := notFound[op]; nf > 0 && (op == ddemu.DeleteAPIKey || op == ddemu.DeleteServiceAccountAppKey) {
				why = fmt.Sprintf("answered 404 ×%d: DeleteOld also deletes the keys of the version that was AWSPREVIOUS when the rotation began (so a rotation that failed after Store leaves no orphan); here the previous rotation had already revoked them", nf)
			}
			if why == "" {
				why = "unexplained"
			}
			out = append(out, fmt.Sprintf("%s +%d (%s)", op, d, why))
		case d < 0:
			out = append(out, fmt.Sprintf("%s %d (below the minimum!)", op, d))
		}
	}
	return out
}

func union(a, b map[string]int) map[string]int {
	u := map[string]int{}
	for k := range a {
		u[k] = 1
	}
	for k := range b {
		u[k] = 1
	}
	return u
}

// formatCounts renders a counter map compactly, largest first:
// "GetSecretValue 4, DescribeSecret 3, ...". prefix is trimmed from keys.
func formatCounts(m map[string]int, prefix string) string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{strings.TrimPrefix(k, prefix), v})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].v != kvs[j].v {
			return kvs[i].v > kvs[j].v
		}
		return kvs[i].k < kvs[j].k
	})
	parts := make([]string, len(kvs))
	for i, e := range kvs {
		parts[i] = fmt.Sprintf("%s %d", e.k, e.v)
	}
	return strings.Join(parts, ", ")
}

// sameSamples reports whether every steady-state repetition counted the
// same calls and transitions, so one of them stands for all.
func sameSamples(s []rotationSample) bool {
	for _, x := range s[1:] {
		if !maps.Equal(x.datadog, s[0].datadog) || !maps.Equal(x.notFound, s[0].notFound) || !maps.Equal(x.aws, s[0].aws) || x.transitions != s[0].transitions {
			return false
		}
	}
	return true
}
