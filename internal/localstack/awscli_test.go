package localstack

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// requireAWSCLIEnv makes a missing AWS CLI a failure instead of a skip, as
// in the emulator's own CLI test.
const requireAWSCLIEnv = "DDROTATE_REQUIRE_AWSCLI"

// cli runs the AWS CLI against the local stack with an isolated home, so
// that the machine's own AWS settings are never read.
type cli struct {
	path, endpoint string
	env            []string
}

func newCLI(t *testing.T, endpoint string) *cli {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv(requireAWSCLIEnv) != "" {
			t.Fatalf("the aws CLI is not on PATH and %s is set", requireAWSCLIEnv)
		}
		t.Skipf("the aws CLI is not on PATH (set %s=1 to make this a failure)", requireAWSCLIEnv)
	}
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || name == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"), "AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
	return &cli{path: path, endpoint: endpoint, env: env}
}

// run runs one command of the README verbatim, plus --endpoint-url, signed
// with the given key (and session token); it returns stdout and the error.
func (c *cli) run(t *testing.T, keyID, secret, token string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, append([]string{"--endpoint-url", c.endpoint}, args...)...)
	cmd.Env = append(append([]string{}, c.env...), "AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret)
	if token != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+token)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &cliError{err: err, stderr: stderr.String()}
	}
	return string(out), nil
}

type cliError struct {
	err    error
	stderr string
}

func (e *cliError) Error() string { return e.err.Error() + ": " + e.stderr }

// TestREADMECommandsWithAWSCLI runs the README's runbook and consumer-guide
// commands with the AWS CLI against the synthesized stack: an operator
// starts a compromise rotation and follows it; a team assumes its role with
// its ExternalId and reads its secret; another team's secret is denied.
func TestREADMECommandsWithAWSCLI(t *testing.T) {
	ls := startStack(t, nil)
	c := newCLI(t, ls.AWSURL)
	const op = "local-operator"
	out := ls.Deployment.Outputs

	// Runbook step 1, verbatim but for the ARN from the stack's outputs.
	started, err := c.run(t, op, "x", "", "stepfunctions", "start-execution", "--state-machine-arn", out["RotateTargetStateMachineArn"],
		"--input", `{"target": "payments", "mode": "compromise"}`)
	if err != nil {
		t.Fatal(err)
	}
	var start struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := json.Unmarshal([]byte(started), &start); err != nil || start.ExecutionArn == "" {
		t.Fatalf("start-execution printed %q", started)
	}
	// Step 2: watch it finish.
	var desc struct{ Status, Error string }
	waitFor(t, "the compromise rotation", 2*time.Minute, func() bool {
		s, err := c.run(t, op, "x", "", "stepfunctions", "describe-execution", "--execution-arn", start.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(s), &desc)
		return desc.Status != "RUNNING"
	})
	if desc.Status != "SUCCEEDED" {
		t.Fatalf("execution %s %s", desc.Status, desc.Error)
	}
	hist, err := c.run(t, op, "x", "", "stepfunctions", "get-execution-history", "--execution-arn", start.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ExecutionStarted"`, `"name": "DeleteOld"`, `"ExecutionSucceeded"`} {
		if !strings.Contains(hist, want) {
			t.Fatalf("history lacks %s", want)
		}
	}

	// Consumer guide, "A pipeline or the AWS CLI".
	creds, err := c.run(t, "AKIA111111111111TEAM", "x", "", "sts", "assume-role", "--role-arn", readRoleARN(ls, "111111111111", "ddrotate-payments", ""),
		"--role-session-name", "ci", "--external-id", "ddrotate-payments", "--query", "Credentials", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var k struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	if err := json.Unmarshal([]byte(creds), &k); err != nil || k.SessionToken == "" {
		t.Fatalf("assume-role printed %q", creds)
	}
	value, err := c.run(t, k.AccessKeyId, k.SecretAccessKey, k.SessionToken, "secretsmanager", "get-secret-value",
		"--secret-id", secretARN(ls, "payments"), "--query", "SecretString", "--output", "text")
	if err != nil {
		t.Fatal(err)
	}
	if !ls.Datadog.APIKeyValid(apiKeyOf(t, strings.TrimSpace(value))) {
		t.Fatal("the team read a key that does not work")
	}
	_, err = c.run(t, k.AccessKeyId, k.SecretAccessKey, k.SessionToken, "secretsmanager", "get-secret-value",
		"--secret-id", secretARN(ls, "search"), "--query", "SecretString", "--output", "text")
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "assumed-role/"+deploy.Config{Prefix: "ddrotate"}.ReaderRoleName(deploy.ReaderGroup{Account: "111111111111", ExternalID: "ddrotate-payments"})+"/ci is not authorized to perform: secretsmanager:GetSecretValue") {
		t.Fatalf("another team's secret: %v", err)
	}
	// The AWS CLI against serve answers what used to be unknown operations.
	if _, err := c.run(t, op, "x", "", "stepfunctions", "list-state-machines"); err != nil {
		t.Fatal(err)
	}
	if topics, err := c.run(t, op, "x", "", "sns", "list-topics"); err != nil || !strings.Contains(topics, out["NotificationTopicArn"]) {
		t.Fatalf("list-topics: %v %s", err, topics)
	}
}
