package test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

const happyPath = "Create>Verify>Store>NotifyRotated>GracePeriod>DeleteOld>OldKeyStillInUse>NotifyRevoked"

// Every target kind in both modes takes the whole happy path; afterwards the
// new key is current and works, the old one is gone, and the team heard
// about both.
func TestRotationSucceedsPerKindAndMode(t *testing.T) {
	for _, mode := range []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise} {
		for _, target := range []string{"payments", "analytics", localenv.AdminTarget} {
			t.Run(string(mode)+"/"+target, func(t *testing.T) {
				w := newWorld(t)
				before := w.snapshot()
				old, _ := w.CurrentKeys(target)
				x := w.rotate(t, target, mode)
				wantStatus(t, x, asl.StatusSucceeded)
				if got := statesVisited(x); got != happyPath {
					t.Errorf("states: %s, want %s", got, happyPath)
				}
				now, _ := w.CurrentKeys(target)
				if now.APIKeyID == old.APIKeyID || w.KeyExists(old.APIKeyID) {
					t.Errorf("old API key %s should be replaced and deleted", old.APIKeyID)
				}
				if old.AppKeyID != "" && (now.AppKeyID == old.AppKeyID || w.KeyExists(old.AppKeyID)) {
					t.Errorf("old application key %s should be replaced and deleted", old.AppKeyID)
				}
				if target != localenv.AdminTarget {
					if got, want := w.events(target), []string{"rotated", "old-key-revoked"}; !slices.Equal(got, want) {
						t.Errorf("team %s received %v, want %v", target, got, want)
					}
				}
				w.checkAll(t, before)
			})
		}
	}
}

// The new application key inherits the old one's scopes.
func TestAppKeyInheritsScopes(t *testing.T) {
	w := newWorld(t)
	wantStatus(t, w.rotate(t, "analytics", rotation.ModeScheduled), asl.StatusSucceeded)
	now, _ := w.CurrentKeys("analytics")
	for _, k := range w.Datadog.AppKeys() {
		if k.ID == now.AppKeyID {
			if want := []string{"dashboards_read", "metrics_read"}; !slices.Equal(k.Scopes, want) {
				t.Fatalf("new application key scopes %v, want %v", k.Scopes, want)
			}
			return
		}
	}
	t.Fatalf("new application key %s not found", now.AppKeyID)
}

// The scheduled grace period is waited out on the executor's clock: the
// target's own override, or the deployment's default.
func TestGracePeriodPerTarget(t *testing.T) {
	w := newWorld(t)
	for target, want := range map[string]float64{"checkout": 60, "payments": 86400} {
		x := w.rotate(t, target, rotation.ModeScheduled)
		wantStatus(t, x, asl.StatusSucceeded)
		var entered, exited float64
		for _, ev := range x.History() {
			if ev.State == "GracePeriod" && ev.Type == "WaitStateEntered" {
				entered = float64(ev.Time.Unix())
			}
			if ev.State == "GracePeriod" && ev.Type == "WaitStateExited" {
				exited = float64(ev.Time.Unix())
			}
		}
		if got := exited - entered; got != want {
			t.Errorf("%s: grace period lasted %vs, want %vs", target, got, want)
		}
	}
}

// A fleet run rotates every target, each in its own execution.
func TestFleetRotation(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	x, err := w.RotateFleet(context.Background(), rotation.ModeScheduled)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, x, asl.StatusSucceeded)
	for _, name := range w.TargetNames() {
		if w.CurrentVersion(name) == before[name] {
			t.Errorf("target %s was not rotated", name)
		}
	}
	w.checkAll(t, before)
}

