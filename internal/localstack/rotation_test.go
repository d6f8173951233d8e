package localstack

import (
	"context"
	"encoding/json"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func mutatedTemplate(t testing.TB, path string, mutate func(map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	mutate(tmpl)
	dir := t.TempDir()
	out := filepath.Join(dir, filepath.Base(path))
	b, _ = json.Marshal(tmpl)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The nested stacks' templates, which the main one names by path.
	nested, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.nested.template.json"))
	for _, file := range nested {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(file)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// readRoleARN is the ARN of the read role of a reader group of the example
// config: its account, ExternalId and organization.
func readRoleARN(ls *Stack, account, externalID, organizationID string) string {
	name := deploy.Config{Prefix: "ddrotate"}.ReaderRoleName(deploy.ReaderGroup{Account: account, ExternalID: externalID, OrganizationID: organizationID})
	for arn, role := range ls.Deployment.Roles {
		if role.Name == name {
			return arn
		}
	}
	return ""
}

// secretARN is the ARN of a target's secret.
func secretARN(ls *Stack, target string) string {
	for _, s := range ls.Deployment.Secrets {
		if s.Name == "ddrotate/"+target {
			return s.ARN
		}
	}
	return ""
}

// rootConfig is an SDK configuration acting as the deployment account.
func (ls *Stack) rootConfig() aws.Config { return ls.rootCfg }

func configFor(ls *Stack, accessKeyID, secret, token string) aws.Config {
	return aws.Config{Region: ls.Deployment.Region, BaseEndpoint: aws.String(ls.AWSURL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secret, token)}
}

func startAndWait(t *testing.T, ls *Stack, input string) *sfn.DescribeExecutionOutput {
	t.Helper()
	ctx := context.Background()
	client := sfn.NewFromConfig(ls.rootConfig())
	arn := ls.Deployment.Outputs["RotateTargetStateMachineArn"]
	start, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(input)})
	if err != nil {
		t.Fatal(err)
	}
	var out *sfn.DescribeExecutionOutput
	waitFor(t, "the execution to end", 2*time.Minute, func() bool {
		out, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Status != sfntypes.ExecutionStatusRunning
	})
	return out
}

func currentValue(t *testing.T, ls *Stack, secretID string) (string, string) {
	t.Helper()
	out, err := secretsmanager.NewFromConfig(ls.rootConfig()).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SecretString), aws.ToString(out.VersionId)
}

func apiKeyOf(t *testing.T, value string) string {
	t.Helper()
	var v struct {
		APIKey string `json:"apiKey"`
	}
	if err := json.Unmarshal([]byte(value), &v); err != nil || v.APIKey == "" {
		t.Fatalf("the secret holds no apiKey")
	}
	return v.APIKey
}

// TestRealBootstrapsRotate runs a compromise rotation of a team through
// the Step Functions API: the deployed definition under the executor,
// each step its real bootstrap under the Runtime API with its role's
// credentials and the template's environment.
func TestRealBootstrapsRotate(t *testing.T) {
	ls := startStack(t, nil)
	before, _ := currentValue(t, ls, "ddrotate/payments")
	out := startAndWait(t, ls, `{"target": "payments", "mode": "compromise"}`)
	if out.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s: %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	after, _ := currentValue(t, ls, "ddrotate/payments")
	if apiKeyOf(t, after) == apiKeyOf(t, before) {
		t.Fatal("AWSCURRENT still holds the old key")
	}
	if !ls.Datadog.APIKeyValid(apiKeyOf(t, after)) {
		t.Fatal("the new current key does not validate")
	}
	if ls.Datadog.APIKeyValid(apiKeyOf(t, before)) {
		t.Fatal("compromise mode left the leaked key alive")
	}
	if !strings.Contains(aws.ToString(out.Output), "payments") {
		t.Logf("output: %s", aws.ToString(out.Output))
	}
}
