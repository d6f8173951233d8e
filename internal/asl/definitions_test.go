package asl

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/statemachine"
)

// KeyNotYetValidError is what the verify step returns while Datadog has not
// propagated a new key; the definition retries it.
type KeyNotYetValidError struct{}

func (*KeyNotYetValidError) Error() string { return "new key not valid yet" }

// DeleteRefusedError is a non-retryable failure of the delete-old step.
type DeleteRefusedError struct{}

func (*DeleteRefusedError) Error() string { return "refusing to delete a current key" }

type rotationRequest struct {
	ExecutionID string `json:"executionId"`
	Input       struct {
		Target string `json:"target"`
		Mode   string `json:"mode"`
	} `json:"input"`
}

type rotation struct {
	Target       string `json:"target"`
	NewKeyID     string `json:"newKeyId"`
	GraceSeconds int    `json:"graceSeconds"`
}

type notification struct {
	Event       string          `json:"event"`
	Stage       string          `json:"stage"`
	ExecutionID string          `json:"executionId"`
	Rotation    *rotation       `json:"rotation"`
	Revoked     json.RawMessage `json:"revoked"`
	Error       struct {
		Error, Cause string
	} `json:"error"`
}

// fakeSteps stands in for the step Lambdas: it records what each was asked
// and fails where a test tells it to.
type fakeSteps struct {
	mu            sync.Mutex
	calls         map[deploy.Step][]string // step → targets, in call order
	notifications []notification
	failCreate    map[string]error // by target
	verifyErr     error
	deleteErr     error
	// targets, maxConcurrency and toleratedPercentage are what listtargets
	// answers.
	targets             []string
	maxConcurrency      int
	toleratedPercentage float64
}

func newFakeSteps() *fakeSteps {
	return &fakeSteps{calls: map[deploy.Step][]string{}, failCreate: map[string]error{}, maxConcurrency: 10, toleratedPercentage: 100}
}

func (f *fakeSteps) called(step deploy.Step, target string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[step] = append(f.calls[step], target)
}

func (f *fakeSteps) handlers() map[deploy.Step]any {
	type withRotation struct{ Rotation rotation }
	return map[deploy.Step]any{
		deploy.StepCreate: func(req rotationRequest) (rotation, error) {
			f.called(deploy.StepCreate, req.Input.Target)
			if err := f.failCreate[req.Input.Target]; err != nil {
				return rotation{}, err
			}
			grace := 86400
			if req.Input.Mode == "compromise" {
				grace = 0
			}
			return rotation{Target: req.Input.Target, NewKeyID: "new-" + req.Input.Target, GraceSeconds: grace}, nil
		},
		deploy.StepVerify: func(in withRotation) error {
			f.called(deploy.StepVerify, in.Rotation.Target)
			return f.verifyErr
		},
		deploy.StepStore: func(in withRotation) error {
			f.called(deploy.StepStore, in.Rotation.Target)
			return nil
		},
		deploy.StepNotify: func(n notification) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.notifications = append(f.notifications, n)
			return nil
		},
		deploy.StepDeleteOld: func(in withRotation) (map[string]any, error) {
			f.called(deploy.StepDeleteOld, in.Rotation.Target)
			if f.deleteErr != nil {
				return nil, f.deleteErr
			}
			return map[string]any{"keyIds": []string{"old-" + in.Rotation.Target}, "holding": false}, nil
		},
		deploy.StepRollback: func(req rotationRequest) error {
			f.called(deploy.StepRollback, req.Input.Target)
			return nil
		},
		deploy.StepListTargets: func() (map[string]any, error) {
			return map[string]any{"targets": f.targets, "count": len(f.targets), "maxConcurrency": f.maxConcurrency, "toleratedFailurePercentage": f.toleratedPercentage}, nil
		},
	}
}

// byStepName keys handlers by the step's name, as the substitutions in
// registerRotation name the steps' functions.
func byStepName(handlers map[deploy.Step]any) map[string]any {
	named := make(map[string]any, len(handlers))
	for step, fn := range handlers {
		named[string(step)] = fn
	}
	return named
}

func (f *fakeSteps) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.notifications {
		out = append(out, n.Event+"/"+n.Stage)
	}
	return out
}

