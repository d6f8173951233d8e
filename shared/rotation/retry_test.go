package rotation_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// TestStepsAreIdempotent runs each step again after it succeeded, as Step
// Functions does when a step's answer is lost: the second run returns the
// same result and changes nothing.
func TestStepsAreIdempotent(t *testing.T) {
	for _, name := range []string{payments, analytics, adminTarget} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			exec, in := f.newExecution(), input(name, rotation.ModeScheduled)
			rec := f.mustCreate(exec, in)

			before, calls := f.snapshot(), f.dd.Counters()
			for _, attempt := range []int{1, 0, 3} {
				again, err := f.create(exec, in, attempt)
				if err != nil {
					t.Fatalf("Create again (attempt %d): %v", attempt, err)
				}
				if !recordsEqual(again, rec) {
					t.Errorf("Create again (attempt %d) returned\n %+v\nwant\n %+v", attempt, again, rec)
				}
			}
			f.requireUnchanged(before)
			now := f.dd.Counters()
			for _, op := range []string{ddemu.CreateAPIKey, ddemu.CreateServiceAccountAppKey} {
				if now[op] != calls[op] {
					t.Errorf("Create again called %s %d times", op, now[op]-calls[op])
				}
			}

			for range 2 {
				if err := f.verify(rec); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			}
			f.requireUnchanged(before)

			if err := f.store(rec); err != nil {
				t.Fatalf("Store: %v", err)
			}
			afterStore := f.snapshot()
			moves := f.aws.Counters()["secretsmanager.UpdateSecretVersionStage"]
			if err := f.store(rec); err != nil {
				t.Fatalf("Store again: %v", err)
			}
			f.requireUnchanged(afterStore)
			if got := f.aws.Counters()["secretsmanager.UpdateSecretVersionStage"]; got != moves {
				t.Errorf("Store again moved labels %d times", got-moves)
			}

			if _, err := f.deleteOld(rec); err != nil {
				t.Fatalf("DeleteOld: %v", err)
			}
			afterDelete := f.snapshot()
			if _, err := f.deleteOld(rec); err != nil {
				t.Fatalf("DeleteOld again: %v", err)
			}
			f.requireUnchanged(afterDelete)
			f.requireCurrentWorks(name)

			// Rollback after Store changes nothing, however often it runs.
			for range 2 {
				res, err := f.rollback(exec, in)
				if err != nil {
					t.Fatalf("Rollback after Store: %v", err)
				}
				if !res.StoreCompleted || len(res.Deleted) != 0 {
					t.Errorf("Rollback after Store: %+v, want StoreCompleted and nothing deleted", res)
				}
			}
			f.requireUnchanged(afterDelete)
		})
	}
}

// TestRollbackTwice: the second Rollback finds nothing left to undo.
func TestRollbackTwice(t *testing.T) {
	for _, name := range []string{payments, analytics, adminTarget} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			before := f.snapshot()
			exec, in := f.newExecution(), input(name, rotation.ModeScheduled)
			f.mustCreate(exec, in)
			if _, err := f.rollback(exec, in); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			f.wantKeys(before, nil, nil, rotation.Keys{})
			afterFirst := f.snapshot()
			if _, err := f.rollback(exec, in); err != nil {
				t.Fatalf("Rollback again: %v", err)
			}
			f.requireUnchanged(afterFirst)
			f.requireCurrentWorks(name)
		})
	}
}

