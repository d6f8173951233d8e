package rotation_test

import (
	"errors"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/shared/rotation"
)

// Steps trust no payload: anyone allowed to invoke a step Lambda could
// otherwise delete any key of the org, promote a version by hand or send
// teams fake events. Every forged invoke below is refused with a
// ForgedRequestError and changes nothing.

func wantForged(t *testing.T, err error) {
	t.Helper()
	var forged *rotation.ForgedRequestError
	if !errors.As(err, &forged) {
		t.Fatalf("got %v (%T), want a *rotation.ForgedRequestError", err, err)
	}
}

func TestForgedPayloadsAreRefused(t *testing.T) {
	f := newFixture(t)
	// A payments rotation, honestly through Store and still running.
	rec := f.rotateThroughStore(payments, rotation.ModeScheduled)
	analyticsAPI, _, analyticsApp, _ := f.currentKeys(analytics)
	finished := f.rotateThroughStore(payments, rotation.ModeScheduled)
	f.execs.set(finished.ExecutionID, sfntypes.ExecutionStatusSucceeded)
	before := f.snapshot()
	published := len(f.published())

	otherKeys := rec
	otherKeys.Old = rotation.Keys{APIKeyID: analyticsAPI, AppKeyID: analyticsApp}
	unknown := rec
	unknown.ExecutionID = executionArn + "never-started"
	otherTarget := rec
	otherTarget.Target = analytics
	otherVersion := rec
	otherVersion.PendingVersionID = before.versions[payments][0].VersionID

	cases := []struct {
		name string
		run  func() error
	}{
		{"DeleteOld of another target's keys under a running rotation", func() error { _, err := f.deleteOld(otherKeys); return err }},
		{"DeleteOld for an execution that never ran", func() error { _, err := f.deleteOld(unknown); return err }},
		{"DeleteOld for a finished execution", func() error { _, err := f.deleteOld(finished); return err }},
		{"DeleteOld naming another target than the execution's", func() error { _, err := f.deleteOld(otherTarget); return err }},
		{"Store of a version the execution did not stage", func() error { return f.store(otherVersion) }},
		{"Store for a finished execution", func() error { return f.store(finished) }},
		{"Verify for an execution that never ran", func() error { return f.verify(unknown) }},
		{"Create for an execution that never ran", func() error {
			_, err := f.create(executionArn+"forged-create", input(analytics, rotation.ModeCompromise), 0)
			return err
		}},
		{"Create for a rotation of another target", func() error {
			_, err := f.create(rec.ExecutionID, input(analytics, rotation.ModeCompromise), 0)
			return err
		}},
		{"Rollback of another target under a running rotation", func() error {
			_, err := f.rollback(rec.ExecutionID, input(analytics, rotation.ModeScheduled))
			return err
		}},
		{"Notify rotated for a finished execution", func() error {
			_, err := f.notify(rotation.NotifyRequest{Event: rotation.EventRotated, ExecutionID: finished.ExecutionID, Rotation: &finished})
			return err
		}},
		{"Notify rotation-failed for another target", func() error {
			_, err := f.notify(rotation.NotifyRequest{Event: rotation.EventFailed, Stage: rotation.StageBeforeStore, ExecutionID: rec.ExecutionID,
				Input: input(analytics, rotation.ModeScheduled), Error: &rotation.StepFailure{Error: "DatadogError", Cause: "forged"}})
			return err
		}},
		{"Notify rotated under another execution's id", func() error {
			_, err := f.notify(rotation.NotifyRequest{Event: rotation.EventRotated, ExecutionID: finished.ExecutionID, Rotation: &rec})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantForged(t, c.run())
			f.requireUnchanged(before)
			if n := len(f.published()); n != published {
				t.Errorf("%d notifications published by a forged invoke", n-published)
			}
		})
	}
	// The honest rotation still completes, and deletes exactly its own old key.
	if _, err := f.deleteOld(rec); err != nil {
		t.Fatalf("the honest DeleteOld: %v", err)
	}
	f.requireCurrentWorks(analytics)
	f.requireCurrentWorks(payments)
}