// registerRotation registers the real definitions with the fake steps.
func registerRotation(t *testing.T, steps *fakeSteps) (h *harness, target, fleet string) {
	t.Helper()
	h = newHarness(t, byStepName(steps.handlers()))
	substitutions := map[string]string{}
	for _, step := range deploy.Steps() {
		substitutions[step.Placeholder()] = string(step)
	}
	target = h.registerDefinition("rotate-target", statemachine.RotateTargetDefinition, substitutions)
	substitutions[deploy.RotateTargetStateMachinePlaceholder] = target
	fleet = h.registerDefinition("rotate-fleet", statemachine.RotateFleetDefinition, substitutions)
	return h, target, fleet
}

func TestRotateTargetHappyPath(t *testing.T) {
	tests := []struct {
		mode  string
		grace time.Duration
	}{
		{"scheduled", 24 * time.Hour},
		{"compromise", 0},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			steps := newFakeSteps()
			h, target, _ := registerRotation(t, steps)
			x := h.run(target, `{"target": "team-a", "mode": "`+tt.mode+`"}`)
			requireStatus(t, x, StatusSucceeded)
			if got := steps.events(); !slices.Equal(got, []string{"rotated/", "old-key-revoked/"}) {
				t.Errorf("notifications = %v", got)
			}
			for _, n := range steps.notifications {
				if n.ExecutionID != x.ARN() || n.Rotation == nil || n.Rotation.NewKeyID != "new-team-a" {
					t.Errorf("notification %+v lacks the execution id or rotation", n)
				}
			}
			if revoked := string(steps.notifications[1].Revoked); revoked != `{"holding":false,"keyIds":["old-team-a"]}` {
				t.Errorf("old-key-revoked carried revoked = %s", revoked)
			}
			if got := h.clock.Sleeps(); !slices.Equal(got, []time.Duration{tt.grace}) {
				t.Errorf("virtual sleeps = %v, want only the grace period %v", got, tt.grace)
			}
			if len(steps.calls[deploy.StepRollback]) != 0 {
				t.Error("a successful rotation rolled back")
			}
			requireJSON(t, "output", x.Output(), `{
				"rotation": {"target": "team-a", "newKeyId": "new-team-a", "graceSeconds": `+mustJSON(t, int(tt.grace.Seconds()))+`},
				"deleted": {"revoked": {"holding": false, "keyIds": ["old-team-a"]}}}`)
			if got := x.Transitions(); got != 8 {
				t.Errorf("Transitions() = %d, want 8 (Create … DeleteOld, the choice whether to hold, NotifyRevoked)", got)
			}
		})
	}
}

func TestRotateTargetRollsBackWhenTheNewKeyNeverValidates(t *testing.T) {
	steps := newFakeSteps()
	steps.verifyErr = &KeyNotYetValidError{}
	h, target, _ := registerRotation(t, steps)
	x := h.run(target, `{"target": "team-b", "mode": "scheduled"}`)
	requireStatus(t, x, StatusFailed)
	if x.Error() != "KeyNotYetValidError" || !strings.Contains(x.Cause(), `"errorType":"KeyNotYetValidError"`) {
		t.Errorf("error/cause = %q/%q", x.Error(), x.Cause())
	}
	// Verify's KeyNotYetValidError retrier: 2 s doubling, 6 attempts, at most 30 s.
	if got, want := h.clock.Sleeps(), seconds(2, 4, 8, 16, 30, 30); !slices.Equal(got, want) {
		t.Errorf("virtual sleeps = %v, want %v", got, want)
	}
	if got := len(steps.calls[deploy.StepVerify]); got != 7 {
		t.Errorf("verify called %d times, want 7", got)
	}
	if len(steps.calls[deploy.StepStore]) != 0 || !slices.Equal(steps.calls[deploy.StepRollback], []string{"team-b"}) {
		t.Errorf("calls = %v, want a rollback and no store", steps.calls)
	}
	if got := steps.events(); !slices.Equal(got, []string{"rotation-failed/before-store"}) {
		t.Errorf("notifications = %v", got)
	}
	if n := steps.notifications[0]; n.Error.Error != "KeyNotYetValidError" || n.Error.Cause != x.Cause() {
		t.Errorf("rotation-failed notification carried error %+v", n.Error)
	}
	path := []string{}
	for _, ev := range eventsOf(x, "TaskStateEntered") {
		path = append(path, ev.State)
	}
	if want := []string{"Create", "Verify", "Rollback", "NotifyFailed"}; !slices.Equal(path, want) {
		t.Errorf("Task states entered = %v, want %v", path, want)
	}
}

