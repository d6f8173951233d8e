package test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// The invariants are only evidence if they fail when the product is wrong.
// Each case below plants one plausible bug, through the emulators' fault
// hooks or a test double around one of the steps' clients or handlers, runs
// a rotation, and expects CheckInvariants to report it under the invariant
// that names it. The same rotation without the plant is the control: every
// invariant holds there.

// plant is one deliberately broken build.
type plant struct {
	name   string
	target string
	mode   rotation.Mode
	// invariant is the prefix the report must carry ("invariant 6:").
	invariant string
	// arm breaks the world before the rotation starts.
	arm func(t *testing.T, w *world)
}

func plants() []plant {
	return []plant{
		{
			// DeleteOld believes Datadog, which answers 204 to the delete of
			// the old key without deleting it: a step that reports a key
			// revoked without revoking it. The old key is not a managed one
			// (it is the team's first), so invariant 2 cannot see it.
			name: "DeleteOld reports the old key revoked, but it lives", target: "payments", mode: rotation.ModeScheduled,
			invariant: "invariant 6:",
			arm: func(t *testing.T, w *world) {
				w.at("DeleteOld", func(*asl.Execution) error {
					w.Datadog.AddFault(ddemu.Fault{Op: ddemu.DeleteAPIKey, Status: 204})
					return nil
				})
			},
		},
		{
			// A DeleteOld that counts a refused delete (403) as done.
			name: "a refused delete counted as done (compromise)", target: "analytics", mode: rotation.ModeCompromise,
			invariant: "invariant 6:",
			arm: func(t *testing.T, w *world) {
				w.at("DeleteOld", func(*asl.Execution) error {
					w.Datadog.AddFault(ddemu.Fault{Op: ddemu.DeleteServiceAccountAppKey, Status: 403})
					return nil
				})
				wrapKeys(w, func(k rotation.KeysAPI) rotation.KeysAPI { return swallowDeletes{k} })
			},
		},
		{
			// Create makes its API key twice and deletes the first: only
			// one survives, so counting the keys alive cannot tell.
			name: "Create makes its API key twice and cleans up", target: "payments", mode: rotation.ModeScheduled,
			invariant: "invariant 3:",
			arm: func(t *testing.T, w *world) {
				wrapKeys(w, func(k rotation.KeysAPI) rotation.KeysAPI { return createTwice{KeysAPI: k} })
			},
		},
		{
			// The same with the application key: the second is made while
			// the first still exists.
			name: "Create makes its application key twice and cleans up", target: "analytics", mode: rotation.ModeScheduled,
			invariant: "invariant 3:",
			arm: func(t *testing.T, w *world) {
				wrapKeys(w, func(k rotation.KeysAPI) rotation.KeysAPI { return createTwice{KeysAPI: k, appKeys: true} })
			},
		},
		{
			// Notify names one target in the attributes and another in
			// the body: checkout's team would receive analytics' news.
			name: "a notification's attribute names another target", target: "analytics", mode: rotation.ModeScheduled,
			invariant: "invariant 7:",
			arm: func(t *testing.T, w *world) {
				wrapTopic(w, func(in *sns.PublishInput) {
					in.MessageAttributes["target"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("checkout")}
				})
			},
		},
		{
			// Notify puts another target's secret in the body.
			name: "a notification carries another target's secretArn", target: "payments", mode: rotation.ModeScheduled,
			invariant: "invariant 7:",
			arm: func(t *testing.T, w *world) {
				other := w.Targets["checkout"].SecretARN
				wrapTopic(w, func(in *sns.PublishInput) { editBody(t, in, func(m *rotation.Message) { m.SecretARN = other }) })
			},
		},
		{
			// Notify reports another target's key as this one's old key.
			name: "a notification carries another target's key id", target: "payments", mode: rotation.ModeCompromise,
			invariant: "invariant 7:",
			arm: func(t *testing.T, w *world) {
				other, _ := w.CurrentKeys("checkout")
				wrapTopic(w, func(in *sns.PublishInput) {
					editBody(t, in, func(m *rotation.Message) {
						if m.OldKey != nil {
							m.OldKey.APIKeyID = other.APIKeyID
						}
					})
				})
			},
		},
		{
			// Create records a grace period in compromise mode: the leaked
			// key lives a minute longer.
			name: "a compromise rotation waits before revoking", target: "payments", mode: rotation.ModeCompromise,
			invariant: "invariant 8:",
			arm: func(t *testing.T, w *world) {
				w.Engine.SetFunction(localenv.FunctionARN(deploy.StepCreate), lambda.NewHandler(
					func(ctx context.Context, req rotation.CreateRequest) (rotation.Record, error) {
						rec, err := w.Steps.Create(ctx, req)
						rec.GraceSeconds = 60
						return rec, err
					}))
			},
		},
		{
			// Verify ignores a pair that does not authorise: Datadog says
			// 403 to the new pair, and Store makes it current anyway. (The
			// emulator's keys are fine, so invariant 1 cannot see it.)
			name: "Verify lets a pair that failed validation through", target: "analytics", mode: rotation.ModeScheduled,
			invariant: "invariant 9:",
			arm: func(t *testing.T, w *world) {
				w.at("Verify", func(*asl.Execution) error {
					w.Datadog.AddFault(ddemu.Fault{Op: ddemu.ValidateKeys, Status: 403})
					return nil
				})
				w.at("Store", func(*asl.Execution) error {
					w.Datadog.ClearFaults()
					return nil
				})
				w.Engine.SetFunction(localenv.FunctionARN(deploy.StepVerify), lambda.NewHandler(
					func(ctx context.Context, req rotation.StepRequest) error {
						_ = w.Steps.Verify(ctx, req) // the bug: the verdict is dropped
						return nil
					}))
			},
		},
		{
			// Verify is skipped: nothing was ever validated.
			name: "Store without Verify", target: "payments", mode: rotation.ModeCompromise,
			invariant: "invariant 9:",
			arm: func(t *testing.T, w *world) {
				w.Engine.SetFunction(localenv.FunctionARN(deploy.StepVerify), lambda.NewHandler(
					func(context.Context, rotation.StepRequest) error { return nil }))
			},
		},
	}
}

