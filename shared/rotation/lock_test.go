package rotation_test

import (
	"strings"
	"sync"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// TestLockRefusesSecondExecution: while execution A holds AWSPENDING and
// runs, B's Create changes nothing and names A; B's Rollback leaves A's
// lock and keys alone, and A goes on to finish.
func TestLockRefusesSecondExecution(t *testing.T) {
	for _, name := range []string{payments, analytics, adminTarget} {
		for _, status := range []sfntypes.ExecutionStatus{sfntypes.ExecutionStatusRunning, sfntypes.ExecutionStatusPendingRedrive} {
			t.Run(name+"/"+string(status), func(t *testing.T) {
				f := newFixture(t)
				a := f.newExecution()
				recA := f.mustCreate(a, input(name, rotation.ModeScheduled))
				f.execs.set(a, status)
				before := f.snapshot()

				b := f.newExecution()
				inB := input(name, rotation.ModeCompromise)
				_, err := f.create(b, inB, 0)
				wantErrorName(t, err, "RotationInProgressError")
				if e := wantErrorAs[*rotation.RotationInProgressError](t, err); e.HolderExecution != a || e.Target != name {
					t.Errorf("error %+v, want target %s held by %s", e, name, a)
				}
				f.requireUnchanged(before)

				res, err := f.rollback(b, inB)
				if err != nil {
					t.Fatalf("B's Rollback: %v", err)
				}
				if len(res.Deleted) != 0 {
					t.Errorf("B's Rollback deleted %v", res.Deleted)
				}
				f.requireUnchanged(before)

				f.execs.set(a, sfntypes.ExecutionStatusRunning)
				if err := f.verify(recA); err != nil {
					t.Fatalf("A's Verify: %v", err)
				}
				if err := f.store(recA); err != nil {
					t.Fatalf("A's Store: %v", err)
				}
				f.requireCurrentWorks(name)
			})
		}
	}
}

// TestStaleLockIsReleased: an execution that stopped without rolling back
// (failed, aborted, timed out, or gone from Step Functions) leaves its
// AWSPENDING and keys behind; the next Create deletes them, releases the
// lock and goes on.
func TestStaleLockIsReleased(t *testing.T) {
	statuses := []sfntypes.ExecutionStatus{
		sfntypes.ExecutionStatusFailed, sfntypes.ExecutionStatusAborted,
		sfntypes.ExecutionStatusTimedOut, sfntypes.ExecutionStatusSucceeded, "unknown",
	}
	for _, name := range []string{payments, analytics, adminTarget} {
		for _, status := range statuses {
			t.Run(name+"/"+string(status), func(t *testing.T) {
				f := newFixture(t)
				before := f.snapshot()
				initialVersion := f.labels(name)["AWSCURRENT"]
				a := f.newExecution()
				recA := f.mustCreate(a, input(name, rotation.ModeScheduled))
				if status == "unknown" {
					f.execs.mu.Lock()
					delete(f.execs.status, a) // ExecutionDoesNotExist
					f.execs.mu.Unlock()
				} else {
					f.execs.set(a, status)
				}

				b := f.newExecution()
				recB, err := f.create(b, input(name, rotation.ModeCompromise), 0)
				if err != nil {
					t.Fatalf("B's Create: %v", err)
				}
				f.wantKeys(before, nil, nil, recB.New) // A's keys are gone
				labels := f.labels(name)
				if labels["AWSPENDING"] != recB.PendingVersionID || labels["AWSCURRENT"] != initialVersion {
					t.Errorf("labels %v, want AWSPENDING on B's %s and AWSCURRENT still on %s", labels, recB.PendingVersionID, initialVersion)
				}
				if len(f.apiKeysNamed(recA.KeyName))+len(f.appKeysNamed(recA.KeyName)) != 0 {
					t.Errorf("A's keys named %s survived", recA.KeyName)
				}
				if !strings.Contains(f.logs.String(), "released a stale AWSPENDING") {
					t.Errorf("releasing A's lock was not logged")
				}
				f.requireCurrentWorks(name)
				if err := f.verify(recB); err != nil {
					t.Fatalf("B's Verify: %v", err)
				}
				if err := f.store(recB); err != nil {
					t.Fatalf("B's Store: %v", err)
				}
				f.requireCurrentWorks(name)
			})
		}
	}
}

// raceResult is how a race of two Creates for one target ended.
type raceResult struct {
	winner, loser string // execution ids
	rec           rotation.Record
	err           error // the loser's
}

// loseRaceForLock makes a Create lose the lock deterministically: the
// loser is held inside its CreateAPIKey call (after it saw no AWSPENDING),
// the winner's Create runs to the end, then the loser goes on.
func (f *fixture) loseRaceForLock(name string) (raceResult, error) {
	f.t.Helper()
	r := raceResult{loser: f.newExecution(), winner: f.newExecution()}
	arrived, release := f.holdDatadog(ddemu.CreateAPIKey)
	defer release()
	done := make(chan error, 1)
	go func() {
		_, err := f.create(r.loser, input(name, rotation.ModeScheduled), 0)
		done <- err
	}()
	select {
	case <-arrived:
	case err := <-done:
		f.t.Fatalf("the loser's Create ended before it made a key: %v", err)
	}
	r.rec = f.mustCreate(r.winner, input(name, rotation.ModeScheduled))
	release()
	r.err = <-done
	return r, r.err
}

// TestLoserOfRaceDeletesItsKeys: a Create that made its keys and then
// finds AWSPENDING taken deletes them and says so by its error's name.
func TestLoserOfRaceDeletesItsKeys(t *testing.T) {
	for _, name := range []string{payments, analytics, adminTarget} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			before := f.snapshot()
			r, err := f.loseRaceForLock(name)
			wantErrorName(t, err, "RotationInProgressError")
			if e := wantErrorAs[*rotation.RotationInProgressError](t, err); e.HolderExecution != r.winner {
				t.Errorf("the loser names %s as the holder, want the winner %s", e.HolderExecution, r.winner)
			}
			f.checkRaceOutcome(before, name, r)
		})
	}
}

