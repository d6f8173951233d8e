package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/statemachine"
)

func TestKeyRotatesAndEncryptsSecretsTopicAndStateMachines(t *testing.T) {
	s := synthTestStack(t)
	s.resourceCountIs(t, "AWS::KMS::Key", 1)
	s.hasResourceProperties(t, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true})
	for id, secret := range s.resources("AWS::SecretsManager::Secret") {
		if s.label(secret["KmsKeyId"]) != "key" {
			t.Errorf("secret %s is not encrypted with the stack's key", id)
		}
	}
	for id, topic := range s.resources("AWS::SNS::Topic") {
		if s.label(topic["KmsMasterKeyId"]) != "key" {
			t.Errorf("topic %s is not encrypted with the stack's key", id)
		}
	}
	for id, machine := range s.resources("AWS::StepFunctions::StateMachine") {
		encryption := machine["EncryptionConfiguration"].(map[string]any)
		if encryption["Type"] != "CUSTOMER_MANAGED_KMS_KEY" || s.label(encryption["KmsKeyId"]) != "key" {
			t.Errorf("state machine %s is not encrypted with the stack's key: %v", id, encryption)
		}
	}
}

func TestOneSecretPerTargetTaggedForTheSteps(t *testing.T) {
	s := synthTestStack(t)
	tests := []struct {
		target string
		tags   map[string]string
	}{
		{"payments", map[string]string{deploy.TagTarget: "payments", deploy.TagKind: string(deploy.KindAPIKey), deploy.TagGraceSeconds: "129600", deploy.TagMaxGraceSeconds: "604800",
			deploy.TagDeployment: "ddr-test", readerTag("111111111111", "payments-reader", ""): "read", readerTag("121212121212", "payments-reader", ""): "read"}},
		{"ddrotate-admin", map[string]string{deploy.TagTarget: "ddrotate-admin", deploy.TagKind: string(deploy.KindAdmin), deploy.TagGraceSeconds: "3600", deploy.TagMaxGraceSeconds: "604800",
			deploy.TagDeployment: "ddr-test"}},
		{"search", map[string]string{deploy.TagTarget: "search", deploy.TagKind: string(deploy.KindAPIAppKey), deploy.TagGraceSeconds: "129600", deploy.TagMaxGraceSeconds: "604800",
			deploy.TagServiceAccountID: "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", deploy.TagDeployment: "ddr-test", readerTag("222222222222", "", "o-exampleorg1"): "read"}},
	}
	s.resourceCountIs(t, "AWS::SecretsManager::Secret", len(tests))
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			id, secret := s.resourceWith(t, "AWS::SecretsManager::Secret", "Name", "ddr-test/"+tt.target)
			tags := map[string]string{}
			for _, tag := range listOf(secret["Tags"]) {
				tags[tag.(map[string]any)["Key"].(string)] = tag.(map[string]any)["Value"].(string)
			}
			if !maps.Equal(tags, tt.tags) {
				t.Errorf("tags = %v, want %v", tags, tt.tags)
			}
			if _, hasValue := secret["SecretString"]; hasValue {
				t.Error("the template carries a secret value")
			}
			if policy := s.raw["Resources"].(map[string]any)[id].(map[string]any)["DeletionPolicy"]; policy != "Retain" {
				t.Errorf("DeletionPolicy = %v, want Retain: deleting the stack must not lose a credential", policy)
			}
		})
	}
	// The state machine rotates the secrets; Secrets Manager must not.
	s.resourceCountIs(t, "AWS::SecretsManager::RotationSchedule", 0)
}

