package rotation_test

import (
	"testing"

	"github.com/ddrotate/ddrotate/shared/rotation"
)

// BenchmarkCreateVerifyStore is one scheduled api-key rotation up to Store
// against the emulators, over real HTTP. DeleteOld runs outside the timer so
// that the org never reaches its API key cap.
func BenchmarkCreateVerifyStore(b *testing.B) {
	f := newFixtureWith(b, false)
	for b.Loop() {
		rec := f.mustCreate(f.newExecution(), input(payments, rotation.ModeScheduled))
		if err := f.verify(rec); err != nil {
			b.Fatal(err)
		}
		if err := f.store(rec); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := f.deleteOld(rec); err != nil {
			b.Fatal(err)
		}
		f.resetEmitted()
		b.StartTimer()
	}
}

// BenchmarkCompromiseRotationAPIAppKey is a whole compromise rotation of an
// api-app-key target: Create, Verify, Store, DeleteOld (which lists the
// target's keys) and both notifications.
func BenchmarkCompromiseRotationAPIAppKey(b *testing.B) {
	f := newFixtureWith(b, false)
	for b.Loop() {
		exec := f.newExecution()
		rec := f.mustCreate(exec, input(analytics, rotation.ModeCompromise))
		if err := f.verify(rec); err != nil {
			b.Fatal(err)
		}
		if err := f.store(rec); err != nil {
			b.Fatal(err)
		}
		if _, err := f.notify(rotation.NotifyRequest{Event: rotation.EventRotated, ExecutionID: exec, Rotation: &rec}); err != nil {
			b.Fatal(err)
		}
		revoked, err := f.deleteOld(rec)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.notify(rotation.NotifyRequest{Event: rotation.EventOldKeyRevoked, ExecutionID: exec, Rotation: &rec, Revoked: &revoked}); err != nil {
			b.Fatal(err)
		}
		f.resetEmitted()
	}
}
