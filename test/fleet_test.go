package test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

func withFleet(maxConcurrency int, toleratedFailurePercentage float64) worldOption {
	return func(o *localenv.Options) {
		o.Fleet = &deploy.FleetFile{MaxConcurrency: maxConcurrency, ToleratedFailurePercentage: &toleratedFailurePercentage}
	}
}

// addFleet adds n api-key targets named prefix-NN to the world.
func addFleet(t *testing.T, w *world, prefix string, n int) []string {
	t.Helper()
	var names []string
	for i := range n {
		name := fmt.Sprintf("%s-%02d", prefix, i)
		if _, err := w.AddTarget(context.Background(), localenv.TargetSpec{Name: name, Kind: deploy.KindAPIKey}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

// failCreate makes each target's rotation fail in Create, before anything
// changes: Secrets Manager refuses to store the new version. Rollback then
// deletes the key Create made, so every invariant still holds.
func failCreate(w *world, targets ...string) {
	for _, target := range targets {
		w.AWS.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "PutSecretValue", SecretID: localenv.SecretPrefix + target, Status: 400, ErrorCode: "AccessDeniedException"})
	}
}

// fleetMapRun returns the one Map Run of a fleet execution.
func fleetMapRun(t *testing.T, w *world, fleet *asl.Execution) *asl.MapRun {
	t.Helper()
	var runs []*asl.MapRun
	for _, run := range w.Engine.MapRuns() {
		if run.Execution() == fleet {
			runs = append(runs, run)
		}
	}
	if len(runs) != 1 {
		t.Fatalf("the fleet execution has %d Map Runs, want 1", len(runs))
	}
	return runs[0]
}

// A scheduled fleet run finds every target by the deployment's tag and
// rotates each in a child workflow execution of its Distributed Map, at
// most maxConcurrency at a time. Failing targets, fewer than the tolerated
// percentage, roll back and notify their teams while the others rotate;
// the run then fails so that the alarm fires. The fleet's own history and
// state hold counts, not the targets' results; every invariant holds.
func TestDistributedFleetRunWithFailingTargets(t *testing.T) {
	w := newWorld(t, withFleet(4, 25))
	fleetTargets := addFleet(t, w, "team", 20)
	failing := []string{"team-03", "team-07", "team-11", "team-19"}
	before := w.snapshot()
	failCreate(w, failing...)

	x, err := w.RotateFleet(context.Background(), rotation.ModeScheduled)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, x, asl.StatusFailed)
	if x.Error() != "FleetRotationFailed" {
		t.Errorf("fleet error %q, want FleetRotationFailed", x.Error())
	}
	w.AWS.ClearFaults()

	all := w.TargetNames() // admin, the three standard teams and the 20 added
	run := fleetMapRun(t, w, x)
	if got := run.Counts(); got != (asl.MapRunCounts{Succeeded: len(all) - len(failing), Failed: len(failing), Total: len(all)}) {
		t.Errorf("Map Run counts %+v", got)
	}
	if run.MaxConcurrency() != 4 {
		t.Errorf("Map Run concurrency %d, want the config's 4", run.MaxConcurrency())
	}
	if p, ok := run.ToleratedFailurePercentage(); !ok || p != 25 {
		t.Errorf("Map Run tolerates %v%%, want the config's 25", p)
	}
	for _, name := range all {
		failed := slices.Contains(failing, name)
		if rotated := w.CurrentVersion(name) != before[name]; rotated == failed {
			t.Errorf("target %s: rotated %v, want %v", name, rotated, !failed)
		}
		if failed {
			if got := w.events(name); !slices.Equal(got, []string{"rotation-failed"}) {
				t.Errorf("%s received %v, want [rotation-failed]", name, got)
			}
		}
	}
	// Each target ran in a child workflow execution of its own; the fleet's
	// history holds the Map Run, not the targets.
	if n := len(x.History()); n > 30 {
		t.Errorf("the fleet's history has %d events for %d targets", n, len(all))
	}
	if len(run.Children()) != len(all) {
		t.Errorf("%d child workflow executions for %d targets", len(run.Children()), len(all))
	}
	for _, child := range run.Children() {
		if n := len(child.History()); n >= asl.HistoryLimit/100 {
			t.Errorf("child %s has %d history events", child.Name(), n)
		}
	}
	if x.MaxPayloadBytes() > asl.PayloadLimit/10 {
		t.Errorf("the fleet's largest payload has %d bytes", x.MaxPayloadBytes())
	}
	if len(fleetTargets) != 20 {
		t.Fatal(fleetTargets)
	}
	w.checkAll(t, before, failing...)
}

// Once more targets fail than the config tolerates, the Map Run fails with
// States.ExceedToleratedFailureThreshold: the targets still rotating are
// stopped (their rotate-target executions with them) and the rest never
// start. The next fleet run, with the failures gone, recovers every one of
// them, and every invariant holds.
func TestDistributedFleetRunStopsBeyondTheToleratedFailures(t *testing.T) {
	w := newWorld(t, withFleet(2, 10))
	// The fleet runs the admin first, then the others in name order: the
	// failing targets come early, so that the run stops with most of the
	// fleet not yet started.
	failing := addFleet(t, w, "aa-broken", 3)
	addFleet(t, w, "zz-team", 12)
	before := w.snapshot()
	failCreate(w, failing...)

	x, err := w.RotateFleet(context.Background(), rotation.ModeScheduled)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, x, asl.StatusFailed)
	if x.Error() != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("fleet error %q (%s), want States.ExceedToleratedFailureThreshold", x.Error(), x.Cause())
	}
	w.AWS.ClearFaults()
	run := fleetMapRun(t, w, x)
	counts := run.Counts()
	if counts.Failed < 2 || counts.Pending == 0 || counts.Total != len(w.TargetNames()) {
		t.Errorf("Map Run counts %+v: want the run stopped at the second failure of %d targets (10%% tolerated), with some never started", counts, counts.Total)
	}
	for _, name := range w.TargetNames() {
		if slices.Contains(failing, name) && w.CurrentVersion(name) != before[name] {
			t.Errorf("invariant 5: failing target %s was rotated", name)
		}
	}

	// The next run finds everything where the stopped run left it and
	// rotates the whole fleet.
	recovered := w.snapshot()
	next, err := w.RotateFleet(context.Background(), rotation.ModeScheduled)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, next, asl.StatusSucceeded)
	for _, name := range w.TargetNames() {
		if w.CurrentVersion(name) == recovered[name] {
			t.Errorf("target %s was not rotated by the next run", name)
		}
	}
	w.checkAll(t, before)
}
