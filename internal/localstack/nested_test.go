package localstack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/iampolicy"
)

// A parent template whose nested stack (found in the cloud assembly by its
// aws:asset:path metadata, as the CDK writes it) gets parameters from the
// parent, creates a secret, and hands its ARN back as an output that the
// parent reads with Fn::GetAtt [Stack, Outputs.Name].
const (
	parentTemplate = `{
  "Parameters": {"Team": {"Type": "String", "Default": "payments"}},
  "Resources": {
    "Events": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "events"}},
    "Teams": {
      "Type": "AWS::CloudFormation::Stack",
      "Metadata": {"aws:asset:path": "parentTeams0A1B2C3D.nested.template.json"},
      "Properties": {
        "TemplateURL": "https://s3.example/assets/teams.json",
        "Parameters": {"Team": {"Ref": "Team"}, "TopicArn": {"Ref": "Events"}}
      }
    }
  },
  "Outputs": {
    "TeamSecretArn": {"Value": {"Fn::GetAtt": ["Teams", "Outputs.SecretArn"]}},
    "NestedStack": {"Value": {"Ref": "Teams"}}
  }
}`
	childTemplate = `{
  "Parameters": {"Team": {"Type": "String"}, "TopicArn": {"Type": "String"}},
  "Resources": {
    "Secret": {
      "Type": "AWS::SecretsManager::Secret",
      "Properties": {
        "Name": {"Fn::Sub": "ddrotate/${Team}"},
        "Description": {"Fn::Join": ["", ["notifies ", {"Ref": "TopicArn"}, " in ", {"Ref": "AWS::StackName"}]]},
        "Tags": [{"Key": "ddrotate:target", "Value": {"Ref": "Team"}}]
      }
    }
  },
  "Outputs": {"SecretArn": {"Value": {"Ref": "Secret"}}}
}`
)

// deployTemplates deploys the parent template from dir into a fresh AWS
// emulator, as Start does, without building or running any function.
func deployTemplates(t *testing.T, dir string) (*stackDeploy, *secretsmanager.Client) {
	t.Helper()
	ctx := context.Background()
	emu := awsemu.New(awsemu.Options{AccountID: "123456789012", Region: "us-east-1"})
	url, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(rootAccessKeyID, "local", "")}
	tmpl, err := LoadTemplate(filepath.Join(dir, "parent.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	dep := &Deployment{StackName: "parent", Region: "us-east-1", Account: "123456789012",
		Roles: map[string]*Role{}, Topics: map[string]*Topic{}, Keys: map[string]*Key{}, Aliases: map[string]string{},
		Outputs: map[string]string{}, managed: map[string]*iampolicy.Policy{}}
	secrets := secretsmanager.NewFromConfig(cfg)
	d := &deployer{ctx: ctx, aws: emu, secrets: secrets, sns: sns.NewFromConfig(cfg), dep: dep, now: time.Now()}
	return newStackDeploy(d, "parent", dir, tmpl, map[string]any{}), secrets
}

func writeTemplates(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNestedStackIsDeployedWithItsParametersAndOutputs(t *testing.T) {
	dir := writeTemplates(t, map[string]string{
		"parent.template.json":                     parentTemplate,
		"parentTeams0A1B2C3D.nested.template.json": childTemplate,
	})
	st, secrets := deployTemplates(t, dir)
	if err := st.deployAll(); err != nil {
		t.Fatalf("deploy: %v", err)
	}

	desc, err := secrets.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("ddrotate/payments")})
	if err != nil {
		t.Fatalf("the nested stack's secret was not created from the parent's parameter: %v", err)
	}
	if got := st.outputs["TeamSecretArn"]; got != aws.ToString(desc.ARN) {
		t.Errorf("parent output TeamSecretArn = %q, want the nested secret's ARN %q", got, aws.ToString(desc.ARN))
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Value) != "payments" {
		t.Errorf("nested secret's tags = %+v, want ddrotate:target=payments", desc.Tags)
	}
	// The nested stack gets a physical name of its own, derived from the
	// parent's and its logical id, and AWS::StackName resolves to it there.
	nested := st.outputs["NestedStack"]
	if !strings.HasPrefix(nested, "parent-Teams") {
		t.Errorf("nested stack name = %q, want it derived from parent-Teams", nested)
	}
	wantDescription := "notifies arn:aws:sns:us-east-1:123456789012:events in " + nested
	if got := aws.ToString(desc.Description); got != wantDescription {
		t.Errorf("nested secret's description = %q, want %q (the parent's topic ARN and the nested stack's name)", got, wantDescription)
	}
	if len(st.d.dep.Secrets) != 1 || len(st.d.dep.Topics) != 1 {
		t.Errorf("deployment lists %d secrets and %d topics, want the nested secret and the parent's topic", len(st.d.dep.Secrets), len(st.d.dep.Topics))
	}
}

func TestNestedStackWithoutItsTemplateFails(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"no aws:asset:path metadata": {
			"parent.template.json": strings.Replace(parentTemplate, `"Metadata": {"aws:asset:path": "parentTeams0A1B2C3D.nested.template.json"},`, "", 1),
		},
		"the nested template is not in the cloud assembly": {
			"parent.template.json": parentTemplate,
		},
		"a parameter the nested stack needs is not passed": {
			"parent.template.json":                     strings.Replace(parentTemplate, `"Team": {"Ref": "Team"}, `, "", 1),
			"parentTeams0A1B2C3D.nested.template.json": childTemplate,
		},
	} {
		t.Run(name, func(t *testing.T) {
			st, _ := deployTemplates(t, writeTemplates(t, files))
			err := st.deployAll()
			if err == nil {
				t.Fatal("deployed")
			}
			if !strings.Contains(err.Error(), "Teams") && !strings.Contains(err.Error(), "nested") {
				t.Errorf("error %q does not name the nested stack", err)
			}
		})
	}
}