func TestRotateTargetReportsAFailureAfterStore(t *testing.T) {
	steps := newFakeSteps()
	steps.deleteErr = &DeleteRefusedError{}
	h, target, _ := registerRotation(t, steps)
	x := h.run(target, `{"target": "team-c", "mode": "compromise"}`)
	requireStatus(t, x, StatusFailed)
	if x.Error() != "DeleteRefusedError" {
		t.Errorf("Error = %q, want DeleteRefusedError", x.Error())
	}
	if got := steps.events(); !slices.Equal(got, []string{"rotated/", "rotation-failed/after-store"}) {
		t.Errorf("notifications = %v", got)
	}
	if len(steps.calls[deploy.StepRollback]) != 0 {
		t.Error("a failure after Store rolled back the new current key")
	}
}

func TestRotateFleet(t *testing.T) {
	tests := []struct {
		name                string
		failing             string
		maxConcurrency      int
		toleratedPercentage float64
		wantStatus          Status
		wantError           string
		wantCounts          MapRunCounts
		wantRotated         []string
	}{
		{"every target rotates", "", 10, 100, StatusSucceeded, "",
			MapRunCounts{Succeeded: 3, Total: 3}, []string{"a", "b", "c"}},
		{"one target fails, the others rotate", "b", 10, 100, StatusFailed, "FleetRotationFailed",
			MapRunCounts{Succeeded: 2, Failed: 1, Total: 3}, []string{"a", "c"}},
		{"one failure of three is more than 10% tolerated: the run stops", "b", 1, 10, StatusFailed, "States.ExceedToleratedFailureThreshold",
			MapRunCounts{Succeeded: 1, Failed: 1, Pending: 1, Total: 3}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := newFakeSteps()
			steps.targets = []string{"a", "b", "c"}
			steps.maxConcurrency, steps.toleratedPercentage = tt.maxConcurrency, tt.toleratedPercentage
			if tt.failing != "" {
				steps.failCreate[tt.failing] = PermanentError{}
			}
			h, target, fleet := registerRotation(t, steps)
			x := h.run(fleet, `{"mode": "compromise"}`)
			requireStatus(t, x, tt.wantStatus)
			if x.Error() != tt.wantError {
				t.Errorf("Error = %q, want %q", x.Error(), tt.wantError)
			}
			if tt.wantStatus == StatusSucceeded {
				requireJSON(t, "output", x.Output(), `{"mode": "compromise", "targets": 3, "rotated": 3}`)
			}

			runs := h.engine.MapRuns()
			if len(runs) != 1 {
				t.Fatalf("%d map runs", len(runs))
			}
			run := runs[0]
			if got := run.Counts(); got != tt.wantCounts || run.MaxConcurrency() != tt.maxConcurrency {
				t.Errorf("map run counts %+v (concurrency %d), want %+v", got, run.MaxConcurrency(), tt.wantCounts)
			}
			if p, ok := run.ToleratedFailurePercentage(); !ok || p != tt.toleratedPercentage {
				t.Errorf("tolerated percentage %v", p)
			}
			// Each item's child workflow execution started one rotate-target
			// execution, with the child as the execution that started it.
			for _, item := range run.Children() {
				var rotations []*Execution
				for _, c := range h.engine.Executions() {
					if c.Parent() == item {
						rotations = append(rotations, c)
					}
				}
				if len(rotations) != 1 {
					t.Fatalf("item %s started %d executions", item.Name(), len(rotations))
				}
				var input map[string]string
				if err := json.Unmarshal(rotations[0].Input(), &input); err != nil {
					t.Fatal(err)
				}
				if rotations[0].StateMachineARN() != target || input["mode"] != "compromise" || input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] != item.ARN() {
					t.Errorf("item %s ran %s with input %v", item.Name(), rotations[0].StateMachineARN(), input)
				}
				if input["target"] == tt.failing {
					if item.Status() != StatusFailed || item.Error() != "TargetRotationFailed" || item.Cause() != "Target "+tt.failing+" failed to rotate: States.TaskFailed" {
						t.Errorf("the failing item ended %s %s %q", item.Status(), item.Error(), item.Cause())
					}
				} else if item.Status() != StatusSucceeded || string(item.Output()) != "{}" {
					t.Errorf("item %s ended %s with %s", input["target"], item.Status(), item.Output())
				}
			}
			// The fleet's own history does not grow with the items.
			if n := len(x.History()); n > 30 {
				t.Errorf("the fleet's history has %d events", n)
			}

			rotated := slices.Clone(steps.calls[deploy.StepStore])
			sort.Strings(rotated)
			if !slices.Equal(rotated, tt.wantRotated) {
				t.Errorf("stored %v, want %v", rotated, tt.wantRotated)
			}
		})
	}
}
