package main

import (
	"maps"
	"slices"
	"testing"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/lambdaenv"
)

// Every step of the deploy contract has its permissions, and nothing else
// does: a step added to the contract cannot deploy without its grants.
func TestEveryStepHasItsAccess(t *testing.T) {
	for _, step := range deploy.Steps() {
		if _, ok := stepAccesses[step]; !ok {
			t.Errorf("step %q has no entry in stepAccesses", step)
		}
	}
	for step := range stepAccesses {
		if !step.Valid() {
			t.Errorf("stepAccesses has %q, which is not a step of the deploy contract", step)
		}
	}
}

// Each Lambda's environment holds exactly the variables its code reads
// (lambdaenv.SettingsFromEnv), so the stack and the steps cannot drift
// apart: a variable set and never read, or read and never set, fails here.
func TestLambdaEnvironmentIsWhatTheStepsRead(t *testing.T) {
	s := synthTestStack(t)
	want := slices.Sorted(slices.Values(lambdaenv.DeployedEnv()))
	for _, step := range deploy.Steps() {
		_, function := s.resourceWith(t, "AWS::Lambda::Function", "FunctionName", s.cfg.FunctionName(step))
		variables := function["Environment"].(map[string]any)["Variables"].(map[string]any)
		if got := slices.Sorted(maps.Keys(variables)); !slices.Equal(got, want) {
			t.Errorf("%s: the stack sets %q, the step reads %q", step, got, want)
		}
	}
}

// The retention periods the config accepts are those this app can deploy.
func TestLogRetentionsAreTheConfigs(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(logRetentions)), deploy.LogRetentionDays(); !slices.Equal(got, want) {
		t.Errorf("infra maps retentions %v, the config accepts %v", got, want)
	}
}
