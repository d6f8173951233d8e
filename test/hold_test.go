package test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// A scheduled rotation never deletes an old key that consumers still use
// (README: "Never revoke a key that is still in use"): it holds the
// deletion, tells the team once, and looks again later, until the target's
// maximum grace period.

// heldPath is what a rotation whose old key is in use at the end of the
// grace period goes through, at least.
const heldPrefix = "Create>Verify>Store>NotifyRotated>GracePeriod>DeleteOld>OldKeyStillInUse>NotifyInUse>MarkInUseNotified>HoldOldKey>DeleteOld"

// messagesOf returns the bodies of the notifications of target, event.
func (w *world) messagesOf(t *testing.T, target string, event rotation.Event) []rotation.Message {
	t.Helper()
	var out []rotation.Message
	for _, m := range w.AWS.Published(w.TopicARN) {
		if m.Attributes["target"] != target || m.Attributes["event"] != string(event) {
			continue
		}
		var msg rotation.Message
		if err := json.Unmarshal([]byte(m.Message), &msg); err != nil {
			t.Fatalf("a %s notification is not JSON: %v", event, err)
		}
		out = append(out, msg)
	}
	return out
}

// A consumer that keeps using its old key: the deletion is held, the team
// told once, and the key deleted when the maximum grace period ends.
func TestOldKeyInUseIsHeldUntilMaxGrace(t *testing.T) {
	for _, target := range []string{"payments", "analytics"} {
		t.Run(target, func(t *testing.T) {
			w := newWorld(t)
			before := w.snapshot()
			old, _ := w.CurrentKeys(target)
			checks := 0
			w.every("DeleteOld", func(*asl.Execution) error {
				checks++
				return w.UseKey(context.Background(), target, "AWSPREVIOUS") // never switches
			})
			started := w.Clock.Now()
			x := w.rotate(t, target, rotation.ModeScheduled)
			wantStatus(t, x, asl.StatusSucceeded)
			if got := statesVisited(x); len(got) < len(heldPrefix) || got[:len(heldPrefix)] != heldPrefix {
				t.Fatalf("states %s, want a hold (%s...)", got, heldPrefix)
			}
			if checks < 3 {
				t.Errorf("DeleteOld looked %d times; a hold of days should look again several times", checks)
			}
			inUse := w.messagesOf(t, target, rotation.EventOldKeyInUse)
			if len(inUse) != 1 {
				t.Fatalf("%d old-key-in-use notifications, want exactly one for the hold", len(inUse))
			}
			if ids := idsOf(inUse[0].InUse); !slices.Contains(ids, old.APIKeyID) || inUse[0].DeleteBy == nil {
				t.Errorf("old-key-in-use names %v (delete by %v), want the old API key %s and a deadline", ids, inUse[0].DeleteBy, old.APIKeyID)
			}
			for _, k := range inUse[0].InUse {
				if k.LastUsed == nil {
					t.Errorf("old-key-in-use does not say when key %s was last used", k.ID)
				}
			}
			revoked := w.messagesOf(t, target, rotation.EventOldKeyRevoked)
			if len(revoked) != 1 || !revoked[0].HeldUntilMaxGrace {
				t.Fatalf("old-key-revoked %+v, want one saying the key was revoked at the end of the maximum grace period", revoked)
			}
			if elapsed := w.Clock.Now().Sub(started); elapsed < 7*24*time.Hour {
				t.Errorf("the old key died after %v, before the 7-day maximum grace period", elapsed)
			}
			if w.KeyExists(old.APIKeyID) || (old.AppKeyID != "" && w.KeyExists(old.AppKeyID)) {
				t.Error("the old key survived the maximum grace period")
			}
			reliability.add(cScenarios, 1)
			reliability.check(t, w, before)
		})
	}
}