// One target failing does not stop the others; the fleet run fails so the
// alarm fires, and the failed target's key is untouched.
func TestFleetRotationWithAFailingTarget(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	broken, _ := w.CurrentKeys("payments")
	w.Datadog.RevokeAPIKey(broken.APIKeyID) // scheduled mode refuses a key that no longer works
	x, err := w.RotateFleet(context.Background(), rotation.ModeScheduled)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, x, asl.StatusFailed)
	if x.Error() != "FleetRotationFailed" {
		t.Errorf("fleet error %q, want FleetRotationFailed", x.Error())
	}
	for _, name := range []string{"admin", "analytics", "checkout"} {
		if w.CurrentVersion(name) == before[name] {
			t.Errorf("target %s was not rotated", name)
		}
	}
	if got := w.events("payments"); !slices.Equal(got, []string{"rotation-failed"}) {
		t.Errorf("payments received %v, want [rotation-failed]", got)
	}
	// Invariant 1 cannot hold for payments, whose key was revoked by hand;
	// everything else must.
	for _, v := range w.CheckInvariants(context.Background()) {
		if !strings.Contains(v, "target payments: AWSCURRENT API key") {
			t.Error(v)
		}
	}
	if w.CurrentVersion("payments") != before["payments"] {
		t.Error("invariant 5: payments' AWSCURRENT moved")
	}
}

// Each Catch: a failure before Store rolls back and leaves AWSCURRENT as it
// was; a failure after Store leaves the new key current.
func TestCatchPaths(t *testing.T) {
	cases := []struct {
		name       string
		mode       rotation.Mode
		arm        func(w *world)
		wantError  string
		wantPath   string
		afterStore bool
	}{
		{
			name:      "create fails: org at its API key cap",
			arm:       func(w *world) { w.Datadog.SetMaxAPIKeys(len(w.Datadog.APIKeys())) },
			wantError: "DatadogError",
			wantPath:  "Create>Rollback>NotifyFailed>RotationFailed",
		},
		{
			name:      "verify never validates",
			mode:      rotation.ModeCompromise, // scheduled mode would first validate the current key
			arm:       func(w *world) { w.Datadog.AddFault(ddemu.Fault{Op: ddemu.ValidateAPIKey, Status: 403}) },
			wantError: "KeyNotYetValidError",
			wantPath:  "Create>Verify>Rollback>NotifyFailed>RotationFailed",
		},
		{
			name: "store is denied",
			arm: func(w *world) {
				w.at("Store", func(*asl.Execution) error {
					w.AWS.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "UpdateSecretVersionStage", SecretID: localenv.SecretPrefix + "payments", Status: 400, ErrorCode: "AccessDeniedException", Times: 1})
					return nil
				})
			},
			wantError: "AWSError",
			wantPath:  "Create>Verify>Store>Rollback>NotifyFailed>RotationFailed",
		},
		{
			name:       "delete-old fails after store",
			arm:        func(w *world) { w.Datadog.AddFault(ddemu.Fault{Op: ddemu.DeleteAPIKey, Status: 403}) },
			wantError:  "DatadogError",
			wantPath:   "Create>Verify>Store>NotifyRotated>GracePeriod>DeleteOld>NotifyIncomplete>RotationIncomplete",
			afterStore: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			before := w.snapshot()
			tc.arm(w)
			mode := tc.mode
			if mode == "" {
				mode = rotation.ModeScheduled
			}
			x := w.rotate(t, "payments", mode)
			w.Datadog.ClearFaults()
			w.AWS.ClearFaults()
			wantStatus(t, x, asl.StatusFailed)
			if !slices.Contains(strings.Split(tc.wantError, "|"), x.Error()) {
				t.Errorf("error %q, want %s (cause %q)", x.Error(), tc.wantError, x.Cause())
			}
			if tc.wantPath != "" {
				if got := statesVisited(x); got != tc.wantPath {
					t.Errorf("states %s, want %s", got, tc.wantPath)
				}
			}
			if got := w.events("payments"); len(got) == 0 || got[len(got)-1] != "rotation-failed" {
				t.Errorf("team heard %v, want a final rotation-failed", got)
			}
			var msg rotation.Message
			inbox := w.AWS.Inbox(w.Targets["payments"].SubscriptionARN)
			if err := json.Unmarshal([]byte(inbox[len(inbox)-1].Message), &msg); err != nil {
				t.Fatal(err)
			}
			if msg.ErrorName != x.Error() || msg.CurrentKeyUnchanged == nil || *msg.CurrentKeyUnchanged == tc.afterStore {
				t.Errorf("rotation-failed message: error %q, currentKeyUnchanged %v", msg.ErrorName, msg.CurrentKeyUnchanged)
			}
			if tc.afterStore {
				if w.CurrentVersion("payments") == before["payments"] {
					t.Error("after a failure after Store, the new key should be current")
				}
				w.checkAll(t, before)
				return
			}
			w.checkAll(t, before, "payments")
		})
	}
}

