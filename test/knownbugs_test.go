package test

import (
	"os"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/ddemu"
	"github.com/ddrotate/ddrotate/shared/rotation"
	"github.com/ddrotate/ddrotate/statemachine"
)

// Reproductions of the product bugs the reliability suite found that are
// still open, one scenario each. They fail until the bugs are fixed, so they
// only run with DDROTATE_KNOWN_BUGS=1; the suite leaves the affected cells
// out meanwhile (see RELIABILITY.md). Bugs already fixed have become the
// regression tests of regressions_test.go.
func knownBug(t *testing.T) {
	t.Helper()
	if os.Getenv("DDROTATE_KNOWN_BUGS") != "1" {
		t.Skip("reproduces a known product bug; run with DDROTATE_KNOWN_BUGS=1")
	}
}

// knownBugLateCreate: in compromise mode a CreateAPIKey slower than the
// client's bound lands after the rotation ended; its twin survives.
func TestKnownBugLateCreateLeavesTwinInCompromiseMode(t *testing.T) {
	knownBug(t)
	w := newWorld(t)
	before := w.snapshot()
	w.at("Create", func(*statemachine.Execution) error {
		w.Datadog.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Latency: 3 * time.Second, Times: 1})
		return nil
	})
	wantStatus(t, w.rotate(t, "payments", rotation.ModeCompromise), statemachine.StatusSucceeded)
	waitForFaultedCalls(w, 1, 4*time.Second) // the slow create lands
	w.checkAll(t, before)                    // invariants 2 and 3
}
