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
		{"payments", map[string]string{deploy.TagTarget: "payments", deploy.TagKind: string(deploy.KindAPIKey), deploy.TagGraceSeconds: "129600", deploy.TagMaxGraceSeconds: "604800"}},
		{"ddrotate-admin", map[string]string{deploy.TagTarget: "ddrotate-admin", deploy.TagKind: string(deploy.KindAdmin), deploy.TagGraceSeconds: "3600", deploy.TagMaxGraceSeconds: "604800"}},
		{"search", map[string]string{deploy.TagTarget: "search", deploy.TagKind: string(deploy.KindAPIAppKey), deploy.TagGraceSeconds: "129600", deploy.TagMaxGraceSeconds: "604800",
			deploy.TagServiceAccountID: "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}},
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
		deploy.EnvSecretPrefix:    "ddr-test/",
		deploy.EnvAdminSecretID:   "ddr-test/ddrotate-admin",
		deploy.EnvTopicARN:        notificationsTopic,
		deploy.EnvSite:            string(deploy.SiteEU1),
		deploy.EnvDefaultGrace:    "129600",
		deploy.EnvOldKeyUsageLag:  "3600",
		deploy.EnvStateMachineARN: targetMachineARN,
		deploy.EnvLogLevel:        deploy.StepLogLevel,
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
	wantSubstitutions := map[string]string{deploy.RotateTargetStateMachinePlaceholder: "state-machine:ddr-test-rotate-target"}
	for _, step := range deploy.Steps() {
		wantSubstitutions[step.Placeholder()] = "function:ddr-test-" + string(step)
	}
	tests := []struct {
		name       string
		definition []byte
	}{
		{"ddr-test-rotate-target", statemachine.RotateTargetDefinition},
		{"ddr-test-rotate-fleet", statemachine.RotateFleetDefinition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, machine := s.resourceWith(t, "AWS::StepFunctions::StateMachine", "StateMachineName", tt.name)
			deployed := machine["DefinitionString"].(string)
			embedded := string(tt.definition)
			// Substitute both with the label of what each placeholder
			// resolves to, checking that every placeholder is bound to the
			// resource the placeholder's name promises.
			for placeholder, value := range machine["DefinitionSubstitutions"].(map[string]any) {
				got := s.label(value)
				if got != wantSubstitutions[placeholder] {
					t.Errorf("${%s} = %s, want %s", placeholder, got, wantSubstitutions[placeholder])
				}
				deployed = strings.ReplaceAll(deployed, "${"+placeholder+"}", got)
				embedded = strings.ReplaceAll(embedded, "${"+placeholder+"}", wantSubstitutions[placeholder])
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

func TestScheduleStartsTheFleetWithEveryTarget(t *testing.T) {
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
	var input struct {
		Mode    string   `json:"mode"`
		Targets []string `json:"targets"`
	}
	if err := json.Unmarshal([]byte(target["Input"].(string)), &input); err != nil {
		t.Fatalf("rule input: %v", err)
	}
	if want := []string{"payments", "ddrotate-admin", "search"}; input.Mode != "scheduled" || !slices.Equal(input.Targets, want) {
		t.Errorf("rule input = %+v, want mode scheduled with targets %v", input, want)
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
	protocols := " if sns:Protocol=sqs|lambda|email|email-json|https"
	want := []string{
		"Allow sns:Subscribe by arn:<AWS::Partition>:iam::111111111111:root|arn:<AWS::Partition>:iam::121212121212:root" + protocols,
		"Allow sns:Subscribe by arn:<AWS::Partition>:iam::222222222222:root if aws:PrincipalOrgID=o-exampleorg1 & sns:Protocol=sqs|lambda|email|email-json|https",
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

func TestOutputsNameTopicStateMachinesSecretsAndTeamRoles(t *testing.T) {
	s := synthTestStack(t)
	var got []string
	for _, output := range s.raw["Outputs"].(map[string]any) {
		got = append(got, s.label(output.(map[string]any)["Value"]))
	}
	slices.Sort(got)
	want := []string{
		"role:ddr-test-read-payments", "role:ddr-test-read-search",
		"secret:ddr-test/ddrotate-admin", "secret:ddr-test/payments", "secret:ddr-test/search",
		"state-machine:ddr-test-rotate-fleet", "state-machine:ddr-test-rotate-target",
		notificationsTopic,
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("outputs = %q, want %q", got, want)
	}
}
