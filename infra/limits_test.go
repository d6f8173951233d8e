package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"

	"github.com/ddrotate/ddrotate/infra/templatelimits"
	"github.com/ddrotate/ddrotate/internal/fleetconfig"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/statemachine"
)

// checkLimits names the template or role and the limit it would break.
func TestCheckLimitsNamesEachLimit(t *testing.T) {
	ok := templatelimits.TemplateStats{File: "ok.template.json", Resources: 500, Outputs: 200, Parameters: 200, Bytes: deploy.TemplateBytesLimit,
		Roles: []templatelimits.RoleStats{{ID: "Fine", PolicyChars: deploy.RolePolicyLimit, TrustChars: deploy.TrustPolicyLimit}}}
	if err := templatelimits.Check([]templatelimits.TemplateStats{ok}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	bad := templatelimits.TemplateStats{File: "big.template.json", Resources: 501, Outputs: 201, Parameters: 201, Bytes: deploy.TemplateBytesLimit + 1,
		Roles: []templatelimits.RoleStats{{ID: "Wordy", PolicyChars: deploy.RolePolicyLimit + 1, TrustChars: deploy.TrustPolicyLimit + 1}}}
	err := templatelimits.Check([]templatelimits.TemplateStats{bad})
	for _, want := range []string{"501 resources, more than CloudFormation's 500", "201 outputs", "201 parameters", "1000001 bytes",
		"role Wordy in big.template.json has inline policies of up to 10241 characters, more than IAM's 10240", "trust policy of up to 2049 characters"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkLimits = %v, want it to say %q", err, want)
		}
	}
	many := templatelimits.TemplateStats{File: "roles.template.json", Roles: make([]templatelimits.RoleStats, deploy.RolesPerAccountMax+1)}
	if err := templatelimits.Check([]templatelimits.TemplateStats{many}); err == nil || !strings.Contains(err.Error(), "5001 IAM roles") {
		t.Errorf("too many roles: %v", err)
	}
}

// The policy sizes count each reference at its longest value.
func TestPolicyCharsRendersReferencesAtTheirLongest(t *testing.T) {
	var document any
	if err := json.Unmarshal([]byte(`{"Statement": [{"Action": "kms:Decrypt", "Effect": "Allow",
		"Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":key/", {"Ref": "Param"}]]}}],
		"Version": "2012-10-17"}`), &document); err != nil {
		t.Fatal(err)
	}
	resource := "arn:aws-us-gov:kms:ap-southeast-5:123456789012:key/" + templatelimits.LongestReference
	want := len(`{"Statement":[{"Action":"kms:Decrypt","Effect":"Allow","Resource":"` + resource + `"}],"Version":"2012-10-17"}`)
	if got := templatelimits.PolicyChars(document); got != want {
		t.Errorf("policyChars = %d, want %d", got, want)
	}
}

// The role policy and template sizes do not depend on the fleet: the test
// config's are the same as a thousand targets' (below), within limits.
func TestTestConfigWithinEveryLimit(t *testing.T) {
	s := synthTestStack(t)
	stats, err := templatelimits.Stats(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := templatelimits.Check(stats); err != nil {
		t.Error(err)
	}
	if len(stats) < 2 {
		t.Errorf("%d templates, want the main stack's and its nested stacks'", len(stats))
	}
}

// The label that qualifies the fleet's child workflow executions in the
// fleet role's policy is the definition's.
func TestFleetMapLabelIsTheDefinitions(t *testing.T) {
	var def struct {
		States map[string]struct {
			Type, Label string
		}
	}
	if err := json.Unmarshal(statemachine.RotateFleetDefinition, &def); err != nil {
		t.Fatal(err)
	}
	if def.States["RotateEach"].Type != "Map" || def.States["RotateEach"].Label != fleetMapLabel {
		t.Errorf("rotate-fleet's RotateEach is %+v, want a Map labelled %s", def.States["RotateEach"], fleetMapLabel)
	}
}

// thousandTargets is the fleet of the issue: 1,000 team targets of 250
// team accounts, a tenth with a direct reader.
var thousandTargets = fleetconfig.Shape{Targets: 1000, MaxConcurrency: 100, ToleratedFailurePercentage: 5}

// A thousand targets synthesize into templates within every CloudFormation
// limit, roles within every IAM limit and cdk-nag's checks, with the step
// roles' policies the same size as for three targets and as many roles as
// the account's default quota has room for.
func TestThousandTargetsWithinEveryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizing a thousand targets takes most of a minute")
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "config.json")
	if err := thousandTargets.Write(config); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	big, err := synthConfig(config, filepath.Join(dir, "cdk.out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("synthesized 1,000 targets in %v", time.Since(start).Round(time.Second))
	for _, message := range big.messages {
		if message.Level == cxapi.SynthesisMessageLevel_ERROR {
			t.Errorf("%s: %v", *message.Id, message.Entry.Data)
		}
	}
	stats, err := templatelimits.Stats(big.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := templatelimits.Check(stats); err != nil {
		t.Error(err)
	}
	roles := 0
	largest := templatelimits.TemplateStats{}
	for _, st := range stats {
		roles += len(st.Roles)
		if st.Resources > largest.Resources {
			largest = st
		}
	}
	groups := len(big.cfg.ReaderGroups())
	if want := deploy.FixedRoles() + groups; roles != want || roles > deploy.RolesPerAccountQuota/2 {
		t.Errorf("%d roles, want one per step, state machine and the schedule and one per reader group (%d): %d, and within half the default quota", roles, groups, want)
	}
	if secrets := len(big.resources("AWS::SecretsManager::Secret")); secrets != 1001 {
		t.Errorf("%d secrets, want 1,001", secrets)
	}
	t.Logf("%d templates; the largest, %s: %d resources, %d outputs, %d parameters, %d bytes; %d roles",
		len(stats), largest.File, largest.Resources, largest.Outputs, largest.Parameters, largest.Bytes, roles)

	// The step roles' policies are the same as for the three targets of
	// the test config: they do not grow with the fleet.
	small := synthTestStack(t)
	for _, step := range deploy.Steps() {
		_, smallFunction := small.resourceWith(t, "AWS::Lambda::Function", "FunctionName", "ddr-test-"+string(step))
		_, bigFunction := big.resourceWith(t, "AWS::Lambda::Function", "FunctionName", "ddrotate-"+string(step))
		smallGrants := strings.ReplaceAll(strings.Join(small.roleGrants(roleOf(smallFunction["Role"])), "\n"), "ddr-test", "ddrotate")
		bigGrants := strings.Join(big.roleGrants(roleOf(bigFunction["Role"])), "\n")
		// The test config has a VPC; the generated one does not.
		var kept []string
		for _, g := range strings.Split(smallGrants, "\n") {
			if !strings.HasPrefix(g, "ec2:") {
				kept = append(kept, g)
			}
		}
		if strings.Join(kept, "\n") != bigGrants {
			t.Errorf("step %s: a thousand targets' role grants\n%s\nwant the three targets' \n%s", step, bigGrants, strings.Join(kept, "\n"))
		}
	}
}
