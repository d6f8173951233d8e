package test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// Product bugs the reliability suite found and that are fixed, each as the
// scenario that showed it.

// DeleteOld fails after Store (RotationIncomplete: the old key stays as
// AWSPREVIOUS "until a retry or the next run deletes it"); the next
// scheduled run must delete it. It once took the label away and left the
// key alive for good (invariant 2).
func TestScheduledRunAfterIncompleteDeletesOldKey(t *testing.T) {
	w := newWorld(t)
	wantStatus(t, w.rotate(t, "payments", rotation.ModeScheduled), asl.StatusSucceeded) // keys now managed
	w.at("DeleteOld", func(*asl.Execution) error {
		w.Datadog.AddFault(ddemu.Fault{Op: ddemu.DeleteAPIKey, Status: 403})
		return nil
	})
	wantStatus(t, w.rotate(t, "payments", rotation.ModeScheduled), asl.StatusFailed)
	w.Datadog.ClearFaults()
	before := w.snapshot()
	wantStatus(t, w.rotate(t, "payments", rotation.ModeScheduled), asl.StatusSucceeded)
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before)
}

// A scheduled rotation whose CreateAPIKey is slower than the client's
// bound: the retry creates a twin; the slow create lands during the grace
// period (which the test waits for on the wall clock) and DeleteOld deletes
// it.
func TestScheduledLateCreateTwinIsDeleted(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	w.at("Create", func(*asl.Execution) error {
		w.Datadog.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Latency: 3 * time.Second, Times: 1})
		return nil
	})
	w.at("GracePeriod", func(*asl.Execution) error {
		if waitForFaultedCalls(w, 1, 4*time.Second) == 0 {
			t.Error("the slow create never landed")
		}
		return nil
	})
	wantStatus(t, w.rotate(t, "payments", rotation.ModeScheduled), asl.StatusSucceeded)
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before)
}

// A compromise rotation with an admin key that lacks api_keys_delete is
// refused before anything changes. It once moved AWSCURRENT and then could
// not revoke the leaked key, which stayed alive.
func TestCompromiseWithoutDeleteScopeIsRefusedUpFront(t *testing.T) {
	w := newWorld(t)
	putAdminWithScopes(t, w, []string{"api_keys_read", "api_keys_write", "org_app_keys_read", "org_app_keys_write", "service_account_write"})
	before := w.snapshot()
	x := w.rotate(t, "payments", rotation.ModeCompromise)
	wantStatus(t, x, asl.StatusFailed)
	if got := statesVisited(x); got != "Create>Rollback>NotifyFailed>RotationFailed" {
		t.Errorf("states %s, want a refusal in Create", got)
	}
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before, "payments")
}

// A compromise rotation's DeleteOld must spare the AWSPENDING key of a
// scheduled rotation that took the lock after the compromise's Store. It
// once revoked it; the scheduled run, already verified, then made the
// revoked key AWSCURRENT and both executions succeeded (invariant 1; for
// the admin target, a dead admin credential).
func TestCompromiseSparesPendingKeyOfNextRotation(t *testing.T) {
	for _, target := range matrixTargets {
		t.Run(target, func(t *testing.T) {
			w := newWorld(t)
			before := w.snapshot()
			var sched *asl.Execution
			atStore := make(chan struct{})
			compDone := make(chan struct{})
			w.at("DeleteOld", func(*asl.Execution) error { // the compromise, after its Store
				var err error
				if sched, err = w.StartRotation(context.Background(), target, rotation.ModeScheduled); err != nil {
					t.Error(err)
					return nil
				}
				w.at("Store", func(*asl.Execution) error { // the scheduled run, verified
					close(atStore)
					<-compDone
					return nil
				})
				schedEnded := make(chan struct{})
				go func() { _ = sched.Wait(context.Background()); close(schedEnded) }()
				select {
				case <-atStore:
				case <-schedEnded:
				}
				return nil
			})
			comp := w.rotate(t, target, rotation.ModeCompromise)
			close(compDone)
			if sched == nil {
				t.Fatal("the scheduled run did not start")
			}
			bothRotated(t, w, target, comp, sched, before)
		})
	}
}

// The same, with the scheduled rotation's key created while the
// compromise's DeleteOld runs: DeleteOld is slowed in its listing of the
// target's API keys; meanwhile a scheduled rotation creates and verifies its
// key, and waits at Store until the compromise is over. DeleteOld once read
// the keys to spare before listing, and revoked this one (the scheduled run
// then made it AWSCURRENT: invariant 1).
func TestCompromiseSparesKeyCreatedDuringItsDeleteOld(t *testing.T) {
	for _, target := range matrixTargets {
		t.Run(target, func(t *testing.T) {
			w := newWorld(t)
			before := w.snapshot()
			var sched *asl.Execution
			started := make(chan struct{})
			compDone := make(chan struct{})
			w.at("DeleteOld", func(*asl.Execution) error { // the compromise, after its Store
				w.Datadog.AddFault(ddemu.Fault{Op: ddemu.ListAPIKeys, Latency: 1500 * time.Millisecond, Times: 1})
				go func() {
					defer close(started)
					time.Sleep(300 * time.Millisecond) // DeleteOld is now waiting for its list
					w.at("Store", func(*asl.Execution) error {
						<-compDone
						return nil
					})
					var err error
					if sched, err = w.StartRotation(context.Background(), target, rotation.ModeScheduled); err != nil {
						t.Error(err)
					}
				}()
				return nil
			})
			comp := w.rotate(t, target, rotation.ModeCompromise)
			close(compDone)
			<-started
			if sched == nil {
				t.Fatal("the scheduled run did not start")
			}
			bothRotated(t, w, target, comp, sched, before)
		})
	}
}