func TestInvariantsCatchPlantedBugs(t *testing.T) {
	for _, p := range plants() {
		t.Run(p.name, func(t *testing.T) {
			control := newWorld(t)
			wantStatus(t, control.rotate(t, p.target, p.mode), asl.StatusSucceeded)
			if got := control.CheckInvariants(context.Background()); len(got) > 0 {
				t.Fatalf("the control (no bug planted) violates invariants:\n%s", strings.Join(got, "\n"))
			}

			w := newWorld(t)
			p.arm(t, w)
			x := w.rotate(t, p.target, p.mode)
			w.Datadog.ClearFaults()
			got := w.CheckInvariants(context.Background())
			found := false
			for _, v := range got {
				found = found || strings.HasPrefix(v, p.invariant)
			}
			if !found {
				t.Errorf("the execution ended %s (states %s) and CheckInvariants did not report %q; it reported:\n%s",
					x.Status(), statesVisited(x), p.invariant, strings.Join(got, "\n"))
			}
			t.Logf("reported:\n%s", strings.Join(got, "\n"))
		})
	}
}

// wrapKeys replaces the steps' Datadog client with a double around it.
func wrapKeys(w *world, wrap func(rotation.KeysAPI) rotation.KeysAPI) {
	inner := w.Steps.Keys
	w.Steps.Keys = func(admin credential.Admin) (rotation.KeysAPI, error) {
		k, err := inner(admin)
		if err != nil {
			return nil, err
		}
		return wrap(k), nil
	}
}

// swallowDeletes counts every failed delete as done.
type swallowDeletes struct{ rotation.KeysAPI }

func (k swallowDeletes) DeleteAPIKey(ctx context.Context, id string) error {
	_ = k.KeysAPI.DeleteAPIKey(ctx, id)
	return nil
}

func (k swallowDeletes) DeleteAppKey(ctx context.Context, sa, id string) error {
	_ = k.KeysAPI.DeleteAppKey(ctx, sa, id)
	return nil
}

// createTwice makes each key twice (API keys, or application keys when
// appKeys is set) and deletes the first, so that one survives.
type createTwice struct {
	rotation.KeysAPI
	appKeys bool
}

func (k createTwice) CreateAPIKey(ctx context.Context, name string) (datadog.APIKey, error) {
	if k.appKeys {
		return k.KeysAPI.CreateAPIKey(ctx, name)
	}
	first, err := k.KeysAPI.CreateAPIKey(ctx, name)
	if err != nil {
		return first, err
	}
	second, err := k.KeysAPI.CreateAPIKey(ctx, name)
	if err != nil {
		return second, err
	}
	return second, k.KeysAPI.DeleteAPIKey(ctx, first.ID)
}

func (k createTwice) CreateAppKey(ctx context.Context, sa, name string, scopes []string) (datadog.AppKey, error) {
	if !k.appKeys {
		return k.KeysAPI.CreateAppKey(ctx, sa, name, scopes)
	}
	first, err := k.KeysAPI.CreateAppKey(ctx, sa, name, scopes)
	if err != nil {
		return first, err
	}
	second, err := k.KeysAPI.CreateAppKey(ctx, sa, name, scopes)
	if err != nil {
		return second, err
	}
	return second, k.KeysAPI.DeleteAppKey(ctx, sa, first.ID)
}

// wrapTopic replaces the steps' SNS client with one that edits each
// message before publishing it.
func wrapTopic(w *world, edit func(*sns.PublishInput)) {
	w.Steps.Topic = editingTopic{inner: w.Steps.Topic, edit: edit}
}

type editingTopic struct {
	inner rotation.PublishAPI
	edit  func(*sns.PublishInput)
}

func (p editingTopic) Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error) {
	p.edit(in)
	return p.inner.Publish(ctx, in, opts...)
}

// editBody edits the notification in a Publish's body.
func editBody(t *testing.T, in *sns.PublishInput, edit func(*rotation.Message)) {
	var m rotation.Message
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &m); err != nil {
		t.Errorf("the published body is not a notification: %v", err)
		return
	}
	edit(&m)
	body, err := json.Marshal(m)
	if err != nil {
		t.Error(err)
		return
	}
	in.Message = aws.String(string(body))
}