// Transient failures are retried by the definition and the rotation succeeds.
func TestRetryPaths(t *testing.T) {
	cases := map[string]func(w *world){
		"Datadog 500 on create": func(w *world) { w.Datadog.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Status: 500, Times: 1}) },
		"create's answer lost": func(w *world) {
			w.Datadog.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Status: 502, AfterEffect: true, Times: 1})
		},
		"new key not valid yet (twice)": func(w *world) {
			w.at("Verify", func(*asl.Execution) error {
				w.Datadog.AddFault(ddemu.Fault{Op: ddemu.ValidateKeys, Status: 403, Times: 2})
				return nil
			})
		},
		"Secrets Manager throttles a write": func(w *world) {
			w.AWS.AddFault(awsemu.Fault{Action: "PutSecretValue", Status: 400, ErrorCode: "ThrottlingException", Times: 4})
		},
		"lock's answer lost": func(w *world) {
			w.AWS.AddFault(awsemu.Fault{Action: "UpdateSecretVersionStage", Status: 500, ErrorCode: "InternalServiceError", AfterEffect: true, Times: 1})
		},
		"store's answer lost": func(w *world) {
			w.at("Store", func(*asl.Execution) error {
				w.AWS.AddFault(awsemu.Fault{Action: "UpdateSecretVersionStage", Status: 500, ErrorCode: "InternalServiceError", AfterEffect: true, Times: 1})
				return nil
			})
		},
	}
	for name, arm := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			before := w.snapshot()
			arm(w)
			x := w.rotate(t, "analytics", rotation.ModeScheduled)
			wantStatus(t, x, asl.StatusSucceeded)
			w.checkAll(t, before)
		})
	}
}

// Two executions for one target started together: exactly one rotates, the
// other fails cleanly with RotationInProgressError and changes nothing. A
// barrier makes both enter Create at the same moment, and the winner waits at
// Store until the loser has finished, so the race is real on every run.
func TestConcurrentExecutionsOfOneTarget(t *testing.T) {
	for i := range 5 {
		w := newWorld(t)
		before := w.snapshot()
		var (
			mu      sync.Mutex
			arrived = make(chan struct{})
			count   int
			runs    []*asl.Execution
		)
		w.every("Create", func(*asl.Execution) error {
			mu.Lock()
			count++
			if count == 2 {
				close(arrived)
			}
			mu.Unlock()
			<-arrived
			return nil
		})
		w.every("Store", func(winner *asl.Execution) error {
			mu.Lock()
			others := slices.Clone(runs)
			mu.Unlock()
			for _, x := range others {
				if x != winner {
					_ = x.Wait(context.Background())
				}
			}
			return nil
		})
		for range 2 {
			x, err := w.StartRotation(context.Background(), "analytics", rotation.ModeScheduled)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			runs = append(runs, x)
			mu.Unlock()
		}
		var ok, refused int
		for _, x := range runs {
			_ = x.Wait(context.Background())
			switch {
			case x.Status() == asl.StatusSucceeded:
				ok++
			case x.Error() == "RotationInProgressError":
				refused++
			default:
				t.Errorf("run %d: execution ended %s %s: %s", i, x.Status(), x.Error(), x.Cause())
			}
		}
		if ok != 1 || refused != 1 {
			t.Errorf("run %d: %d succeeded and %d refused, want 1 and 1", i, ok, refused)
		}
		w.checkAll(t, before)
	}
}