// TestCreateRetryAfterLostResponse loses the answer of each call that
// changes something during Create (the call took effect, the step saw a
// failure), then retries Create as the state machine does. The retry
// resumes from what the lost call did: one execution never leaves more than
// one API key and one application key.
func TestCreateRetryAfterLostResponse(t *testing.T) {
	tests := []struct {
		name   string
		target string
		fault  func(f *fixture)
	}{
		{"CreateAPIKey/api-key", payments, func(f *fixture) {
			f.dd.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Status: 500, AfterEffect: true, Times: 1})
		}},
		{"CreateAPIKey/api-app-key", analytics, func(f *fixture) {
			f.dd.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Status: 500, AfterEffect: true, Times: 1})
		}},
		{"CreateServiceAccountAppKey", analytics, func(f *fixture) {
			f.dd.AddFault(ddemu.Fault{Op: ddemu.CreateServiceAccountAppKey, Status: 500, AfterEffect: true, Times: 1})
		}},
		{"CreateServiceAccountAppKey/admin", adminTarget, func(f *fixture) {
			f.dd.AddFault(ddemu.Fault{Op: ddemu.CreateServiceAccountAppKey, Status: 503, AfterEffect: true, Times: 1})
		}},
		{"CreateAPIKey/connection reset", analytics, func(f *fixture) {
			f.dd.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, ResetConn: true, AfterEffect: true, Times: 1})
		}},
		{"PutSecretValue", analytics, func(f *fixture) {
			f.aws.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "PutSecretValue", Status: 500, AfterEffect: true, Times: 1})
		}},
		{"PutSecretValue/api-key", payments, func(f *fixture) {
			f.aws.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "PutSecretValue", Status: 500, AfterEffect: true, Times: 1})
		}},
		{"UpdateSecretVersionStage", analytics, func(f *fixture) {
			f.aws.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "UpdateSecretVersionStage", Status: 503, AfterEffect: true, Times: 1})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tg := f.targets[tt.target]
			before := f.snapshot()
			initialVersion := f.labels(tt.target)["AWSCURRENT"]
			exec, in := f.newExecution(), input(tt.target, rotation.ModeScheduled)
			name := rotation.KeyName(tt.target, exec)

			tt.fault(f)
			_, err := f.create(exec, in, 0)
			wantErrorName(t, err, "TransientError")
			lostApp := f.appKeysNamed(name)
			lostVersion := len(f.versions(tt.target)) > len(before.versions[tt.target])

			rec, err := f.create(exec, in, 1)
			if err != nil {
				t.Fatalf("Create retry: %v", err)
			}
			wantRecord(t, rec, tg, rotation.ModeScheduled, exec, initialVersion)
			api := f.apiKeysNamed(name)
			if len(api) != 1 || api[0].ID != rec.New.APIKeyID {
				t.Fatalf("API keys named %s after the retry: %v, want exactly the recorded %s", name, api, rec.New.APIKeyID)
			}
			if tg.Kind != deploy.KindAPIKey {
				app := f.appKeysNamed(name)
				if len(app) != 1 || app[0].ID != rec.New.AppKeyID {
					t.Fatalf("application keys named %s after the retry: %v, want exactly the recorded %s", name, app, rec.New.AppKeyID)
				}
				// An application key whose value was never stored cannot
				// be used: it was deleted and made again. One that was
				// stored (the version was written) is kept.
				if len(lostApp) == 1 && !lostVersion && lostApp[0].ID == rec.New.AppKeyID {
					t.Errorf("the retry kept application key %s, whose value was never stored", lostApp[0].ID)
				}
				if lostVersion && (len(lostApp) != 1 || lostApp[0].ID != rec.New.AppKeyID) {
					t.Errorf("the retry replaced the stored application key %v with %s", lostApp, rec.New.AppKeyID)
				}
			}
			f.wantKeys(before, nil, nil, rec.New)
			if got := f.labels(tt.target)["AWSPENDING"]; got != rec.PendingVersionID {
				t.Errorf("AWSPENDING on %q, want %s", got, rec.PendingVersionID)
			}
			if got := len(f.versions(tt.target)); got != len(before.versions[tt.target])+1 {
				t.Errorf("the secret has %d versions, want one more than the %d before", got, len(before.versions[tt.target]))
			}

			// The staged credential is the one in Datadog, and completes.
			if err := f.verify(rec); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := f.store(rec); err != nil {
				t.Fatalf("Store: %v", err)
			}
			if _, err := f.deleteOld(rec); err != nil {
				t.Fatalf("DeleteOld: %v", err)
			}
			f.requireCurrentWorks(tt.target)
			doomedApp := []string{}
			if tg.AppKey.ID != "" {
				doomedApp = append(doomedApp, tg.AppKey.ID)
			}
			f.wantKeys(before, []string{tg.APIKey.ID}, doomedApp, rec.New)
		})
	}
}

