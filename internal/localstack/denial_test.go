package localstack

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// removeAction drops action from every statement of the policies attached
// to the role whose logical id starts with rolePrefix.
func removeAction(t testing.TB, rolePrefix, action string) func(map[string]any) {
	return func(tmpl map[string]any) {
		removed := 0
		for _, raw := range tmpl["Resources"].(map[string]any) {
			res := raw.(map[string]any)
			if res["Type"] != "AWS::IAM::Policy" {
				continue
			}
			props := res["Properties"].(map[string]any)
			attached := false
			for _, r := range props["Roles"].([]any) {
				if ref, _ := r.(map[string]any)["Ref"].(string); strings.HasPrefix(ref, rolePrefix) {
					attached = true
				}
			}
			if !attached {
				continue
			}
			for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				stmt := st.(map[string]any)
				if actions, ok := stmt["Action"].([]any); ok {
					kept := slices.DeleteFunc(actions, func(a any) bool { return a == action })
					removed += len(actions) - len(kept)
					stmt["Action"] = kept
				}
			}
		}
		if removed == 0 {
			t.Fatalf("no statement of %s's policies grants %s", rolePrefix, action)
		}
	}
}

// TestMissingPermissionFailsAndRollsBack takes secretsmanager:PutSecretValue
// away from the Create step's role in a copy of the template: the rotation
// fails on the denial, reported as the step's AWSError, rolls back, and
// AWSCURRENT is unchanged and still works.
func TestMissingPermissionFailsAndRollsBack(t *testing.T) {
	ls := startStack(t, removeAction(t, "StepcreateRole", "secretsmanager:PutSecretValue"))
	before, versionBefore := currentValue(t, ls, "ddrotate/payments")
	keysBefore := len(ls.Datadog.APIKeys())

	out := startAndWait(t, ls, `{"target": "payments", "mode": "scheduled"}`)
	if out.Status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("execution %s, want FAILED", out.Status)
	}
	hist, err := sfn.NewFromConfig(ls.rootConfig()).GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var createFailure *sfntypes.TaskFailedEventDetails
	rolledBack := false
	for i, ev := range hist.Events {
		if ev.TaskFailedEventDetails != nil && createFailure == nil {
			createFailure = ev.TaskFailedEventDetails
			if prev := enteredState(hist.Events[:i]); prev != "Create" {
				t.Fatalf("first failure in state %q, want Create", prev)
			}
		}
		if ev.StateEnteredEventDetails != nil && aws.ToString(ev.StateEnteredEventDetails.Name) == "Rollback" {
			rolledBack = true
		}
	}
	if createFailure == nil {
		t.Fatal("no task failed")
	}
	cause := aws.ToString(createFailure.Cause)
	if aws.ToString(createFailure.Error) != "AWSError" || !strings.Contains(cause, "AccessDeniedException") ||
		!strings.Contains(cause, "secretsmanager:PutSecretValue") || !strings.Contains(cause, "assumed-role/ddrotate-StepcreateRole") {
		t.Fatalf("Create failed with %s: %s", aws.ToString(createFailure.Error), cause)
	}
	if !rolledBack {
		t.Fatal("the execution did not roll back")
	}
	after, versionAfter := currentValue(t, ls, "ddrotate/payments")
	if after != before || versionAfter != versionBefore {
		t.Fatal("AWSCURRENT changed")
	}
	if !ls.Datadog.APIKeyValid(apiKeyOf(t, after)) {
		t.Fatal("the current key no longer works")
	}
	if n := len(ls.Datadog.APIKeys()); n != keysBefore {
		t.Fatalf("%d API keys after the rollback, %d before: the new key was left behind", n, keysBefore)
	}
}

// enteredState is the last state entered in events.
func enteredState(events []sfntypes.HistoryEvent) string {
	for i := len(events) - 1; i >= 0; i-- {
		if d := events[i].StateEnteredEventDetails; d != nil {
			return aws.ToString(d.Name)
		}
	}
	return ""
}
