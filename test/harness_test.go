package test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/internal/syncbuf"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// world is one local deployment with the standard teams.
type world struct {
	*localenv.Env
	logs *syncbuf.Buffer

	hookMu sync.Mutex
	// before runs once when an execution first enters the named state: fault
	// tests arm a fault at the step they aim at, or stop the execution there.
	before map[string]func(x *asl.Execution) error
	// always runs every time any execution enters the named state.
	always map[string]func(x *asl.Execution) error
}

// every arranges for f to run each time any execution enters state.
func (w *world) every(state string, f func(x *asl.Execution) error) {
	w.hookMu.Lock()
	defer w.hookMu.Unlock()
	w.always[state] = f
}

// at arranges for f to run once, the next time any execution enters state.
func (w *world) at(state string, f func(x *asl.Execution) error) {
	w.hookMu.Lock()
	defer w.hookMu.Unlock()
	w.before[state] = f
}

func (w *world) beforeState(x *asl.Execution, state string) error {
	w.hookMu.Lock()
	f := w.before[state]
	delete(w.before, state)
	if g := w.always[state]; g != nil && f == nil {
		f = g
	}
	w.hookMu.Unlock()
	if f == nil {
		return nil
	}
	return f(x)
}

// standardTeams are set up in every world beside the admin target.
var standardTeams = []localenv.TargetSpec{
	{Name: "payments", Kind: deploy.KindAPIKey},
	{Name: "analytics", Kind: deploy.KindAPIAppKey, Scopes: []string{"dashboards_read", "metrics_read"}},
	{Name: "checkout", Kind: deploy.KindAPIKey, Grace: time.Minute},
}

type worldOption func(*localenv.Options)

func newWorld(t testing.TB, opts ...worldOption) *world {
	t.Helper()
	logs := &syncbuf.Buffer{}
	w := &world{logs: logs, before: map[string]func(*asl.Execution) error{}, always: map[string]func(*asl.Execution) error{}}
	o := localenv.Options{LogOutput: logs, DatadogTimeout: 2 * time.Second, BeforeState: w.beforeState}
	for _, opt := range opts {
		opt(&o)
	}
	env, err := localenv.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start local deployment: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("close the local deployment: %v", err)
		}
	})
	for _, spec := range standardTeams {
		if _, err := env.AddTarget(context.Background(), spec); err != nil {
			t.Fatalf("add target %s: %v", spec.Name, err)
		}
	}
	w.Env = env
	return w
}

// snapshot is what invariant 5 compares: each target's AWSCURRENT version.
type snapshot map[string]string

func (w *world) snapshot() snapshot {
	s := snapshot{}
	for _, name := range w.TargetNames() {
		s[name] = w.CurrentVersion(name)
	}
	return s
}

// checkAll checks the README's invariants: 1-3 and 6-9 on the emulators'
// state and on what the system did (localenv.CheckInvariants), 4 by
// scanning everything emitted, and 5 for every target whose execution
// failed before Store (its AWSCURRENT must be the one in before).
func (w *world) checkAll(t testing.TB, before snapshot, unchanged ...string) {
	t.Helper()
	for _, v := range w.CheckInvariants(context.Background()) {
		t.Errorf("%s", v)
	}
	texts := w.EmittedTexts()
	texts["step logs"] = w.logs.String()
	for _, leak := range localenv.Leaks(w.KeyValues(), texts) {
		t.Errorf("invariant 4: %s", leak)
	}
	for _, target := range unchanged {
		if got := w.CurrentVersion(target); got != before[target] {
			t.Errorf("invariant 5: target %s: AWSCURRENT moved from %s to %s in a failed execution", target, before[target], got)
		}
	}
}

func (w *world) rotate(t testing.TB, target string, mode rotation.Mode) *asl.Execution {
	t.Helper()
	x, err := w.Rotate(context.Background(), target, mode)
	if err != nil {
		t.Fatalf("rotate %s (%s): %v", target, mode, err)
	}
	return x
}

func wantStatus(t testing.TB, x *asl.Execution, want asl.Status) {
	t.Helper()
	if got := x.Status(); got != want {
		t.Fatalf("execution %s: status %s, want %s (error %q, cause %q)", x.Name(), got, want, x.Error(), x.Cause())
	}
}

// events lists the SNS events a target's team received, in order.
func (w *world) events(target string) []string {
	var got []string
	for _, m := range w.AWS.Inbox(w.Targets[target].SubscriptionARN) {
		got = append(got, m.Attributes["event"])
	}
	return got
}

// statesVisited lists the states an execution entered, in order.
func statesVisited(x *asl.Execution) string {
	var names []string
	for _, ev := range x.History() {
		if strings.HasSuffix(ev.Type, "StateEntered") {
			names = append(names, ev.State)
		}
	}
	return strings.Join(names, ">")
}
