package rotation_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ddrotate/ddrotate/internal/golden"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// The golden files under testdata hold, with placeholders for what varies
// from run to run, every payload the rotate-target definition passes to a
// step and every result a step returns, for three rotations:
//
//	scheduled   analytics (api-app-key), scheduled mode: the happy path
//	compromise  payments (api-key), compromise mode: the happy path
//	failed      payments, scheduled, with its current key revoked: Create
//	            refuses, Rollback, NotifyFailed
//
// <scenario>.<State>.request.json is the Payload of the Task state <State>,
// <scenario>.<State>.result.json the step's answer (the Create result is the
// rotation record that every later state is passed as "rotation"), and
// message.<event>[.compromise].json the body of the SNS notification, which
// is the teams' contract.
//
// This test makes them by calling the steps as the definition does;
// test/golden_test.go runs the same rotations through the deployed
// definitions under the local executor and compares what the states
// actually pass with the same files. Rewrite them with
//
//	go test ./... -update
type goldenScenario struct {
	name   string
	target string
	mode   rotation.Mode
	// messages maps an event to the file its notification is compared with.
	messages map[rotation.Event]string
}

var goldenScenarios = []goldenScenario{
	{"scheduled", analytics, rotation.ModeScheduled, map[rotation.Event]string{
		rotation.EventRotated: "message.rotated.json", rotation.EventOldKeyRevoked: "message.old-key-revoked.json"}},
	{"compromise", payments, rotation.ModeCompromise, map[rotation.Event]string{
		rotation.EventRotated: "message.rotated.compromise.json", rotation.EventOldKeyRevoked: "message.old-key-revoked.compromise.json"}},
}

// goldenFiles collects the payloads of one scenario by file name.
type goldenFiles struct {
	f      *fixture
	prefix string
	files  map[string][]byte
}

// step invokes handler with req as the state named state does, and keeps
// the request and the answer.
func (g *goldenFiles) step(state string, handler, req any) (json.RawMessage, error) {
	g.f.t.Helper()
	g.put(g.prefix+"."+state+".request.json", req)
	out, err := invoke[json.RawMessage](g.f, handler, req)
	if err == nil {
		if len(out) == 0 {
			out = json.RawMessage("null")
		}
		g.files[g.prefix+"."+state+".result.json"] = out
	}
	return out, err
}

func (g *goldenFiles) put(name string, v any) {
	g.f.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		g.f.t.Fatalf("encode %s: %v", name, err)
	}
	g.files[name] = raw
}

// compare normalises every file with n and compares it with testdata.
func (g *goldenFiles) compare(t *testing.T, n *golden.Normalizer) {
	t.Helper()
	for name, raw := range g.files {
		golden.Compare(t, filepath.Join("testdata", name), n.JSON(t, raw))
	}
}

// messages keeps the body of each notification the target's team got.
func (g *goldenFiles) messages(target string, names map[rotation.Event]string) {
	g.f.t.Helper()
	got := map[rotation.Event]bool{}
	for _, m := range g.f.published() {
		if m.Attributes["target"] != target {
			continue
		}
		ev := rotation.Event(m.Attributes["event"])
		if name, ok := names[ev]; ok {
			g.files[name] = []byte(m.Message)
			got[ev] = true
		}
	}
	for ev := range names {
		if !got[ev] {
			g.f.t.Errorf("no %s notification for %s", ev, target)
		}
	}
}

func TestGoldenPayloads(t *testing.T) {
	for _, sc := range goldenScenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t)
			g := &goldenFiles{f: f, prefix: sc.name, files: map[string][]byte{}}
			exec := f.newExecution()
			in := input(sc.target, sc.mode)

			f.execs.started(exec, in)
			raw, err := g.step("Create", f.steps.Create, rotation.CreateRequest{ExecutionID: exec, Input: in})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			var rec rotation.Record
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			for _, state := range []struct {
				name    string
				handler any
				req     any
			}{
				{"Verify", f.steps.Verify, rotation.StepRequest{Rotation: rec}},
				{"Store", f.steps.Store, rotation.StepRequest{Rotation: rec}},
				{"NotifyRotated", f.steps.Notify, rotation.NotifyRequest{Event: rotation.EventRotated, ExecutionID: exec, Rotation: &rec}},
			} {
				if _, err := g.step(state.name, state.handler, state.req); err != nil {
					t.Fatalf("%s: %v", state.name, err)
				}
			}
			raw, err = g.step("DeleteOld", f.steps.DeleteOld, rotation.StepRequest{Rotation: rec})
			if err != nil {
				t.Fatalf("DeleteOld: %v", err)
			}
			var revoked rotation.DeleteOldResult
			if err := json.Unmarshal(raw, &revoked); err != nil {
				t.Fatal(err)
			}
			req := rotation.NotifyRequest{Event: rotation.EventOldKeyRevoked, ExecutionID: exec, Rotation: &rec, Revoked: &revoked}
			if _, err := g.step("NotifyRevoked", f.steps.Notify, req); err != nil {
				t.Fatalf("NotifyRevoked: %v", err)
			}
			g.messages(sc.target, sc.messages)

			n := golden.NewNormalizer()
			n.Record(t, g.files[sc.name+".Create.result.json"])
			g.compare(t, n)
		})
	}
}

// A rotation that fails before Store: Create refuses the revoked current
// key, the definition's Catch hands the failure to Rollback and NotifyFailed.
func TestGoldenPayloadsOfAFailedRotation(t *testing.T) {
	f := newFixture(t)
	g := &goldenFiles{f: f, prefix: "failed", files: map[string][]byte{}}
	old := f.targets[payments].APIKey
	f.dd.RevokeAPIKey(old.ID)
	exec := f.newExecution()
	in := input(payments, rotation.ModeScheduled)

	f.execs.started(exec, in)
	_, err := g.step("Create", f.steps.Create, rotation.CreateRequest{ExecutionID: exec, Input: in})
	wantErrorAs[*rotation.CurrentKeyInvalidError](t, err)
	if _, err := g.step("Rollback", f.steps.Rollback, rotation.RollbackRequest{ExecutionID: exec, Input: in}); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	failure := catch(t, err)
	req := rotation.NotifyRequest{Event: rotation.EventFailed, Stage: rotation.StageBeforeStore, ExecutionID: exec, Input: in, Error: &failure}
	if _, err := g.step("NotifyFailed", f.steps.Notify, req); err != nil {
		t.Fatalf("NotifyFailed: %v", err)
	}
	g.messages(payments, map[rotation.Event]string{rotation.EventFailed: "message.rotation-failed.json"})

	n := golden.NewNormalizer()
	n.Value(old.ID, "<oldApiKeyId>")
	g.compare(t, n)
}

// catch is the {"Error", "Cause"} that a Catch of the lambda:invoke
// integration puts in the state for a function error: aws-lambda-go names
// the error by its type, and Lambda's error document is the Cause.
func catch(t *testing.T, err error) rotation.StepFailure {
	t.Helper()
	name := reflect.TypeOf(err)
	if name.Kind() == reflect.Pointer {
		name = name.Elem()
	}
	cause, jsonErr := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
		StackTrace   []any  `json:"stackTrace"`
	}{err.Error(), name.Name(), []any{}})
	if jsonErr != nil {
		t.Fatal(jsonErr)
	}
	return rotation.StepFailure{Error: name.Name(), Cause: string(cause)}
}