func TestStepFunctionsRunTheBuiltBundles(t *testing.T) {
	s := synthTestStack(t)
	s.resourceCountIs(t, "AWS::Lambda::Function", len(deploy.Steps()))
	wantEnvironment := map[string]string{
		deploy.EnvSecretPrefix:                    "ddr-test/",
		deploy.EnvAdminSecretID:                   "ddr-test/ddrotate-admin",
		deploy.EnvTopicARN:                        notificationsTopic,
		deploy.EnvSite:                            string(deploy.SiteEU1),
		deploy.EnvDefaultGrace:                    "129600",
		deploy.EnvOldKeyUsageLag:                  "3600",
		deploy.EnvStateMachineARN:                 targetMachineARN,
		deploy.EnvLogLevel:                        deploy.StepLogLevel,
		deploy.EnvDeployment:                      "ddr-test",
		deploy.EnvFleetMaxConcurrency:             "10",
		deploy.EnvFleetToleratedFailurePercentage: "100",
	}
	for _, step := range deploy.Steps() {
		t.Run(string(step), func(t *testing.T) {
			name := "ddr-test-" + string(step)
			s.hasResourceProperties(t, "AWS::Lambda::Function", map[string]any{
				"FunctionName":  name,
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"Timeout":       60,
				"MemorySize":    256,
				"VpcConfig": map[string]any{
					"SubnetIds":        []any{"subnet-0123456789abcdef0", "subnet-0fedcba9876543210"},
					"SecurityGroupIds": assertions.Match_AnyValue(),
				},
			})
			_, function := s.resourceWith(t, "AWS::Lambda::Function", "FunctionName", name)
			environment := map[string]string{}
			size := 0
			for key, value := range function["Environment"].(map[string]any)["Variables"].(map[string]any) {
				environment[key] = s.label(value)
				size += len(key) + len(environment[key])
			}
			if !maps.Equal(environment, wantEnvironment) {
				t.Errorf("environment = %v, want %v", environment, wantEnvironment)
			}
			if size > 4096/2 {
				t.Errorf("environment takes about %d bytes; Lambda allows 4 KB in all", size)
			}
			logGroup := s.label(function["LoggingConfig"].(map[string]any)["LogGroup"])
			if logGroup != "log-group:/aws/lambda/"+name {
				t.Errorf("logs go to %s, want the function's own log group", logGroup)
			}
		})
	}
	s.resourcePropertiesCountIs(t, "AWS::Logs::LogGroup", map[string]any{"RetentionInDays": 90}, len(deploy.Steps())+2)
	s.hasResourceProperties(t, "AWS::EC2::SecurityGroup", map[string]any{
		"VpcId": "vpc-0123456789abcdef0",
		"SecurityGroupEgress": []any{map[string]any{
			"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Description": assertions.Match_AnyValue(),
		}},
		"SecurityGroupIngress": assertions.Match_Absent(),
	})
}

func TestStateMachinesLogWithoutDataAndTrace(t *testing.T) {
	s := synthTestStack(t)
	for _, name := range []string{"ddr-test-rotate-target", "ddr-test-rotate-fleet"} {
		s.hasResourceProperties(t, "AWS::StepFunctions::StateMachine", map[string]any{
			"StateMachineName":     name,
			"StateMachineType":     "STANDARD",
			"TracingConfiguration": map[string]any{"Enabled": true},
			"LoggingConfiguration": map[string]any{"Level": "ALL", "IncludeExecutionData": false, "Destinations": assertions.Match_AnyValue()},
		})
		_, machine := s.resourceWith(t, "AWS::StepFunctions::StateMachine", "StateMachineName", name)
		destination := listOf(machine["LoggingConfiguration"].(map[string]any)["Destinations"])[0]
		logGroup := s.label(destination.(map[string]any)["CloudWatchLogsLogGroup"].(map[string]any)["LogGroupArn"])
		if logGroup != "log-group:/aws/vendedlogs/states/"+name {
			t.Errorf("%s logs to %s, want its own log group", name, logGroup)
		}
	}
}

func TestDeployedDefinitionsAreTheEmbeddedOnes(t *testing.T) {
	s := synthTestStack(t)
	substitutions := func(machine deploy.Machine) map[string]string {
		want := map[string]string{}
		for _, step := range deploy.StepsOf(machine) {
			want[step.Placeholder()] = "function:ddr-test-" + string(step)
		}
		if machine == deploy.MachineRotateFleet {
			want[deploy.RotateTargetStateMachinePlaceholder] = "state-machine:ddr-test-rotate-target"
		}
		return want
	}
	tests := []struct {
		name              string
		definition        []byte
		wantSubstitutions map[string]string
	}{
		{"ddr-test-rotate-target", statemachine.RotateTargetDefinition, substitutions(deploy.MachineRotateTarget)},
		{"ddr-test-rotate-fleet", statemachine.RotateFleetDefinition, substitutions(deploy.MachineRotateFleet)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, machine := s.resourceWith(t, "AWS::StepFunctions::StateMachine", "StateMachineName", tt.name)
			deployed := machine["DefinitionString"].(string)
			embedded := string(tt.definition)
			// Substitute both with the label of what each placeholder
			// resolves to, checking that every placeholder is bound to the
			// resource the placeholder's name promises.
			given := machine["DefinitionSubstitutions"].(map[string]any)
			if len(given) != len(tt.wantSubstitutions) {
				t.Errorf("%d substitutions, want %d: each machine gets its own steps' functions only", len(given), len(tt.wantSubstitutions))
			}
			for placeholder, value := range given {
				got := s.label(value)
				if got != tt.wantSubstitutions[placeholder] {
					t.Errorf("${%s} = %s, want %s", placeholder, got, tt.wantSubstitutions[placeholder])
				}
				deployed = strings.ReplaceAll(deployed, "${"+placeholder+"}", got)
				embedded = strings.ReplaceAll(embedded, "${"+placeholder+"}", tt.wantSubstitutions[placeholder])
			}
			if strings.Contains(deployed, "${") {
				t.Errorf("the deployed definition keeps an unsubstituted placeholder")
			}
			if deployed != embedded {
				t.Errorf("the deployed definition differs from the embedded one after substitution")
			}
			var parsed map[string]any
			if err := json.Unmarshal([]byte(deployed), &parsed); err != nil {
				t.Errorf("the deployed definition is not JSON: %v", err)
			}
		})
	}
}

