package test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// callPair is one (state, call) pair of a clean rotation: a call the named
// state makes to the Datadog emulator (Op) or to the AWS emulator (Service
// and Action, on the target's own secret or on another one).
type callPair struct {
	Kind, Mode string // target kind (its name here) and rotation mode
	Target     string
	State      string
	System     string // "datadog" or "aws"
	Op         string // Datadog operation name
	Service    string // AWS service
	Action     string // AWS action
	SecretID   string // AWS: the secret the call named, "" if none
}

func (p callPair) String() string {
	if p.System == "datadog" {
		return fmt.Sprintf("%s/%s/%s/datadog:%s", p.Mode, p.Target, p.State, p.Op)
	}
	s := fmt.Sprintf("%s/%s/%s/%s:%s", p.Mode, p.Target, p.State, p.Service, p.Action)
	if p.SecretID != "" {
		s += "(" + strings.TrimPrefix(p.SecretID, localenv.SecretPrefix) + ")"
	}
	return s
}

// matrixTargets are the target kinds of the matrix: payments is an api-key
// target, analytics an api-app-key one, and admin rotates itself.
var matrixTargets = []string{"payments", "analytics", localenv.AdminTarget}

var matrixModes = []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise}

// heldMode is the fault matrix's name for a scheduled rotation whose old
// key a consumer still uses when the grace period ends: its DeleteOld holds
// the deletion, so the states and calls of the hold (NotifyInUse,
// HoldOldKey, DeleteOld looking again) get their cells too.
const heldMode = "scheduled-held"

// rotationMode is the mode a matrix mode label rotates in.
func rotationMode(label string) rotation.Mode {
	if label == heldMode {
		return rotation.ModeScheduled
	}
	return rotation.Mode(label)
}

// consumerStillOnOldKey makes a consumer use target's old key when the
// grace period is over, as heldMode's consumer does.
func consumerStillOnOldKey(w *world, target string) error {
	return w.UseKey(context.Background(), target, "AWSPREVIOUS")
}

// enumeratePairs runs one clean rotation of target in mode and cuts the
// emulators' call logs at each state's entry: every distinct (state, call)
// it finds is a pair. It also returns the states visited.
func enumeratePairs(t *testing.T, target string, mode rotation.Mode) ([]callPair, []string) {
	t.Helper()
	marks := &stateMarks{}
	var env *localenv.Env
	w := newWorld(t, withStateMarks(marks, &env))
	env = w.Env
	w.Datadog.ResetObservations()
	w.AWS.ResetObservations()
	// The consumer's own calls are not the system's: they get no cells.
	consumer := map[int]bool{}
	if mode == heldMode {
		w.at("DeleteOld", func(*asl.Execution) error {
			from := len(w.Datadog.Calls())
			err := consumerStillOnOldKey(w, target)
			for i := from; i < len(w.Datadog.Calls()); i++ {
				consumer[i] = true
			}
			return err
		})
	}
	x := w.rotate(t, target, rotationMode(string(mode)))
	wantStatus(t, x, asl.StatusSucceeded)
	dd, aws := w.Datadog.Calls(), w.AWS.Calls()
	marks.mu.Lock()
	ms := append([]stateMark(nil), marks.marks...)
	marks.mu.Unlock()

	seen := map[string]bool{}
	var pairs []callPair
	var states []string
	for i, m := range ms {
		states = append(states, m.state)
		ddEnd, awsEnd := len(dd), len(aws)
		if i+1 < len(ms) {
			ddEnd, awsEnd = ms[i+1].ddCalls, ms[i+1].aCall
		}
		add := func(p callPair) {
			if !seen[p.String()] {
				seen[p.String()] = true
				pairs = append(pairs, p)
			}
		}
		for j, c := range dd[m.ddCalls:ddEnd] {
			if consumer[m.ddCalls+j] {
				continue
			}
			add(callPair{Mode: string(mode), Target: target, State: m.state, System: "datadog", Op: c.Op})
		}
		for _, c := range aws[m.aCall:awsEnd] {
			add(callPair{Mode: string(mode), Target: target, State: m.state, System: "aws", Service: c.Service, Action: c.Action, SecretID: secretName(w, c.SecretID)})
		}
	}
	return pairs, states
}