// A consumer that uses its old key once more after the switch and then
// moves over: the deletion is held until the key has been quiet for the
// grace period, and the key deleted then, well before the maximum.
func TestOldKeyHeldOnceThenDeletedWhenTheConsumerStops(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	old, _ := w.CurrentKeys("payments")
	w.at("DeleteOld", func(*asl.Execution) error {
		return w.UseKey(context.Background(), "payments", "AWSPREVIOUS")
	})
	started := w.Clock.Now()
	x := w.rotate(t, "payments", rotation.ModeScheduled)
	wantStatus(t, x, asl.StatusSucceeded)
	if got := statesVisited(x); !strings.HasPrefix(got, heldPrefix) || !strings.HasSuffix(got, ">OldKeyStillInUse>NotifyRevoked") {
		t.Errorf("states %s, want a hold (%s...) ending in the old key's revocation", got, heldPrefix)
	}
	if got := w.messagesOf(t, "payments", rotation.EventOldKeyInUse); len(got) != 1 {
		t.Errorf("%d old-key-in-use notifications, want exactly one", len(got))
	}
	revoked := w.messagesOf(t, "payments", rotation.EventOldKeyRevoked)
	if len(revoked) != 1 || revoked[0].HeldUntilMaxGrace {
		t.Errorf("old-key-revoked %+v, want one revoked because it went quiet, not at the maximum grace", revoked)
	}
	if elapsed := w.Clock.Now().Sub(started); elapsed >= 7*24*time.Hour {
		t.Errorf("the hold lasted %v, as if the consumer never stopped", elapsed)
	}
	if w.KeyExists(old.APIKeyID) {
		t.Error("the old key survived")
	}
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before)
}

// A quiet old key dies at the end of the grace period, as it always did;
// and a consumer that used the old key only before the switch does not hold it.
func TestQuietOldKeyIsDeletedAtTheEndOfTheGracePeriod(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	if err := w.UseKey(context.Background(), "payments", "AWSCURRENT"); err != nil { // in use until the rotation
		t.Fatal(err)
	}
	x := w.rotate(t, "payments", rotation.ModeScheduled)
	wantStatus(t, x, asl.StatusSucceeded)
	if got := statesVisited(x); got != happyPath {
		t.Errorf("states %s, want %s", got, happyPath)
	}
	if got := w.messagesOf(t, "payments", rotation.EventOldKeyInUse); len(got) != 0 {
		t.Errorf("%d old-key-in-use notifications for a key nobody used after the switch", len(got))
	}
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before)
}

// Compromise mode never holds: the leaked key dies at once even while in
// use, and old-key-revoked says when each key was last used (forensics).
func TestCompromiseNeverHoldsAKeyInUse(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	old, _ := w.CurrentKeys("analytics")
	w.every("DeleteOld", func(*asl.Execution) error {
		return w.UseKey(context.Background(), "analytics", "AWSPREVIOUS")
	})
	x := w.rotate(t, "analytics", rotation.ModeCompromise)
	wantStatus(t, x, asl.StatusSucceeded)
	if got := statesVisited(x); got != happyPath {
		t.Errorf("states %s, want %s", got, happyPath)
	}
	if w.KeyExists(old.APIKeyID) || w.KeyExists(old.AppKeyID) {
		t.Error("a compromise left the leaked key alive")
	}
	revoked := w.messagesOf(t, "analytics", rotation.EventOldKeyRevoked)
	if len(revoked) != 1 {
		t.Fatalf("%d old-key-revoked notifications, want 1", len(revoked))
	}
	for _, k := range revoked[0].Revoked {
		if (k.ID == old.APIKeyID || k.ID == old.AppKeyID) && k.LastUsed == nil {
			t.Errorf("old-key-revoked does not say when the leaked key %s was last used", k.ID)
		}
	}
	reliability.add(cScenarios, 1)
	reliability.check(t, w, before)
}

func idsOf(refs []rotation.KeyRef) []string {
	var ids []string
	for _, k := range refs {
		ids = append(ids, k.ID)
	}
	return ids
}