// A compromise rotation whose Datadog create answered after the client gave
// up (so Create's retry made the key again) can see the late key land after
// it ended; the target's next rotation deletes that twin, which bears the old
// credential's key name.
func TestLateCreateTwinIsDeletedByTheNextRotation(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	w.at("Create", func(*asl.Execution) error {
		w.Datadog.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Latency: 3 * time.Second, Times: 1})
		return nil
	})
	wantStatus(t, w.rotate(t, "payments", rotation.ModeCompromise), asl.StatusSucceeded)
	if waitForFaultedCalls(w, 1, 4*time.Second) != 1 {
		t.Fatal("the slow create never landed")
	}
	if len(w.CheckInvariants(context.Background())) == 0 {
		t.Fatal("the late create should have left a twin behind (the scenario is not testing anything)")
	}
	wantStatus(t, w.rotate(t, "payments", rotation.ModeScheduled), asl.StatusSucceeded)
	w.checkAll(t, before)
}

// bothRotated waits for the scheduled run and checks that the compromise and
// it both succeeded, that the compromise spared the scheduled run's key, and
// the invariants.
func bothRotated(t *testing.T, w *world, target string, comp, sched *asl.Execution, before snapshot) {
	t.Helper()
	_ = sched.Wait(context.Background())
	wantStatus(t, comp, asl.StatusSucceeded)
	wantStatus(t, sched, asl.StatusSucceeded)
	if revokedPendingOf(w, target, comp, sched) {
		t.Error("the compromise revoked the scheduled rotation's new key")
	}
	reliability.add(cRaces, 1)
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before)
}

// A compromise rotation's DeleteOld must spare the keys of a version that
// another rotation has written but not yet locked (labelled DDROTATE_STAGED,
// between Create's PutSecretValue and its UpdateSecretVersionStage): that
// rotation read the secret after the compromise's Store, so its keys were
// never exposed, and it may lock, verify and store them a moment later. The
// compromise once revoked every labelled version's keys, staged ones
// included; the other rotation then made a revoked key AWSCURRENT
// (invariant 1), seen as a rare failure of the scheduled-and-compromise race.
func TestCompromiseSparesStagedKeyOfNextRotation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var staged ddemu.APIKey
	w.at("DeleteOld", func(*asl.Execution) error { // the compromise, after its Store
		next := "arn:aws:states:us-east-1:000000000000:execution:ddrotate-rotate-target:next"
		staged = w.Datadog.AddAPIKey(rotation.KeyName("payments", next))
		value := `{"apiKey":"` + staged.Key + `","apiKeyId":"` + staged.ID + `","site":"datadoghq.com"}`
		if _, err := w.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId:           aws.String(localenv.SecretPrefix + "payments"),
			ClientRequestToken: aws.String(rotation.VersionToken("payments", next)),
			SecretString:       aws.String(value),
			VersionStages:      []string{"DDROTATE_STAGED"},
		}); err != nil {
			t.Errorf("stage the next rotation's version: %v", err)
		}
		return nil
	})
	wantStatus(t, w.rotate(t, "payments", rotation.ModeCompromise), asl.StatusSucceeded)
	if staged.ID == "" {
		t.Fatal("the compromise never reached DeleteOld")
	}
	if !w.KeyExists(staged.ID) {
		t.Fatal("the compromise revoked the key of a version another rotation had staged after its Store")
	}
	reliability.add(cRaces, 1)
	reliability.add(cScenarios, 1)
}

// A team rotation whose admin credential is replaced while its Create runs
// (an admin compromise rotation revokes the pair Create read) retries with
// the new admin credential instead of failing: its Datadog calls answer 403
// once the old pair is revoked. It once failed with DatadogError, leaving
// the team's rotation undone, seen as a rare failure of the admin race.
func TestCreateRetriesWhenTheAdminCredentialIsReplacedMeanwhile(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	var admin *asl.Execution
	adminDone := make(chan struct{})
	w.at("Create", func(*asl.Execution) error { // the payments rotation
		// Its first Datadog call (the admin scope check) is slow; meanwhile
		// the admin credential is rotated and its old pair revoked.
		w.Datadog.AddFault(ddemu.Fault{Op: ddemu.GetServiceAccountAppKey, Latency: 1500 * time.Millisecond, Times: 1})
		go func() {
			defer close(adminDone)
			time.Sleep(200 * time.Millisecond)
			x, err := w.Rotate(context.Background(), "admin", rotation.ModeCompromise)
			if err != nil {
				t.Error(err)
			}
			admin = x
		}()
		return nil
	})
	team := w.rotate(t, "payments", rotation.ModeCompromise)
	<-adminDone
	if admin == nil {
		t.Fatal("the admin rotation did not run")
	}
	wantStatus(t, admin, asl.StatusSucceeded)
	wantStatus(t, team, asl.StatusSucceeded)
	reliability.add(cRaces, 1)
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before)
}