// secretName turns a SecretId as the call named it (name or ARN) into the
// secret's name.
func secretName(w *world, id string) string {
	if id == "" {
		return ""
	}
	for name, tg := range w.Targets {
		if id == tg.SecretARN || id == localenv.SecretPrefix+name {
			return localenv.SecretPrefix + name
		}
	}
	return id
}

// faultKind is one way to disturb a call.
type faultKind struct {
	Name   string
	System string // "datadog" or "aws"
	// Transient faults are ones the rotation is built to ride out when they
	// hit at most twice.
	dd  func(f *ddemu.Fault)
	aws func(f *awsemu.Fault)
}

// faultKinds are the faults of the matrix. The Datadog latency is past the
// client's bound (the world's DatadogTimeout is 2 s). AWS latency is left
// out: the SDK has no per-call bound short of the Task timeout (60-120 s on
// the wall clock), which would make each scenario a minute long.
var faultKinds = []faultKind{
	{Name: "500", System: "datadog", dd: func(f *ddemu.Fault) { f.Status = 500 }},
	{Name: "429", System: "datadog", dd: func(f *ddemu.Fault) { f.RateLimit, f.ResetSeconds = true, 1 }},
	{Name: "latency 3s", System: "datadog", dd: func(f *ddemu.Fault) { f.Latency = 3 * time.Second }},
	{Name: "connection reset", System: "datadog", dd: func(f *ddemu.Fault) { f.ResetConn = true }},
	{Name: "lost response", System: "datadog", dd: func(f *ddemu.Fault) { f.AfterEffect, f.Status = true, 502 }},
	{Name: "500", System: "aws", aws: func(f *awsemu.Fault) { f.Status, f.ErrorCode = 500, "InternalServiceError" }},
	{Name: "throttling", System: "aws", aws: func(f *awsemu.Fault) { f.ErrorCode = "ThrottlingException" }},
	{Name: "connection reset", System: "aws", aws: func(f *awsemu.Fault) { f.ResetConn = true }},
	{Name: "lost response", System: "aws", aws: func(f *awsemu.Fault) { f.AfterEffect, f.Status, f.ErrorCode = true, 500, "InternalServiceError" }},
}

// faultScenario is one cell of the matrix.
type faultScenario struct {
	Pair  callPair
	Fault faultKind
	Times int
}

func (s faultScenario) String() string {
	return fmt.Sprintf("%s/%s x%d", s.Pair, s.Fault.Name, s.Times)
}

// faultMatrix enumerates the pairs of every target kind and mode and crosses
// them with every fault kind of the pair's system and Times 1 and 2. With
// full false it keeps a deterministic sample: every pair once, the fault
// kind and Times cycling with the pair's position.
func faultMatrix(t *testing.T, full bool) (pairs []callPair, scenarios []faultScenario) {
	t.Helper()
	for _, mode := range matrixModes {
		for _, target := range matrixTargets {
			p, _ := enumeratePairs(t, target, mode)
			pairs = append(pairs, p...)
		}
	}
	// The held rotation repeats the scheduled one up to DeleteOld: keep
	// only its pairs that a plain scheduled rotation does not have.
	scheduled := map[string]bool{}
	for _, p := range pairs {
		if p.Mode == string(rotation.ModeScheduled) {
			q := p
			q.Mode = heldMode
			scheduled[q.String()] = true
		}
	}
	for _, target := range matrixTargets {
		p, _ := enumeratePairs(t, target, heldMode)
		for _, pair := range p {
			if !scheduled[pair.String()] {
				pairs = append(pairs, pair)
			}
		}
	}
	for i, p := range pairs {
		var kinds []faultKind
		for _, k := range faultKinds {
			if k.System == p.System {
				kinds = append(kinds, k)
			}
		}
		if full {
			for _, k := range kinds {
				for times := 1; times <= 2; times++ {
					scenarios = append(scenarios, faultScenario{p, k, times})
				}
			}
			continue
		}
		j := i
		scenarios = append(scenarios, faultScenario{p, kinds[(j+j/len(kinds))%len(kinds)], 1 + (j/3)%2})
	}
	return pairs, scenarios
}

