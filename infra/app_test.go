package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

func TestAppInputsFrom(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
		env     map[string]string
		want    appInputs
	}{
		{"defaults for a fresh clone", nil, nil,
			appInputs{configPath: "ddrotate.config.example.json", functionsDir: "build/functions"}},
		{"environment", nil, map[string]string{configEnvVar: "prod.json", functionsDirEnvVar: "out/fns"},
			appInputs{configPath: "prod.json", functionsDir: "out/fns"}},
		{"CDK context wins over the environment", map[string]any{configContextKey: "staging.json"}, map[string]string{configEnvVar: "prod.json"},
			appInputs{configPath: "staging.json", functionsDir: "build/functions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tt.context})
			got := appInputsFrom(app, func(key string) string { return tt.env[key] })
			if got != tt.want {
				t.Errorf("appInputsFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBadConfigFailsBeforeAnyConstruct(t *testing.T) {
	const config = "testdata/bad-account.json"
	outdir := filepath.Join(t.TempDir(), "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &map[string]any{configContextKey: config}})

	err := synthesize(app, func(key string) string {
		return map[string]string{functionsDirEnvVar: fakeFunctionsDir()}[key]
	})

	var configErr *deploy.ConfigError
	if !errors.As(err, &configErr) || !strings.Contains(err.Error(), `targets[1].accounts[0]: "12345" is not a 12-digit AWS account id`) {
		t.Fatalf("synthesize: got %v, want the config error naming targets[1].accounts[0]", err)
	}
	if children := *app.Node().Children(); len(children) != 0 {
		t.Errorf("the app has %d constructs after a failed validation, want none", len(children))
	}
	if _, err := os.Stat(filepath.Join(outdir, "manifest.json")); !os.IsNotExist(err) {
		t.Errorf("a cloud assembly was written for a bad config (stat: %v)", err)
	}
}

func TestMissingLambdaBundlesFailBeforeAnyConstruct(t *testing.T) {
	app := awscdk.NewApp(nil)
	err := buildApp(app, appInputs{configPath: testConfigPath, functionsDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make lambdas") || !strings.Contains(err.Error(), filepath.Join(string(deploy.StepCreate), "bootstrap")) {
		t.Fatalf("buildApp: got %v, want an error naming the missing bootstraps and make lambdas", err)
	}
	if children := *app.Node().Children(); len(children) != 0 {
		t.Errorf("the app has %d constructs after a failed check, want none", len(children))
	}
}

func TestNagReportsNoUnsuppressedError(t *testing.T) {
	s := synthTestStack(t)
	for _, message := range s.messages {
		if message.Level == cxapi.SynthesisMessageLevel_ERROR {
			t.Errorf("%s: %v", *message.Id, message.Entry.Data)
		}
	}

	// The checks must have run: cdk-nag reports every rule it applied,
	// suppressed ones with their reason, next to each template, the nested
	// stacks' included.
	reports, err := filepath.Glob(filepath.Join(testDir, "cdk.out", "AwsSolutions-*-NagReport.csv"))
	if err != nil || len(reports) < 2 {
		t.Fatalf("cdk-nag wrote %d reports (%v), want the main stack's and its nested stacks': its checks did not run", len(reports), err)
	}
	outcomes := map[string]string{} // rule -> last outcome, for the spot checks below
	for _, path := range reports {
		report, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(report).ReadAll()
		report.Close()
		if err != nil {
			t.Fatalf("reading the cdk-nag report %s: %v", path, err)
		}
		for _, row := range rows[1:] {
			rule, resource, compliance, reason := row[0], row[1], row[2], row[3]
			if outcomes[rule] != "Suppressed" {
				outcomes[rule] = compliance
			}
			if compliance == "Non-Compliant" {
				t.Errorf("%s fails %s", resource, rule)
			}
			if compliance == "Suppressed" && len(reason) < 80 {
				t.Errorf("%s suppresses %s with a reason too short to convince a reviewer: %q", resource, rule, reason)
			}
		}
	}
	for rule, want := range map[string]string{"AwsSolutions-KMS5": "Compliant", "AwsSolutions-SNS3": "Compliant", "AwsSolutions-SF2": "Compliant", "AwsSolutions-SMG4": "Suppressed"} {
		if outcomes[rule] != want {
			t.Errorf("cdk-nag reports %s as %q, want %q", rule, outcomes[rule], want)
		}
	}
}

// TestExampleConfigSynthesizes builds the app as "make synth" does on a
// fresh clone: the example config, no CDK CLI, no AWS credentials.
func TestExampleConfigSynthesizes(t *testing.T) {
	outdir := filepath.Join(t.TempDir(), "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	env := map[string]string{configEnvVar: filepath.Join("..", exampleConfigPath), functionsDirEnvVar: fakeFunctionsDir()}

	if err := synthesize(app, func(key string) string { return env[key] }); err != nil {
		t.Fatalf("synthesize: %v", err)
	}

	data, err := os.ReadFile(filepath.Join(outdir, "ddrotate.template.json"))
	if err != nil {
		t.Fatalf("no template in the cloud assembly: %v", err)
	}
	s := &synthesized{}
	if err := json.Unmarshal(data, &s.raw); err != nil {
		t.Fatal(err)
	}
	// The example sends alarms to an e-mail address through a topic of its
	// own, which the key and the topic let CloudWatch alarms publish to.
	topicID, topic := s.resourceWith(t, "AWS::SNS::Topic", "TopicName", "ddrotate-alarms")
	if s.label(topic["KmsMasterKeyId"]) != "key" {
		t.Error("the alarm topic is not encrypted with the stack's key")
	}
	_, subscription := s.resourceWith(t, "AWS::SNS::Subscription", "Protocol", "email")
	if subscription["Endpoint"] != "platform-oncall@example.com" || s.label(subscription["TopicArn"]) != "topic:ddrotate-alarms" {
		t.Errorf("e-mail subscription = %v, want the example's address on the alarm topic", subscription)
	}
	for _, alarm := range s.resources("AWS::CloudWatch::Alarm") {
		if got := s.label(alarm["AlarmActions"]); got != "topic:ddrotate-alarms" {
			t.Errorf("alarm %v notifies %s, want the alarm topic", alarm["AlarmName"], got)
		}
	}
	fromThisAccount := " if aws:SourceAccount=<AWS::AccountId>"
	_, key := s.resourceWith(t, "AWS::KMS::Key", "EnableKeyRotation", true)
	if got := s.policyPrincipals(key["KeyPolicy"]); !slices.Contains(got, "kms:Decrypt by cloudwatch.amazonaws.com"+fromThisAccount) {
		t.Errorf("key policy %q does not let this account's alarms use the key", got)
	}
	var topicPolicy []string
	for _, policy := range s.resources("AWS::SNS::TopicPolicy") {
		if s.label(listOf(policy["Topics"])[0]) == s.labelOf(topicID) {
			topicPolicy = s.topicStatements(policy["PolicyDocument"])
		}
	}
	want := []string{"Allow sns:Publish by cloudwatch.amazonaws.com" + fromThisAccount, "Deny sns:Publish by * if Bool:aws:SecureTransport=false"}
	if !slices.Equal(topicPolicy, want) {
		t.Errorf("alarm topic policy = %q, want %q", topicPolicy, want)
	}
}