// TestConcurrentCreates races two Creates of one target, both first
// attempts of running executions: exactly one takes the lock; the other
// fails with RotationInProgressError and leaves no key behind.
func TestConcurrentCreates(t *testing.T) {
	for i := range 20 {
		name := []string{payments, analytics}[i%2]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			before := f.snapshot()
			execs := [2]string{f.newExecution(), f.newExecution()}
			var recs [2]rotation.Record
			var errs [2]error
			var wg sync.WaitGroup
			for j := range execs {
				wg.Go(func() {
					recs[j], errs[j] = f.create(execs[j], input(name, rotation.ModeScheduled), 0)
				})
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("want exactly one winner, got errors %v and %v", errs[0], errs[1])
			}
			w := 0
			if errs[0] != nil {
				w = 1
			}
			r := raceResult{winner: execs[w], loser: execs[1-w], rec: recs[w], err: errs[1-w]}
			wantErrorName(t, r.err, "RotationInProgressError")
			f.checkRaceOutcome(before, name, r)
		})
	}
}

// checkRaceOutcome: the winner holds the lock with its keys, the loser has
// no key left, and the loser's Rollback changes nothing.
func (f *fixture) checkRaceOutcome(before state, name string, r raceResult) {
	f.t.Helper()
	f.wantKeys(before, nil, nil, r.rec.New)
	loserName := rotation.KeyName(name, r.loser)
	if n := len(f.apiKeysNamed(loserName)) + len(f.appKeysNamed(loserName)); n != 0 {
		f.t.Errorf("the loser left %d keys named %s", n, loserName)
	}
	if got := f.labels(name)["AWSPENDING"]; got != r.rec.PendingVersionID {
		f.t.Errorf("AWSPENDING on %q, want the winner's %s", got, r.rec.PendingVersionID)
	}
	settled := f.snapshot()
	if _, err := f.rollback(r.loser, input(name, rotation.ModeScheduled)); err != nil {
		f.t.Fatalf("the loser's Rollback: %v", err)
	}
	f.requireUnchanged(settled)
	if err := f.verify(r.rec); err != nil {
		f.t.Fatalf("the winner's Verify: %v", err)
	}
	if err := f.store(r.rec); err != nil {
		f.t.Fatalf("the winner's Store: %v", err)
	}
	f.requireCurrentWorks(name)
}