// An execution stopped while holding the lock leaves AWSPENDING behind; the
// next execution recovers it, deleting the dead one's keys.
func TestStaleLockIsRecovered(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	w.at("Verify", func(*asl.Execution) error { return errors.New("stopped by operator") })
	dead := w.rotate(t, "analytics", rotation.ModeScheduled)
	wantStatus(t, dead, asl.StatusAborted)
	if len(w.CheckInvariants(context.Background())) == 0 {
		t.Fatal("a stopped execution should leave its lock and keys behind (the scenario is not testing anything)")
	}
	next := w.rotate(t, "analytics", rotation.ModeScheduled)
	wantStatus(t, next, asl.StatusSucceeded)
	w.checkAll(t, before)
}

// Bad execution input fails with a named InputError, and changes nothing.
func TestBadExecutionInput(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	keysBefore := len(w.Datadog.APIKeys()) + len(w.Datadog.AppKeys())
	for _, input := range []string{
		`{"target":"nobody"}`, `{"target":"payments","mode":"yearly"}`, `{"target":"payments","extra":1}`,
		`{"target":7}`, `{}`, `{"target":"Payments!"}`,
	} {
		x, err := w.StartRaw(context.Background(), []byte(input))
		if err != nil {
			t.Fatal(err)
		}
		_ = x.Wait(context.Background())
		wantStatus(t, x, asl.StatusFailed)
		if x.Error() != "InputError" || !strings.Contains(x.Cause(), "field") {
			t.Errorf("input %s: error %q cause %q, want an InputError naming the field", input, x.Error(), x.Cause())
		}
	}
	if got := len(w.Datadog.APIKeys()) + len(w.Datadog.AppKeys()); got != keysBefore {
		t.Errorf("bad input changed the Datadog keys: %d → %d", keysBefore, got)
	}
	w.checkAll(t, before, "payments", "analytics", "checkout", "admin")
}

// A secret that still holds the CDK stack's placeholder fails with a
// SecretError that says what to do, and nothing is created.
func TestUninitializedSecret(t *testing.T) {
	w := newWorld(t)
	_, err := w.Secrets.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(localenv.SecretPrefix + "payments"),
		SecretString: aws.String(`{"uninitialized":"put the first credential with aws secretsmanager put-secret-value","placeholder":"x"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := len(w.Datadog.AllKeyValues())
	x := w.rotate(t, "payments", rotation.ModeScheduled)
	wantStatus(t, x, asl.StatusFailed)
	if x.Error() != "SecretError" || !strings.Contains(x.Cause(), "put the first credential") {
		t.Errorf("error %q cause %q, want a SecretError asking for the first credential", x.Error(), x.Cause())
	}
	if got := len(w.Datadog.AllKeyValues()); got != keys {
		t.Errorf("%d keys were created", got-keys)
	}
}

// A new API+application key pair that Datadog will not authorise together
// (validate_keys answers 403, however long Verify waits) is never stored:
// the execution rolls back, AWSCURRENT stays as it was, and the team is
// told. Each mode, since compromise mode skips the check of the current key.
func TestPairThatDoesNotValidateIsRefused(t *testing.T) {
	for _, mode := range []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise} {
		t.Run(string(mode), func(t *testing.T) {
			w := newWorld(t)
			before := w.snapshot()
			keysBefore := keyIDs(w)
			w.at("Verify", func(*asl.Execution) error {
				w.Datadog.AddFault(ddemu.Fault{Op: ddemu.ValidateKeys, Status: 403})
				return nil
			})
			x := w.rotate(t, "analytics", mode)
			w.Datadog.ClearFaults()
			wantStatus(t, x, asl.StatusFailed)
			if x.Error() != "KeyNotYetValidError" {
				t.Errorf("error %q, want KeyNotYetValidError (cause %q)", x.Error(), x.Cause())
			}
			if got, want := statesVisited(x), "Create>Verify>Rollback>NotifyFailed>RotationFailed"; got != want {
				t.Errorf("states %s, want %s", got, want)
			}
			if got := keyIDs(w); !slices.Equal(got, keysBefore) {
				t.Errorf("the Datadog keys changed: %v → %v", keysBefore, got)
			}
			if got := w.events("analytics"); !slices.Equal(got, []string{"rotation-failed"}) {
				t.Errorf("team analytics received %v, want [rotation-failed]", got)
			}
			w.checkAll(t, before, "analytics")
		})
	}
}
