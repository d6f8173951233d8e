package rotation_test

import (
	"encoding/json"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/internal/testkeys"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// subscribe subscribes a team's queue to the topic, filtered to its target
// as the README tells teams to.
func (f *fixture) subscribe(target string) string {
	f.t.Helper()
	sub, err := f.topic.Subscribe(f.ctx, &sns.SubscribeInput{
		TopicArn:              aws.String(f.topicARN),
		Protocol:              aws.String("sqs"),
		Endpoint:              aws.String("arn:aws:sqs:" + region + ":111111111111:" + target + "-ddrotate-events"),
		ReturnSubscriptionArn: true,
		Attributes:            map[string]string{"FilterPolicy": `{"target": ["` + target + `"]}`},
	})
	if err != nil {
		f.t.Fatalf("subscribe: %v", err)
	}
	return aws.ToString(sub.SubscriptionArn)
}

// Fields of the notification JSON, as the README documents them.
var (
	commonFields  = []string{"event", "target", "mode", "secretArn", "versionId", "executionId", "time", "newKey", "oldKey"}
	rotatedFields = append(slices.Clone(commonFields), "oldKeyExpiresAt")
	revokedFields = append(slices.Clone(commonFields), "revoked")
	failedFields  = append(slices.Clone(commonFields), "stage", "currentKeyUnchanged", "error", "errorMessage")
)

// TestNotify publishes each event and checks the message a team receives:
// the attributes its filter policy matches, the documented JSON fields, and
// no key value.
func TestNotify(t *testing.T) {
	f := newFixture(t)
	paymentsInbox := f.subscribe(payments)

	scheduled := f.rotateThroughStore(payments, rotation.ModeScheduled)
	revoked, err := f.deleteOld(scheduled)
	if err != nil {
		t.Fatalf("DeleteOld: %v", err)
	}
	compromise := f.rotateThroughStore(analytics, rotation.ModeCompromise)
	leakyCause := `{"errorMessage":"validate: key ` + f.targets[payments].APIKey.Key + ` refused","errorType":"DatadogError"}`

	tests := []struct {
		name       string
		req        rotation.NotifyRequest
		wantTarget string
		wantFields []string
		check      func(t *testing.T, m map[string]any)
	}{
		{"rotated, scheduled", rotation.NotifyRequest{Event: rotation.EventRotated, ExecutionID: scheduled.ExecutionID, Rotation: &scheduled},
			payments, rotatedFields, func(t *testing.T, m map[string]any) {
				wantRecordFields(t, m, scheduled)
				wantTime(t, m, "oldKeyExpiresAt", fixedNow.Add(defaultGrace))
			}},
		{"rotated, compromise", rotation.NotifyRequest{Event: rotation.EventRotated, ExecutionID: compromise.ExecutionID, Rotation: &compromise},
			analytics, rotatedFields, func(t *testing.T, m map[string]any) {
				wantRecordFields(t, m, compromise)
				wantTime(t, m, "oldKeyExpiresAt", fixedNow) // no grace
			}},
		{"old-key-revoked", rotation.NotifyRequest{Event: rotation.EventOldKeyRevoked, ExecutionID: scheduled.ExecutionID, Rotation: &scheduled, Revoked: &revoked},
			payments, revokedFields, func(t *testing.T, m map[string]any) {
				wantRecordFields(t, m, scheduled)
				list, _ := m["revoked"].([]any)
				if len(list) != 1 || list[0].(map[string]any)["id"] != scheduled.Old.APIKeyID || list[0].(map[string]any)["last4"] != scheduled.Old.APIKeyLast4 {
					t.Errorf("revoked %v, want the old key %s (…%s)", m["revoked"], scheduled.Old.APIKeyID, scheduled.Old.APIKeyLast4)
				}
			}},
		{"rotation-failed before store", rotation.NotifyRequest{Event: rotation.EventFailed, Stage: "before-store", ExecutionID: compromise.ExecutionID, Rotation: &compromise,
			Error: &rotation.StepFailure{Error: "KeyNotYetValidError", Cause: `{"errorMessage":"the new key does not validate yet","errorType":"KeyNotYetValidError"}`}},
			analytics, failedFields, func(t *testing.T, m map[string]any) {
				wantRecordFields(t, m, compromise)
				wantField(t, m, "stage", "before-store")
				wantField(t, m, "currentKeyUnchanged", true)
				wantField(t, m, "error", "KeyNotYetValidError")
				wantField(t, m, "errorMessage", "the new key does not validate yet")
			}},
		{"rotation-failed after store", rotation.NotifyRequest{Event: rotation.EventFailed, Stage: "after-store", ExecutionID: scheduled.ExecutionID, Rotation: &scheduled,
			Error: &rotation.StepFailure{Error: "States.Timeout", Cause: "the task timed out"}},
			payments, failedFields, func(t *testing.T, m map[string]any) {
				wantField(t, m, "currentKeyUnchanged", false)
				wantField(t, m, "errorMessage", "the task timed out")
			}},
		{"rotation-failed before Create made a record", rotation.NotifyRequest{Event: rotation.EventFailed, Stage: "before-store", ExecutionID: executionArn + "create-failed",
			Input: json.RawMessage(`{"target":"payments","mode":"compromise"}`),
			Error: &rotation.StepFailure{Error: "RotationInProgressError", Cause: `{"errorMessage":"a rotation is already in progress","errorType":"RotationInProgressError"}`}},
			payments, []string{"event", "target", "mode", "secretArn", "executionId", "time", "stage", "currentKeyUnchanged", "error", "errorMessage"}, func(t *testing.T, m map[string]any) {
				wantField(t, m, "mode", "compromise")
				wantField(t, m, "secretArn", f.targets[payments].SecretARN)
			}},
		{"rotation-failed, malformed input", rotation.NotifyRequest{Event: rotation.EventFailed, Stage: "before-store", ExecutionID: executionArn + "bad-input",
			Input: json.RawMessage(`{"target": 5, "mdoe": "compromise"}`),
			Error: &rotation.StepFailure{Error: "InputError", Cause: `{"errorMessage":"execution input: field \"target\": must be a string","errorType":"InputError"}`}},
			"unknown", []string{"event", "target", "executionId", "time", "stage", "currentKeyUnchanged", "error", "errorMessage"}, nil},
		{"rotation-failed, input not an object", rotation.NotifyRequest{Event: rotation.EventFailed, Stage: "before-store", ExecutionID: executionArn + "bad-input-2",
			Input: json.RawMessage(`"payments"`), Error: &rotation.StepFailure{Error: "InputError", Cause: "bad input"}},
			"unknown", []string{"event", "target", "executionId", "time", "stage", "currentKeyUnchanged", "error", "errorMessage"}, nil},
		{"rotation-failed, cause quoting a key", rotation.NotifyRequest{Event: rotation.EventFailed, Stage: "before-store", ExecutionID: scheduled.ExecutionID, Rotation: &scheduled,
			Error: &rotation.StepFailure{Error: "DatadogError", Cause: leakyCause}},
			payments, failedFields, func(t *testing.T, m map[string]any) {
				msg, _ := m["errorMessage"].(string)
				if !strings.HasPrefix(msg, "validate: key ") || !strings.HasSuffix(msg, " refused") {
					t.Errorf("errorMessage %q lost the cause's words", msg)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every case is told by a running execution (forged ones are
			// refused; see trust_test.go).
			if tt.req.Rotation == nil {
				f.execs.set(tt.req.ExecutionID, sfntypes.ExecutionStatusRunning)
				f.execs.started(tt.req.ExecutionID, tt.req.Input)
			}
			n := len(f.published())
			res, err := f.notify(tt.req)
			if err != nil {
				t.Fatalf("Notify: %v", err)
			}
			msgs := f.published()
			if len(msgs) != n+1 {
				t.Fatalf("published %d messages, want 1", len(msgs)-n)
			}
			got := msgs[n]
			if got.MessageID != res.MessageID {
				t.Errorf("Notify returned message id %q, SNS has %q", res.MessageID, got.MessageID)
			}
			wantAttrs := map[string]string{"target": tt.wantTarget, "event": string(tt.req.Event)}
			if !maps.Equal(got.Attributes, wantAttrs) {
				t.Errorf("message attributes %v, want %v", got.Attributes, wantAttrs)
			}
			if !strings.Contains(got.Subject, tt.wantTarget) {
				t.Errorf("subject %q does not name %s", got.Subject, tt.wantTarget)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(got.Message), &m); err != nil {
				t.Fatalf("message is not JSON: %v", err)
			}
			if fields := slices.Sorted(maps.Keys(m)); !slices.Equal(fields, sorted(tt.wantFields)) {
				t.Errorf("message fields %v, want %v", fields, sorted(tt.wantFields))
			}
			wantField(t, m, "event", string(tt.req.Event))
			wantField(t, m, "target", tt.wantTarget)
			wantField(t, m, "executionId", tt.req.ExecutionID)
			wantTime(t, m, "time", fixedNow)
			if tt.check != nil {
				tt.check(t, m)
			}
			if l := localenv.Leaks(f.keyValues(), map[string]string{"message": got.Message + got.Subject}); len(l) != 0 {
				t.Errorf("%v", l)
			}
		})
	}

	t.Run("bad requests publish nothing", func(t *testing.T) {
		n := len(f.published())
		for _, req := range []rotation.NotifyRequest{
			{Event: "exploded", ExecutionID: scheduled.ExecutionID, Rotation: &scheduled},
			{Event: rotation.EventRotated, ExecutionID: scheduled.ExecutionID},
			{Event: rotation.EventOldKeyRevoked, ExecutionID: scheduled.ExecutionID},
		} {
			_, err := f.notify(req)
			wantErrorName(t, err, "InputError")
		}
		if got := len(f.published()); got != n {
			t.Errorf("bad requests published %d messages", got-n)
		}
	})

	// The payments team's filtered subscription got exactly its messages.
	var want []string
	for _, m := range f.published() {
		if m.Attributes["target"] == payments {
			want = append(want, m.MessageID)
		}
	}
	var got []string
	for _, m := range f.aws.Inbox(paymentsInbox) {
		got = append(got, m.MessageID)
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("the payments subscription received %v, want the payments messages %v", got, want)
	}
}

// wantRecordFields checks the fields of a message that come from the record.
func wantRecordFields(t *testing.T, m map[string]any, rec rotation.Record) {
	t.Helper()
	wantField(t, m, "mode", string(rec.Mode))
	wantField(t, m, "secretArn", rec.SecretARN)
	wantField(t, m, "versionId", rec.PendingVersionID)
	for field, keys := range map[string]rotation.Keys{"newKey": rec.New, "oldKey": rec.Old} {
		want := map[string]any{"apiKeyId": keys.APIKeyID, "apiKeyLast4": keys.APIKeyLast4}
		if keys.AppKeyID != "" {
			want["appKeyId"], want["appKeyLast4"] = keys.AppKeyID, keys.AppKeyLast4
		}
		if got, _ := m[field].(map[string]any); !maps.Equal(got, want) {
			t.Errorf("%s = %v, want %v", field, m[field], want)
		}
	}
}

func wantField(t *testing.T, m map[string]any, field string, want any) {
	t.Helper()
	if got := m[field]; got != want {
		t.Errorf("%s = %v, want %v", field, got, want)
	}
}

func wantTime(t *testing.T, m map[string]any, field string, want time.Time) {
	t.Helper()
	s, _ := m[field].(string)
	got, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !got.Equal(want) {
		t.Errorf("%s = %q, want %s", field, s, want.Format(time.RFC3339))
	}
}

// TestLeakScan makes sure the leak check would see a leak: a key value
// anywhere in an emission is reported, a last4 is not.
func TestLeakScan(t *testing.T) {
	value := testkeys.APIKey("leak scan")
	if got := localenv.Leaks([]string{value}, map[string]string{"logs": `{"msg":"x","key":"` + value + `"}`}); len(got) != 1 {
		t.Errorf("a value in the logs was not reported: %v", got)
	}
	if got := localenv.Leaks([]string{value}, map[string]string{"logs": `{"last4":"` + value[len(value)-4:] + `"}`}); len(got) != 0 {
		t.Errorf("a last4 was reported as a leak: %v", got)
	}
}
