package test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/golden"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// goldenDir holds the golden payloads. shared/rotation's golden test makes
// them by calling the steps as the definition would; the tests here run the
// same rotations through the deployed definition and compare what its states
// actually pass and get back with the same files, so a change on either side
// (a Parameters block, a ResultSelector, a field of a request) shows up.
// See shared/rotation/golden_test.go for the scenarios and the file names.
var goldenDir = filepath.Join("..", "shared", "rotation", "testdata")

// taskLog keeps every attempt of every Task, by execution.
type taskLog struct {
	mu       sync.Mutex
	attempts map[string][]asl.TaskAttempt
}

func (l *taskLog) record(x *asl.Execution, a asl.TaskAttempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts[x.ARN()] = append(l.attempts[x.ARN()], a)
}

// payloads returns, by golden file name, the Payload each Task state of x
// passed to its function (on its first attempt) and the function's answer
// (on the attempt that succeeded).
func (l *taskLog) payloads(t *testing.T, x *asl.Execution, prefix string) map[string][]byte {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	files := map[string][]byte{}
	for _, a := range l.attempts[x.ARN()] {
		request := prefix + "." + a.State + ".request.json"
		if _, seen := files[request]; !seen {
			files[request] = payloadOf(t, a.Input)
		}
		if a.Error == "" {
			files[prefix+"."+a.State+".result.json"] = payloadOf(t, a.Output)
		}
	}
	return files
}

// payloadOf is the Payload member of a lambda:invoke Task's Parameters or result.
func payloadOf(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var doc struct {
		Payload json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("not a lambda:invoke document: %v", err)
	}
	if len(doc.Payload) == 0 {
		return []byte("null")
	}
	return doc.Payload
}

func newGoldenWorld(t *testing.T) (*world, *taskLog) {
	t.Helper()
	log := &taskLog{attempts: map[string][]asl.TaskAttempt{}}
	w := newWorld(t, func(o *localenv.Options) { o.AfterTask = log.record })
	return w, log
}

// messages adds the body of each notification the topic got for target to
// files, under the name given for its event.
func (w *world) goldenMessages(t *testing.T, files map[string][]byte, target string, names map[string]string) {
	t.Helper()
	got := map[string]bool{}
	for _, m := range w.AWS.Published(w.TopicARN) {
		if m.Attributes["target"] != target {
			continue
		}
		if name, ok := names[m.Attributes["event"]]; ok {
			files[name] = []byte(m.Message)
			got[m.Attributes["event"]] = true
		}
	}
	for ev := range names {
		if !got[ev] {
			t.Errorf("no %s notification for %s", ev, target)
		}
	}
}

func compareGolden(t *testing.T, n *golden.Normalizer, files map[string][]byte) {
	t.Helper()
	for name, raw := range files {
		golden.Compare(t, filepath.Join(goldenDir, name), n.JSON(t, raw))
	}
}

// What the deployed definition passes between its states in a scheduled and
// a compromise rotation is what the golden files say.
func TestGoldenPayloadsThroughTheDefinition(t *testing.T) {
	for _, sc := range []struct {
		name, target string
		mode         rotation.Mode
		messages     map[string]string
		secret       string // the file of the target's rotated secret: the teams' secret contract
	}{
		{"scheduled", "analytics", rotation.ModeScheduled, map[string]string{
			"rotated": "message.rotated.json", "old-key-revoked": "message.old-key-revoked.json"}, "secret.api-app-key.json"},
		{"compromise", "payments", rotation.ModeCompromise, map[string]string{
			"rotated": "message.rotated.compromise.json", "old-key-revoked": "message.old-key-revoked.compromise.json"}, "secret.api-key.json"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			w, log := newGoldenWorld(t)
			x := w.rotate(t, sc.target, sc.mode)
			wantStatus(t, x, asl.StatusSucceeded)
			if got := statesVisited(x); got != happyPath {
				t.Fatalf("states: %s, want %s", got, happyPath)
			}
			files := log.payloads(t, x, sc.name)
			w.goldenMessages(t, files, sc.target, sc.messages)

			n := golden.NewNormalizer()
			n.Record(t, files[sc.name+".Create.result.json"])
			secret := w.currentSecretString(t, sc.target)
			var keys struct{ APIKey, AppKey string }
			if err := json.Unmarshal([]byte(secret), &keys); err != nil {
				t.Fatal(err)
			}
			n.Value(keys.APIKey, "<apiKey>")
			n.Value(keys.AppKey, "<appKey>")
			files[sc.secret] = []byte(secret)
			compareGolden(t, n, files)
		})
	}
}

// A rotation that fails before Store passes the failure through Rollback to
// NotifyFailed as the golden files say.
func TestGoldenPayloadsOfAFailedRotationThroughTheDefinition(t *testing.T) {
	w, log := newGoldenWorld(t)
	old, _ := w.CurrentKeys("payments")
	w.Datadog.RevokeAPIKey(old.APIKeyID)
	x, err := w.Rotate(context.Background(), "payments", rotation.ModeScheduled)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, x, asl.StatusFailed)
	if got, want := statesVisited(x), "Create>Rollback>NotifyFailed>RotationFailed"; got != want {
		t.Fatalf("states: %s, want %s", got, want)
	}
	files := log.payloads(t, x, "failed")
	w.goldenMessages(t, files, "payments", map[string]string{"rotation-failed": "message.rotation-failed.json"})

	n := golden.NewNormalizer()
	n.Value(old.APIKeyID, "<oldApiKeyId>")
	compareGolden(t, n, files)
}

// currentSecretString is the value of target's secret that consumers read.
func (w *world) currentSecretString(t *testing.T, target string) string {
	t.Helper()
	versions, err := w.AWS.SecretVersions(localenv.SecretPrefix + target)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if slices.Contains(v.Stages, "AWSCURRENT") {
			return v.SecretString
		}
	}
	t.Fatalf("target %s has no AWSCURRENT version", target)
	return ""
}