// arm adds the scenario's fault to the emulators.
func (s faultScenario) arm(w *world) {
	switch s.Pair.System {
	case "datadog":
		f := ddemu.Fault{Op: s.Pair.Op, Times: s.Times}
		s.Fault.dd(&f)
		w.Datadog.AddFault(f)
	case "aws":
		f := awsemu.Fault{Service: s.Pair.Service, Action: s.Pair.Action, SecretID: s.Pair.SecretID, Times: s.Times}
		s.Fault.aws(&f)
		w.AWS.AddFault(f)
	}
}

// landsAfterEnd tells the cells whose fault can take effect after the
// execution has ended. When a Datadog create (CreateAPIKey,
// CreateServiceAccountAppKey) is slower than the client's bound, the client
// gives up while the request is still being served; Create's retry finds no
// key of its name yet and makes a second one; the first request then
// completes, as real Datadog can complete a request whose client timed out.
// In scheduled mode the twin lands during the grace period and DeleteOld
// deletes it. In compromise mode there is no grace: the twin can land after
// the execution ended, and the product's guarantee is that the target's next
// rotation deletes it (it bears the old credential's key name). These cells
// therefore run that next rotation before checking the invariants.
func (s faultScenario) landsAfterEnd() bool {
	return s.Pair.System == "datadog" && s.Fault.Name == "latency 3s" && s.Pair.Mode == string(rotation.ModeCompromise) &&
		(s.Pair.Op == ddemu.CreateAPIKey || s.Pair.Op == ddemu.CreateServiceAccountAppKey)
}

// waitForFaultedCalls waits until the emulators have answered n faulted
// calls, or for at most d, and returns how many they have.
func waitForFaultedCalls(w *world, n int, d time.Duration) int {
	hits := faultedCalls(w)
	for deadline := time.Now().Add(d); hits < n && time.Now().Before(deadline); hits = faultedCalls(w) {
		time.Sleep(10 * time.Millisecond)
	}
	return hits
}

// faultedCalls counts the calls a fault rule answered.
func faultedCalls(w *world) int {
	n := 0
	for _, c := range w.Datadog.Calls() {
		if c.Faulted {
			n++
		}
	}
	for _, c := range w.AWS.Calls() {
		if c.Faulted {
			n++
		}
	}
	return n
}