// TestRollbackAfterLostCreate: when Create failed after a key was made, the
// execution's Rollback finds the key by its name and deletes it.
func TestRollbackAfterLostCreate(t *testing.T) {
	for _, op := range []string{ddemu.CreateAPIKey, ddemu.CreateServiceAccountAppKey} {
		t.Run(op, func(t *testing.T) {
			f := newFixture(t)
			before := f.snapshot()
			exec, in := f.newExecution(), input(analytics, rotation.ModeScheduled)
			f.dd.AddFault(ddemu.Fault{Op: op, Status: 500, AfterEffect: true, Times: 1})
			_, err := f.create(exec, in, 0)
			wantErrorName(t, err, "TransientError")
			if len(f.apiKeysNamed(rotation.KeyName(analytics, exec))) != 1 {
				t.Fatalf("the lost create left no key to clean up; the test proves nothing")
			}
			res, err := f.rollback(exec, in)
			if err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if len(res.Deleted) == 0 {
				t.Errorf("Rollback reported deleting nothing")
			}
			f.requireUnchanged(before)
			f.requireCurrentWorks(analytics)
		})
	}
}

// TestRollback undoes a rotation that failed after Create or Verify: the
// execution's keys are deleted, AWSPENDING is released, and AWSCURRENT is
// the same working credential as before (invariant 5). After Store it
// deletes nothing.
func TestRollback(t *testing.T) {
	for _, name := range []string{payments, analytics, adminTarget} {
		for _, after := range []string{"Create", "Verify", "Store"} {
			t.Run(name+"/after "+after, func(t *testing.T) {
				f := newFixture(t)
				before := f.snapshot()
				initialVersion := f.labels(name)["AWSCURRENT"]
				exec, in := f.newExecution(), input(name, rotation.ModeScheduled)
				rec := f.mustCreate(exec, in)
				if after != "Create" {
					if err := f.verify(rec); err != nil {
						t.Fatalf("Verify: %v", err)
					}
				}
				if after == "Store" {
					if err := f.store(rec); err != nil {
						t.Fatalf("Store: %v", err)
					}
				}
				beforeRollback := f.snapshot()

				res, err := f.rollback(exec, in)
				if err != nil {
					t.Fatalf("Rollback: %v", err)
				}
				if res.Target != name {
					t.Errorf("Rollback result names target %q, want %q", res.Target, name)
				}
				f.requireCurrentWorks(name)
				labels := f.labels(name)
				if labels["AWSPENDING"] != "" {
					t.Errorf("AWSPENDING still on %s after Rollback", labels["AWSPENDING"])
				}
				if after == "Store" {
					if !res.StoreCompleted || len(res.Deleted) != 0 {
						t.Errorf("Rollback after Store: %+v, want StoreCompleted and nothing deleted", res)
					}
					if labels["AWSCURRENT"] != rec.PendingVersionID {
						t.Errorf("Rollback after Store moved AWSCURRENT to %s", labels["AWSCURRENT"])
					}
					f.requireUnchanged(beforeRollback)
					return
				}
				if res.StoreCompleted {
					t.Errorf("Rollback before Store reported StoreCompleted")
				}
				if labels["AWSCURRENT"] != initialVersion {
					t.Errorf("AWSCURRENT on %s, want the untouched %s", labels["AWSCURRENT"], initialVersion)
				}
				f.wantKeys(before, nil, nil, rotation.Keys{})
				deleted := keyIDs(res.Deleted, func(k rotation.KeyRef) string { return k.ID })
				for _, id := range []string{rec.New.APIKeyID, rec.New.AppKeyID} {
					if id != "" && !slices.Contains(deleted, id) {
						t.Errorf("Rollback did not report deleting %s (reported %v)", id, deleted)
					}
				}
				// A later rotation of the target works from the old key.
				next := f.rotateThroughStore(name, rotation.ModeScheduled)
				if next.Old.APIKeyID != f.targets[name].APIKey.ID {
					t.Errorf("the next rotation replaced %s, want the initial key", next.Old.APIKeyID)
				}
			})
		}
	}
}

