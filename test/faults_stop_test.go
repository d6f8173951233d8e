package test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"testing"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
	"github.com/ddrotate/ddrotate/statemachine"
)

// definitionStates lists the states of the rotate-target definition, read
// from the definition itself so that a new state is covered without a
// change here.
func definitionStates(t testing.TB) []string {
	t.Helper()
	var def struct {
		States map[string]json.RawMessage `json:"States"`
	}
	if err := json.Unmarshal(statemachine.RotateTargetDefinition, &def); err != nil {
		t.Fatalf("read the rotate-target definition: %v", err)
	}
	names := make([]string, 0, len(def.States))
	for n := range def.States {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// beforeStoreFailure and afterStoreFailure are the states only a failing
// rotation reaches; routeTo arms the failure that takes an execution there.
var (
	beforeStoreFailure = map[string]bool{"Rollback": true, "NotifyFailed": true, "RotationFailed": true}
	afterStoreFailure  = map[string]bool{"NotifyIncomplete": true, "RotationIncomplete": true}
	// holdStates are reached only when a consumer still uses the old key
	// after the grace period, and only in scheduled mode (compromise mode
	// never holds a key).
	holdStates = map[string]bool{"NotifyInUse": true, "MarkInUseNotified": true, "HoldOldKey": true}
)

func routeTo(w *world, state, target string) {
	switch {
	case beforeStoreFailure[state]:
		w.at("Store", func(*asl.Execution) error {
			w.AWS.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "UpdateSecretVersionStage", SecretID: localenv.SecretPrefix + target, Status: 400, ErrorCode: "AccessDeniedException", Times: 1})
			return nil
		})
	case afterStoreFailure[state]:
		w.at("DeleteOld", func(*asl.Execution) error {
			w.Datadog.AddFault(ddemu.Fault{Op: ddemu.DeleteAPIKey, Status: 403})
			return nil
		})
	case holdStates[state]:
		w.at("DeleteOld", func(*asl.Execution) error {
			// A consumer still on the old key when the grace period ends.
			return w.UseKey(context.Background(), target, "AWSPREVIOUS")
		})
	}
}

// An execution stopped (as by StopExecution) at any state of the definition
// leaves nothing that the next execution of the same target cannot clean up:
// the next one succeeds and every invariant holds. Each target kind, each
// mode; with the target's keys already managed (one clean rotation first),
// so that a key left behind would be seen by invariant 2.
func TestStoppedAtEachStateThenRecovered(t *testing.T) {
	states := definitionStates(t)
	if len(states) < 7 {
		t.Fatalf("the definition has %d states", len(states))
	}
	type scenario struct {
		state, target string
		mode          rotation.Mode
	}
	var scenarios []scenario
	for _, mode := range matrixModes {
		for _, target := range matrixTargets {
			for _, state := range states {
				if holdStates[state] && mode == rotation.ModeCompromise {
					continue
				}
				scenarios = append(scenarios, scenario{state, target, mode})
			}
		}
	}
	forEachParallel(t, 4, scenarios, func(s scenario) string { return string(s.mode) + "/" + s.target + "/" + s.state },
		func(t *testing.T, s scenario) {
			w := newWorld(t)
			wantStatus(t, w.rotate(t, s.target, s.mode), asl.StatusSucceeded)
			before := w.snapshot()
			routeTo(w, s.state, s.target)
			stopped := false
			w.at(s.state, func(*asl.Execution) error {
				stopped = true
				return errors.New("stopped by operator at " + s.state)
			})
			dead := w.rotate(t, s.target, s.mode)
			w.Datadog.ClearFaults()
			w.AWS.ClearFaults()
			if !stopped {
				t.Fatalf("the execution never entered %s (states %s)", s.state, statesVisited(dead))
			}
			wantStatus(t, dead, asl.StatusAborted)
			reliability.add(cStopScenarios, 1)
			reliability.add(cScenarios, 1)
			next := w.rotate(t, s.target, s.mode)
			wantStatus(t, next, asl.StatusSucceeded)
			if w.CurrentVersion(s.target) == before[s.target] {
				t.Errorf("the recovering execution did not rotate %s", s.target)
			}
			reliability.check(t, w, before)
		})
}