// runFaultScenario arms the fault when the execution enters the pair's
// state, runs the rotation, and checks the invariants: a failure before
// Store leaves AWSCURRENT as it was; success or a failure after Store
// leaves the new key current.
func runFaultScenario(t *testing.T, s faultScenario) string {
	w := newWorld(t)
	before := w.snapshot()
	target, mode := s.Pair.Target, rotationMode(s.Pair.Mode)
	held := s.Pair.Mode == heldMode
	if held && s.Pair.State != "DeleteOld" {
		w.at("DeleteOld", func(*asl.Execution) error { return consumerStillOnOldKey(w, target) })
	}
	armed := false
	w.at(s.Pair.State, func(*asl.Execution) error {
		if held && s.Pair.State == "DeleteOld" {
			if err := consumerStillOnOldKey(w, target); err != nil {
				return err
			}
		}
		s.arm(w)
		armed = true
		if s.Fault.Name == "latency 3s" && mode == rotation.ModeScheduled && s.Pair.State != "GracePeriod" {
			// The grace period passes at once on the virtual clock, but
			// the emulator's latency is real time. A scheduled grace lasts
			// hours: a call slowed by seconds has long landed when it ends,
			// so let it land before the grace is over.
			w.at("GracePeriod", func(*asl.Execution) error {
				waitForFaultedCalls(w, s.Times, 4*time.Second)
				return nil
			})
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	x, err := w.Rotate(ctx, target, mode)
	if err != nil {
		t.Fatalf("rotate %s (%s): %v", target, mode, err)
	}
	w.Datadog.ClearFaults()
	w.AWS.ClearFaults()
	reliability.add(cFaultScenarios, 1)
	reliability.add(cScenarios, 1)
	reliability.add(fmt.Sprintf("fault scenarios: %s %s", s.Pair.System, s.Fault.Name), 1)
	if armed {
		reliability.add(cFaultsInjected, 1)
	} else {
		t.Errorf("the execution never entered %s: the fault was not armed", s.Pair.State)
	}
	// A call the client gave up on (latency past its bound) is answered, and
	// logged, only when its latency is over, which may be after the
	// execution ended; it may even take effect then (a create that lands
	// late). Wait for every delayed call before checking anything.
	hits := waitForFaultedCalls(w, s.Times, 4*time.Second)
	reliability.add(cFaultsHit, hits)
	if hits == 0 {
		t.Errorf("the fault never hit a call (states %s)", statesVisited(x))
	}
	if s.landsAfterEnd() && x.Status() == asl.StatusSucceeded {
		next := w.rotate(t, target, rotation.ModeScheduled)
		wantStatus(t, next, asl.StatusSucceeded)
		reliability.add("late creates cleaned up by the next rotation", 1)
	}
	path := statesVisited(x)
	var outcome string
	switch {
	case x.Status() == asl.StatusSucceeded:
		outcome = "rotated"
		if w.CurrentVersion(target) == before[target] {
			t.Errorf("execution succeeded but AWSCURRENT did not move")
		}
		reliability.check(t, w, before)
	case x.Status() == asl.StatusFailed && strings.Contains(path, ">Rollback>"):
		outcome = "failed before Store, rolled back (" + x.Error() + ")"
		reliability.check(t, w, before, target)
	case x.Status() == asl.StatusFailed && strings.Contains(path, ">NotifyIncomplete>"):
		outcome = "failed after Store (" + x.Error() + ")"
		if w.CurrentVersion(target) == before[target] {
			t.Errorf("failed after Store but AWSCURRENT is the old version")
		}
		reliability.check(t, w, before)
	default:
		t.Errorf("execution ended %s %s (%s) via %s", x.Status(), x.Error(), x.Cause(), path)
		outcome = "unexpected " + string(x.Status())
	}
	// Every fault of the matrix is transient and hits at most twice: the
	// clients' and the definition's retries are there to ride it out.
	if x.Status() != asl.StatusSucceeded {
		t.Errorf("a transient fault hitting %d call(s) should be ridden out, but the execution ended %s %s", s.Times, x.Status(), x.Error())
		t.Logf("%s: %s %s: %s via %s", s, x.Status(), x.Error(), x.Cause(), path)
	}
	return outcome
}

// forEachParallel runs f for every item on n workers, each item as its own
// subtest. Most of a fault scenario is spent in the clients' real back-off
// sleeps, so running several at once costs little CPU; the workers call
// t.Run themselves so that -parallel (GOMAXPROCS by default) does not cap them.
func forEachParallel[T any](t *testing.T, n int, items []T, name func(T) string, f func(*testing.T, T)) {
	var wg sync.WaitGroup
	next := make(chan T)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				t.Run(name(it), func(t *testing.T) { f(t, it) })
			}
		}()
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
}

// The fault matrix: every (state, call) pair of a clean rotation of each
// target kind in each mode, crossed with every fault kind, armed at that
// state for one or two calls. Default: a deterministic sample covering every
// pair; DDROTATE_FAULTS=full runs every cell.
func TestFaultMatrix(t *testing.T) {
	pairs, scenarios := faultMatrix(t, fullMatrix())
	reliability.add(cPairs, len(pairs))
	t.Logf("%d (state, call) pairs, %d scenarios (full=%v)", len(pairs), len(scenarios), fullMatrix())
	var mu sync.Mutex
	outcomes := map[string]int{}
	forEachParallel(t, 8, scenarios, faultScenario.String, func(t *testing.T, s faultScenario) {
		o := runFaultScenario(t, s)
		reliability.outcome(o)
		mu.Lock()
		outcomes[o]++
		mu.Unlock()
	})
	t.Logf("outcomes: %v", outcomes)
}