// TestRollbackWithNothingToUndo: Rollback of an execution that never
// created anything, or whose input names no usable target, succeeds and
// changes nothing.
func TestRollbackWithNothingToUndo(t *testing.T) {
	tests := []struct{ name, execID, input string }{
		{"never created", "", `{"target":"payments","mode":"scheduled"}`},
		{"unknown target", "", `{"target":"billing"}`},
		{"malformed input", "", `{"target":`},
		{"empty input", "", ``},
		{"no execution id", "none", `{"target":"payments"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			// Another execution holds the lock: Rollback must leave it.
			holder := f.mustCreate(f.newExecution(), input(payments, rotation.ModeScheduled))
			before := f.snapshot()
			exec := f.newExecution()
			if tt.execID == "none" {
				exec = ""
			}
			res, err := f.rollback(exec, []byte(tt.input))
			if err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if len(res.Deleted) != 0 || res.StoreCompleted {
				t.Errorf("Rollback: %+v, want nothing done", res)
			}
			f.requireUnchanged(before)
			if got := f.labels(payments)["AWSPENDING"]; got != holder.PendingVersionID {
				t.Errorf("AWSPENDING on %q, want the holder's %s", got, holder.PendingVersionID)
			}
		})
	}
}

// TestScheduledRotationOfABrokenKey: a scheduled rotation refuses to
// replace a key that no longer works (an operator must look), and creates
// nothing; a compromise rotation of the same target goes ahead.
func TestScheduledRotationOfABrokenKey(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		breakKey func(f *fixture, tg *target)
	}{
		{"API key revoked", payments, func(f *fixture, tg *target) { f.dd.RevokeAPIKey(tg.APIKey.ID) }},
		{"API key of a pair revoked", analytics, func(f *fixture, tg *target) { f.dd.RevokeAPIKey(tg.APIKey.ID) }},
		{"application key revoked", analytics, func(f *fixture, tg *target) { f.dd.RevokeAppKey(tg.AppKey.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tg := f.targets[tt.target]
			tt.breakKey(f, tg)
			before := f.snapshot()

			exec, in := f.newExecution(), input(tt.target, rotation.ModeScheduled)
			_, err := f.create(exec, in, 0)
			wantErrorName(t, err, "CurrentKeyInvalidError")
			e := wantErrorAs[*rotation.CurrentKeyInvalidError](t, err)
			if e.Target != tt.target || e.KeyID != tg.APIKey.ID || e.Last4 != lastN(tg.APIKey.Key) {
				t.Errorf("error %+v, want target %s and key %s (…%s)", e, tt.target, tg.APIKey.ID, lastN(tg.APIKey.Key))
			}
			f.requireUnchanged(before)
			if _, err := f.rollback(exec, in); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			f.requireUnchanged(before)

			if tg.AppKey.ID != "" && !f.dd.AppKeyValid(tg.AppKey.Key) {
				// The application key is gone, and with it the scopes its
				// successor inherits: the compromise rotation refuses to
				// guess, until an operator records them in the secret.
				exec, in := f.newExecution(), input(tt.target, rotation.ModeCompromise)
				_, err := f.create(exec, in, 0)
				wantErrorName(t, err, "DatadogError")
				if !strings.Contains(err.Error(), `"scopes"`) {
					t.Errorf("error %q does not say to record the scopes", err)
				}
				f.requireUnchanged(before)
				f.putCurrentWith(tt.target, func(m map[string]any) { m["scopes"] = teamScopes })
			}
			rec := f.rotateThroughStore(tt.target, rotation.ModeCompromise)
			if _, err := f.deleteOld(rec); err != nil {
				t.Fatalf("DeleteOld: %v", err)
			}
			f.requireCurrentWorks(tt.target)
			if f.dd.APIKeyValid(tg.APIKey.Key) || (tg.AppKey.Key != "" && f.dd.AppKeyValid(tg.AppKey.Key)) {
				t.Errorf("an old key survived the compromise rotation")
			}
		})
	}
}
