package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Labels of the test stack's resources and ARNs, as template_test.go renders them.
const (
	viaSecretsManager  = " if kms:ViaService=secretsmanager.<AWS::Region>.amazonaws.com"
	viaSNS             = " if kms:ViaService=sns.<AWS::Region>.amazonaws.com"
	arnPrefix          = "arn:<AWS::Partition>:"
	regionAccount      = "<AWS::Region>:<AWS::AccountId>:"
	targetMachineARN   = arnPrefix + "states:" + regionAccount + "stateMachine:ddr-test-rotate-target"
	fleetMachineARN    = arnPrefix + "states:" + regionAccount + "stateMachine:ddr-test-rotate-fleet"
	targetExecutions   = arnPrefix + "states:" + regionAccount + "execution:ddr-test-rotate-target:*"
	networkInterfaces  = arnPrefix + "ec2:" + regionAccount + "network-interface/*"
	inTargetMachine    = " if kms:EncryptionContext:aws:states:stateMachineArn=" + targetMachineARN
	inFleetMachine     = " if kms:EncryptionContext:aws:states:stateMachineArn=" + fleetMachineARN
	notificationsTopic = "topic:ddr-test-notifications"
	// deploymentSecrets are the secrets under the test config's prefix,
	// which policies narrow with the deployment's tag.
	deploymentSecrets = arnPrefix + "secretsmanager:" + regionAccount + "secret:ddr-test/*"
	ofTheDeployment   = " if secretsmanager:ResourceTag/ddrotate:deployment=ddr-test"
	fleetChildren     = arnPrefix + "states:" + regionAccount + "execution:ddr-test-rotate-fleet/RotateEach:*"
	fleetMapRunARN    = arnPrefix + "states:" + regionAccount + "stateMachine:ddr-test-rotate-fleet/RotateEach"
)

// actionsWithoutResourceLevel are the only actions any role may hold on
// "*", each because IAM cannot scope it to a resource.
var actionsWithoutResourceLevel = map[string]string{
	"logs:CreateLogDelivery":        "state machine logging (vended log delivery)",
	"logs:GetLogDelivery":           "state machine logging (vended log delivery)",
	"logs:UpdateLogDelivery":        "state machine logging (vended log delivery)",
	"logs:DeleteLogDelivery":        "state machine logging (vended log delivery)",
	"logs:ListLogDeliveries":        "state machine logging (vended log delivery)",
	"logs:PutResourcePolicy":        "state machine logging (vended log delivery)",
	"logs:DescribeResourcePolicies": "state machine logging (vended log delivery)",
	"logs:DescribeLogGroups":        "state machine logging (vended log delivery)",
	"xray:PutTraceSegments":         "state machine X-Ray tracing",
	"xray:PutTelemetryRecords":      "state machine X-Ray tracing",
	"xray:GetSamplingRules":         "state machine X-Ray tracing",
	"xray:GetSamplingTargets":       "state machine X-Ray tracing",
	"ec2:DescribeNetworkInterfaces": "Lambda network interfaces in the VPC",
	"ec2:DescribeSubnets":           "Lambda network interfaces in the VPC",
	"secretsmanager:ListSecrets":    "the listtargets step finds the deployment's secrets",
}

// scopedWildcards are the only resources with a wildcard inside an ARN:
// run-time names within one state machine or one account's region, and
// the deployment's secrets, which every grant on them narrows with the
// deployment's tag.
var scopedWildcards = []string{targetExecutions, networkInterfaces, fleetChildren, deploymentSecrets}