// The schedule starts the fleet with its mode only: the run lists the
// targets itself, so the rule's input does not grow with the fleet.
func TestScheduleStartsTheFleetWithoutListingTargets(t *testing.T) {
	s := synthTestStack(t)
	s.hasResourceProperties(t, "AWS::Events::Rule", map[string]any{
		"ScheduleExpression": "cron(0 3 ? * MON *)",
		"State":              "ENABLED",
	})
	_, rule := s.resourceWith(t, "AWS::Events::Rule", "Name", "ddr-test-scheduled-rotation")
	target := listOf(rule["Targets"])[0].(map[string]any)
	if got := s.label(target["Arn"]); got != "state-machine:ddr-test-rotate-fleet" {
		t.Errorf("the schedule starts %s, want the fleet state machine", got)
	}
	if got := target["Input"].(string); got != `{"mode":"scheduled"}` {
		t.Errorf("rule input = %s, want the mode only", got)
	}
}

func TestNotificationTopicIsTLSOnlyAndTeamsMaySubscribe(t *testing.T) {
	s := synthTestStack(t)
	topicID, _ := s.resourceWith(t, "AWS::SNS::Topic", "TopicName", "ddr-test-notifications")
	var statements []string
	for _, policy := range s.resources("AWS::SNS::TopicPolicy") {
		if s.label(listOf(policy["Topics"])[0]) == notificationsTopic {
			statements = append(statements, s.topicStatements(policy["PolicyDocument"])...)
		}
	}
	protocols := "sns:Protocol=sqs|lambda|email|email-json|https"
	want := []string{
		"Allow sns:Subscribe by * if aws:PrincipalAccount=111111111111|121212121212 & " + protocols,
		"Allow sns:Subscribe by * if aws:PrincipalAccount=222222222222 & aws:PrincipalOrgID=o-exampleorg1 & " + protocols,
		"Deny sns:Publish by * if Bool:aws:SecureTransport=false",
	}
	if !slices.Equal(statements, want) {
		t.Errorf("topic %s policy = %q, want %q", topicID, statements, want)
	}
}

// topicStatements lists a topic policy as "Effect action by principal[ if ...]".
func (s *synthesized) topicStatements(document any) []string {
	var out []string
	for _, st := range listOf(document.(map[string]any)["Statement"]) {
		statement := st.(map[string]any)
		principal := "*"
		if p, ok := statement["Principal"].(map[string]any); ok {
			principal = s.label(slices.Collect(maps.Values(p)))
		}
		for _, action := range listOf(statement["Action"]) {
			out = append(out, statement["Effect"].(string)+" "+action.(string)+" by "+principal+s.conditions(statement["Condition"]))
		}
	}
	slices.Sort(out)
	return out
}

func TestAlarmsOnFailedTimedOutAndAbortedExecutions(t *testing.T) {
	s := synthTestStack(t)
	s.resourceCountIs(t, "AWS::CloudWatch::Alarm", 6)
	for _, machine := range []string{"ddr-test-rotate-target", "ddr-test-rotate-fleet"} {
		for outcome, metric := range map[string]string{"failed": "ExecutionsFailed", "timed-out": "ExecutionsTimedOut", "aborted": "ExecutionsAborted"} {
			_, alarm := s.resourceWith(t, "AWS::CloudWatch::Alarm", "AlarmName", machine+"-"+outcome)
			dimension := listOf(alarm["Dimensions"])[0].(map[string]any)
			got := []string{
				alarm["MetricName"].(string), alarm["Namespace"].(string), s.label(dimension["Value"]),
				alarm["ComparisonOperator"].(string), strconv.Itoa(int(alarm["Threshold"].(float64))),
				s.label(alarm["AlarmActions"]),
			}
			want := []string{
				metric, "AWS/States", "state-machine:" + machine,
				"GreaterThanOrEqualToThreshold", "1",
				"arn:aws:sns:eu-west-1:999999999999:ops-alarms",
			}
			if !slices.Equal(got, want) {
				t.Errorf("alarm %s-%s = %q, want %q", machine, outcome, got, want)
			}
		}
	}
}

// The outputs do not grow with the fleet: no per-target output (the
// secrets' and read roles' names are deterministic, see the README).
func TestOutputsNameTopicAndStateMachines(t *testing.T) {
	s := synthTestStack(t)
	var got []string
	for _, output := range s.raw["Outputs"].(map[string]any) {
		got = append(got, s.label(output.(map[string]any)["Value"]))
	}
	slices.Sort(got)
	want := []string{"state-machine:ddr-test-rotate-fleet", "state-machine:ddr-test-rotate-target", notificationsTopic}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("outputs = %q, want %q", got, want)
	}
}

func readerTag(account, externalID, organizationID string) string {
	return deploy.ReaderGroup{Account: account, ExternalID: externalID, OrganizationID: organizationID}.TagKey()
}
