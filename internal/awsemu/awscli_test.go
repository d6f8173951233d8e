package awsemu

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireAWSCLIEnv makes a missing AWS CLI a failure instead of a skip; CI
// sets it so that the end-to-end test cannot silently stop running.
const requireAWSCLIEnv = "DDROTATE_REQUIRE_AWSCLI"

// awsCLI runs the AWS CLI against one emulator with an isolated home and
// configuration, so that the machine's own AWS settings are never read.
type awsCLI struct {
	path     string
	endpoint string
	baseEnv  []string
}

func newAWSCLI(t *testing.T, endpoint string) *awsCLI {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv(requireAWSCLIEnv) != "" {
			t.Fatalf("the aws CLI is not on PATH and %s is set: install Debian's awscli package", requireAWSCLIEnv)
		}
		t.Skipf("the aws CLI is not on PATH; install Debian's awscli package to run this test (set %s=1 to make this a failure)", requireAWSCLIEnv)
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
	env = append(env,
		"HOME="+home,
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return &awsCLI{path: path, endpoint: endpoint, baseEnv: env}
}

// run calls the CLI signed with the given credentials and decodes its JSON
// output into out (when not nil).
func (c *awsCLI) run(t *testing.T, creds cliCredentials, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append(args, "--endpoint-url", c.endpoint, "--output", "json")
	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Env = append(c.baseEnv, "AWS_ACCESS_KEY_ID="+creds.accessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.secretKey)
	if creds.sessionToken != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+creds.sessionToken)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args[:2], " "), err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(stdout, out); err != nil {
			t.Fatalf("aws %s printed no JSON: %v\n%s", strings.Join(args[:2], " "), err, stdout)
		}
	}
}

type cliCredentials struct{ accessKeyID, secretKey, sessionToken string }

func TestAWSCLIEndToEnd(t *testing.T) {
	s := New(Options{})
	endpoint, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cli := newAWSCLI(t, endpoint)
	admin := cliCredentials{accessKeyID: adminKey, secretKey: "secret"}

	var created struct{ ARN, Name, VersionId string }
	cli.run(t, admin, &created, "secretsmanager", "create-secret", "--name", "ddrotate/team-a", "--secret-string", "first")
	cli.run(t, admin, nil, "secretsmanager", "put-secret-value", "--secret-id", "ddrotate/team-a",
		"--secret-string", "second", "--client-request-token", v2, "--version-stages", "AWSPENDING")
	var pending struct {
		SecretString  string
		VersionId     string
		VersionStages []string
	}
	cli.run(t, admin, &pending, "secretsmanager", "get-secret-value", "--secret-id", created.ARN, "--version-stage", "AWSPENDING")
	if pending.SecretString != "second" || pending.VersionId != v2 {
		t.Errorf("get-secret-value AWSPENDING = %q version %s, want second version %s", pending.SecretString, pending.VersionId, v2)
	}

	var topic struct{ TopicArn string }
	cli.run(t, admin, &topic, "sns", "create-topic", "--name", "ddrotate-events")
	var sub struct{ SubscriptionArn string }
	cli.run(t, admin, &sub, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "sqs",
		"--notification-endpoint", "arn:aws:sqs:us-east-1:111111111111:team-a", "--attributes", `{"FilterPolicy":"{\"target\":[\"team-a\"]}"}`)
	var published struct{ MessageId string }
	cli.run(t, admin, &published, "sns", "publish", "--topic-arn", topic.TopicArn, "--message", "rotated",
		"--message-attributes", `{"target":{"DataType":"String","StringValue":"team-a"}}`)
	cli.run(t, admin, nil, "sns", "publish", "--topic-arn", topic.TopicArn, "--message", "for team b",
		"--message-attributes", `{"target":{"DataType":"String","StringValue":"team-b"}}`)
	inbox := s.Inbox(sub.SubscriptionArn)
	if len(inbox) != 1 || inbox[0].MessageID != published.MessageId || inbox[0].Attributes["target"] != "team-a" {
		t.Errorf("inbox = %+v, want only message %s for team-a", inbox, published.MessageId)
	}

	roleARN := s.AddRole(Role{Name: "read-team-a", TrustedAccounts: []string{teamAAccount}, ExternalID: "ext", ReadableSecrets: []string{"ddrotate/team-a"}})
	s.AddAccessKey(teamAKey, teamAAccount)
	var assumed struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	cli.run(t, cliCredentials{accessKeyID: teamAKey, secretKey: "secret"}, &assumed,
		"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "cli", "--external-id", "ext")
	session := cliCredentials{assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken}
	var identity struct{ Arn string }
	cli.run(t, session, &identity, "sts", "get-caller-identity")
	if want := "arn:aws:sts::000000000000:assumed-role/read-team-a/cli"; identity.Arn != want {
		t.Errorf("get-caller-identity = %s, want %s", identity.Arn, want)
	}
	var current struct{ SecretString string }
	cli.run(t, session, &current, "secretsmanager", "get-secret-value", "--secret-id", "ddrotate/team-a")
	if current.SecretString != "first" {
		t.Errorf("session get-secret-value = %q, want the current value", current.SecretString)
	}
}