func TestWildcardResourcesOnlyForActionsWithoutResourceLevel(t *testing.T) {
	s := synthTestStack(t)
	for roleID := range s.resources("AWS::IAM::Role") {
		for _, grant := range s.roleGrants(roleID) {
			action, rest, _ := strings.Cut(grant, " on ")
			resource, _, _ := strings.Cut(rest, " if ")
			switch {
			case resource == "*":
				if _, ok := actionsWithoutResourceLevel[action]; !ok {
					t.Errorf("role %s: %q is granted on \"*\" but has resource-level permissions", roleID, action)
				}
			case strings.Contains(resource, "*") && !slices.Contains(scopedWildcards, resource):
				t.Errorf("role %s: %q has an unexpected wildcard resource", roleID, grant)
			case resource == deploymentSecrets && !strings.Contains(grant, ofTheDeployment):
				t.Errorf("role %s: %q reaches the deployment's secrets without its tag", roleID, grant)
			}
		}
	}
}

// stepBaseline is what every step role holds: its own logs, and Lambda's
// network interfaces in the test config's VPC.
func stepBaseline(step deploy.Step) []string {
	subnet := arnPrefix + "ec2:" + regionAccount + "subnet/"
	return slices.Concat(
		grantsOf([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, []string{"log-group:/aws/lambda/ddr-test-" + string(step)}, ""),
		grantsOf([]string{"ec2:CreateNetworkInterface"}, []string{
			networkInterfaces,
			arnPrefix + "ec2:" + regionAccount + "security-group/security-group",
			subnet + "subnet-0123456789abcdef0",
			subnet + "subnet-0fedcba9876543210",
		}, ""),
		grantsOf([]string{"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}, []string{networkInterfaces}, ""),
		grantsOf([]string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}, []string{"*"}, ""),
	)
}

func TestStepRolesGrantOnlyTheirStep(t *testing.T) {
	const (
		describe   = "secretsmanager:DescribeSecret"
		getValue   = "secretsmanager:GetSecretValue"
		putValue   = "secretsmanager:PutSecretValue"
		moveLabels = "secretsmanager:UpdateSecretVersionStage"
	)
	readKey := grantsOf([]string{"kms:Decrypt"}, []string{"key"}, viaSecretsManager)
	writeKey := grantsOf([]string{"kms:Decrypt", "kms:GenerateDataKey"}, []string{"key"}, viaSecretsManager)
	// Every step may read whether an execution of the rotate-target state
	// machine is running and what it rotates: no step trusts its payload.
	describeExecutions := slices.Concat(
		grantsOf([]string{"states:DescribeExecution"}, []string{targetExecutions}, ""),
		grantsOf([]string{"kms:Decrypt"}, []string{"key"}, inTargetMachine),
	)
	secrets := func(actions ...string) []string {
		return grantsOf(actions, []string{deploymentSecrets}, ofTheDeployment)
	}
	want := map[deploy.Step][]string{
		deploy.StepCreate: slices.Concat(
			secrets(describe, getValue, putValue, moveLabels),
			writeKey,
		),
		deploy.StepVerify: slices.Concat(secrets(describe, getValue), readKey),
		// Store moves labels only: it reads no value, the admin's included.
		deploy.StepStore: secrets(describe, moveLabels),
		deploy.StepNotify: slices.Concat(
			secrets(describe),
			grantsOf([]string{"sns:Publish"}, []string{notificationsTopic}, ""),
			grantsOf([]string{"kms:GenerateDataKey*", "kms:Decrypt"}, []string{"key"}, viaSNS),
		),
		deploy.StepDeleteOld: slices.Concat(secrets(describe, getValue), readKey),
		deploy.StepRollback:  slices.Concat(secrets(describe, getValue, moveLabels), writeKey),
		// ListSecrets has no resource-level permissions.
		deploy.StepListTargets: grantsOf([]string{"secretsmanager:ListSecrets"}, []string{"*"}, ""),
	}
	for step := range want {
		if step != deploy.StepListTargets {
			want[step] = append(want[step], describeExecutions...)
		}
	}
	s := synthTestStack(t)
	for _, step := range deploy.Steps() {
		t.Run(string(step), func(t *testing.T) {
			_, function := s.resourceWith(t, "AWS::Lambda::Function", "FunctionName", "ddr-test-"+string(step))
			roleID := roleOf(function["Role"])
			extra, missing := diff(s.roleGrants(roleID), append(want[step], stepBaseline(step)...))
			if len(extra) > 0 || len(missing) > 0 {
				t.Errorf("role %s:\n  grants beyond its step: %q\n  missing grants: %q", roleID, extra, missing)
			}
			trust := s.grantsOfTrust(roleID)
			if !slices.Equal(trust, []string{"sts:AssumeRole by lambda.amazonaws.com"}) {
				t.Errorf("role %s is assumable by %q, want the Lambda service only", roleID, trust)
			}
		})
	}
}

// Each reader group has one role, assumable from its account with its
// target's trust conditions only, which reads the deployment's secrets that
// carry the group's tag; the policy names no secret.
func TestReaderGroupRolesReadOnlyTheirGroupsSecrets(t *testing.T) {
	s := synthTestStack(t)
	groups := s.cfg.ReaderGroups()
	if len(groups) != 3 {
		t.Fatalf("%d reader groups, want payments' two accounts and search's one", len(groups))
	}
	wantTrust := map[string]string{
		"111111111111": "sts:AssumeRole by arn:<AWS::Partition>:iam::111111111111:root if sts:ExternalId=payments-reader",
		"121212121212": "sts:AssumeRole by arn:<AWS::Partition>:iam::121212121212:root if sts:ExternalId=payments-reader",
		"222222222222": "sts:AssumeRole by arn:<AWS::Partition>:iam::222222222222:root if aws:PrincipalOrgID=o-exampleorg1",
	}
	for _, g := range groups {
		t.Run(g.Account, func(t *testing.T) {
			roleID, _ := s.resourceWith(t, "AWS::IAM::Role", "RoleName", s.cfg.ReaderRoleName(g))
			tagged := ofTheDeployment + " & secretsmanager:ResourceTag/" + g.TagKey() + "=read"
			want := []string{
				"kms:Decrypt on key if StringLike:kms:EncryptionContext:SecretARN=" + deploymentSecrets + " & kms:ViaService=secretsmanager.<AWS::Region>.amazonaws.com",
				"secretsmanager:DescribeSecret on " + deploymentSecrets + tagged,
				"secretsmanager:GetSecretValue on " + deploymentSecrets + tagged,
			}
			if got := s.roleGrants(roleID); !slices.Equal(got, want) {
				t.Errorf("role grants %q, want exactly %q", got, want)
			}
			if got := s.grantsOfTrust(roleID); !slices.Equal(got, []string{wantTrust[g.Account]}) {
				t.Errorf("role is assumable as %q, want %q", got, wantTrust[g.Account])
			}
		})
	}
}

// What the tags let each role read, worked out from the secrets' tags: a
// reader group reads exactly the secrets of the targets that list its
// account with its trust conditions; no group reads the admin's.
func TestEachSecretIsReadableByItsOwnTeamOnly(t *testing.T) {
	s := synthTestStack(t)
	readable := map[string][]string{} // group tag key → secrets whose tags let it read
	adminTagged := false
	for _, secret := range s.resources("AWS::SecretsManager::Secret") {
		tags := map[string]string{}
		for _, tag := range listOf(secret["Tags"]) {
			tags[tag.(map[string]any)["Key"].(string)] = tag.(map[string]any)["Value"].(string)
		}
		if tags[deploy.TagDeployment] != "ddr-test" {
			t.Errorf("secret %v does not carry the deployment's tag", secret["Name"])
		}
		for key, value := range tags {
			if strings.HasPrefix(key, deploy.TagReaderPrefix) && value == deploy.ReaderTagValue {
				readable[key] = append(readable[key], secret["Name"].(string))
				adminTagged = adminTagged || tags[deploy.TagKind] == string(deploy.KindAdmin)
			}
		}
	}
	if adminTagged {
		t.Error("the admin secret carries a reader group's tag")
	}
	want := map[string][]string{}
	for _, g := range s.cfg.ReaderGroups() {
		for _, target := range g.Targets {
			want[g.TagKey()] = append(want[g.TagKey()], "ddr-test/"+target)
		}
	}
	if !maps.EqualFunc(readable, want, func(a, b []string) bool {
		return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
	}) {
		t.Errorf("readable by tag %v, want %v", readable, want)
	}
}

// Only the steps that call Datadog read secret values (and so the admin
// credential); the reader roles read secrets only under their group's tag,
// which the admin secret never carries.
func TestNoRoleButTheDatadogStepsReadsTheAdminSecret(t *testing.T) {
	s := synthTestStack(t)
	readers := map[string]bool{}
	for _, step := range []deploy.Step{deploy.StepCreate, deploy.StepVerify, deploy.StepDeleteOld, deploy.StepRollback} {
		_, function := s.resourceWith(t, "AWS::Lambda::Function", "FunctionName", "ddr-test-"+string(step))
		readers[roleOf(function["Role"])] = true
	}
	for roleID, role := range s.resources("AWS::IAM::Role") {
		for _, grant := range s.roleGrants(roleID) {
			if !strings.HasPrefix(grant, "secretsmanager:GetSecretValue") {
				continue
			}
			name, _ := role["RoleName"].(string)
			isReader := strings.HasPrefix(name, "ddr-test-read-") && strings.Contains(grant, "secretsmanager:ResourceTag/"+deploy.TagReaderPrefix)
			if !readers[roleID] && !isReader {
				t.Errorf("role %s reads secret values: %s", roleID, grant)
			}
		}
	}
}

func TestStateMachineRolesGrantWhatTheirDefinitionsCall(t *testing.T) {
	s := synthTestStack(t)
	// Added by CDK for logging, tracing and the machine's own encrypted data.
	cdkGrants := func(machineARN string) []string {
		return slices.Concat(
			grantsOf([]string{"kms:Decrypt", "kms:GenerateDataKey"}, []string{"key"}, " if kms:EncryptionContext:aws:states:stateMachineArn="+machineARN),
			grantsOf([]string{"kms:GenerateDataKey"}, []string{"key"}, " if kms:EncryptionContext:SourceArn=arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:*"),
			grantsOf([]string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
				"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}, []string{"*"}, ""),
			grantsOf([]string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"}, []string{"*"}, ""),
		)
	}
	functions := func(machine deploy.Machine) []string {
		var list []string
		for _, step := range deploy.StepsOf(machine) {
			list = append(list, "function:ddr-test-"+string(step))
		}
		return list
	}
	want := map[string][]string{
		"ddr-test-rotate-target": slices.Concat(cdkGrants(targetMachineARN), grantsOf([]string{"lambda:InvokeFunction"}, functions(deploy.MachineRotateTarget), "")),
		"ddr-test-rotate-fleet": slices.Concat(cdkGrants(fleetMachineARN),
			grantsOf([]string{"lambda:InvokeFunction"}, functions(deploy.MachineRotateFleet), ""),
			grantsOf([]string{"states:StartExecution"}, []string{"state-machine:ddr-test-rotate-target", fleetMachineARN}, ""),
			grantsOf([]string{"states:DescribeExecution", "states:StopExecution"}, []string{targetExecutions, fleetChildren}, ""),
			grantsOf([]string{"kms:GenerateDataKey", "kms:Decrypt"}, []string{"key"}, " if kms:EncryptionContext:aws:states:stateMachineArn="+fleetMapRunARN),
			grantsOf([]string{"events:PutTargets", "events:PutRule", "events:DescribeRule"},
				[]string{arnPrefix + "events:" + regionAccount + "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"}, ""),
			grantsOf([]string{"kms:GenerateDataKey", "kms:Decrypt"}, []string{"key"}, inTargetMachine),
		),
	}
	for name, wantGrants := range want {
		_, machine := s.resourceWith(t, "AWS::StepFunctions::StateMachine", "StateMachineName", name)
		roleID := roleOf(machine["RoleArn"])
		if extra, missing := diff(s.roleGrants(roleID), wantGrants); len(extra) > 0 || len(missing) > 0 {
			t.Errorf("%s role:\n  grants beyond its definition: %q\n  missing grants: %q", name, extra, missing)
		}
	}
}

func TestScheduleRoleOnlyStartsTheFleet(t *testing.T) {
	s := synthTestStack(t)
	_, rule := s.resourceWith(t, "AWS::Events::Rule", "Name", "ddr-test-scheduled-rotation")
	roleID := roleOf(listOf(rule["Targets"])[0].(map[string]any)["RoleArn"])
	want := []string{
		"kms:GenerateDataKey on key" + inFleetMachine,
		"states:StartExecution on state-machine:ddr-test-rotate-fleet",
	}
	if got := s.roleGrants(roleID); !slices.Equal(got, want) {
		t.Errorf("schedule role grants %q, want %q", got, want)
	}
}

func TestKeyPolicyDelegatesToIAMAndLogDeliveryOnly(t *testing.T) {
	s := synthTestStack(t)
	_, key := s.resourceWith(t, "AWS::KMS::Key", "EnableKeyRotation", true)
	// In a key policy "*" is the key itself; who may use it is the principal:
	// this account, which delegates to IAM policies, and the log delivery
	// service that writes the state machines' logs.
	thisAccount := " by arn:<AWS::Partition>:iam::<AWS::AccountId>:root"
	want := []string{"kms:*" + thisAccount}
	want = append(want, "kms:Decrypt* by delivery.logs.amazonaws.com")
	// The direct readers' accounts (testdata: payments' reader) may decrypt
	// through Secrets Manager and for the deployment's secrets only.
	want = append(want, "kms:Decrypt by arn:<AWS::Partition>:iam::121212121212:root if "+
		"StringLike:kms:EncryptionContext:SecretARN="+deploymentSecrets+" & "+
		"kms:ViaService=secretsmanager.<AWS::Region>.amazonaws.com")
	slices.Sort(want)
	if got := s.policyPrincipals(key["KeyPolicy"]); !slices.Equal(got, want) {
		t.Errorf("key policy grants %q, want %q", got, want)
	}
}

func TestDirectReadersReadOnlyTheirOwnSecret(t *testing.T) {
	s := synthTestStack(t)
	policies := s.resources("AWS::SecretsManager::ResourcePolicy")
	if len(policies) != 1 {
		t.Fatalf("%d secret resource policies, want 1 (payments has readers, search and the admin have none)", len(policies))
	}
	for _, policy := range policies {
		if got := s.label(policy["SecretId"]); got != "secret:ddr-test/payments" {
			t.Errorf("the readers' policy is on %s, want payments' secret", got)
		}
		want := []string{
			"secretsmanager:DescribeSecret by arn:aws:iam::121212121212:role/payments-extension",
			"secretsmanager:GetSecretValue by arn:aws:iam::121212121212:role/payments-extension",
		}
		if got := s.policyPrincipals(policy["ResourcePolicy"]); !slices.Equal(got, want) {
			t.Errorf("payments' secret policy grants %q, want %q", got, want)
		}
	}
}

// grantsOfTrust lists a role's trust policy as "action by principal[ if ...]".
func (s *synthesized) grantsOfTrust(roleID string) []string {
	return s.policyPrincipals(s.resources("AWS::IAM::Role")[roleID]["AssumeRolePolicyDocument"])
}

// policyPrincipals lists a resource policy as "action by principal[ if ...]", sorted.
func (s *synthesized) policyPrincipals(document any) []string {
	var grants []string
	for _, st := range listOf(document.(map[string]any)["Statement"]) {
		statement := st.(map[string]any)
		for _, principal := range statement["Principal"].(map[string]any) {
			for _, action := range listOf(statement["Action"]) {
				grants = append(grants, action.(string)+" by "+s.label(principal)+s.conditions(statement["Condition"]))
			}
		}
	}
	slices.Sort(grants)
	return grants
}
