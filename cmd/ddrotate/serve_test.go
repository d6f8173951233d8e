package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/syncbuf"
)

// The AWS CLI works unchanged against `ddrotate serve`: it reads a seeded
// team secret, writes and reads a new one, and publishes to the topic.
func TestAWSCLIAgainstServe(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("DDROTATE_REQUIRE_AWSCLI") != "" {
			t.Fatal("the aws CLI is not on PATH and DDROTATE_REQUIRE_AWSCLI is set: install Debian's awscli package")
		}
		t.Skip("the aws CLI is not on PATH; install Debian's awscli package (set DDROTATE_REQUIRE_AWSCLI=1 to make this a failure)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--datadog-addr", "127.0.0.1:0", "--aws-addr", "127.0.0.1:0"}, out, out)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, out.String())
		}
	}()
	endpoint := ""
	awsLine := regexp.MustCompile(`(?m)^\s+AWS\s+(http://\S+)`)
	for deadline := time.Now().Add(30 * time.Second); endpoint == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := awsLine.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "Press Ctrl-C") {
			endpoint = m[1]
		}
	}
	if endpoint == "" {
		t.Fatalf("serve did not start: %s", out.String())
	}

	home := t.TempDir()
	cli := func(out any, args ...string) {
		t.Helper()
		cmd := exec.Command(aws, append(args, "--endpoint-url", endpoint, "--output", "json")...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
			"AWS_ACCESS_KEY_ID=AKIALOCALOPERATOR000", "AWS_SECRET_ACCESS_KEY=local", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true"}
		stdout, err := cmd.Output()
		if err != nil {
			stderr := ""
			if exitErr, ok := err.(*exec.ExitError); ok {
				stderr = string(exitErr.Stderr)
			}
			t.Fatalf("aws %s: %v %s", strings.Join(args, " "), err, stderr)
		}
		if out != nil {
			if err := json.Unmarshal(stdout, out); err != nil {
				t.Fatalf("aws %s printed no JSON: %v", strings.Join(args, " "), err)
			}
		}
	}

	var seeded struct{ SecretString string }
	cli(&seeded, "secretsmanager", "get-secret-value", "--secret-id", "ddrotate/payments")
	if !strings.Contains(seeded.SecretString, `"apiKeyId"`) {
		t.Errorf("seeded payments secret has no apiKeyId")
	}
	cli(nil, "secretsmanager", "create-secret", "--name", "cli/check", "--secret-string", `{"v":1}`)
	cli(nil, "secretsmanager", "put-secret-value", "--secret-id", "cli/check", "--secret-string", `{"v":2}`)
	var got struct{ SecretString string }
	cli(&got, "secretsmanager", "get-secret-value", "--secret-id", "cli/check")
	if got.SecretString != `{"v":2}` {
		t.Errorf("get-secret-value after put: %q", got.SecretString)
	}
	topic := regexp.MustCompile(`SNS topic: (\S+)`).FindStringSubmatch(out.String())
	if topic == nil {
		t.Fatalf("serve printed no topic: %s", out.String())
	}
	var published struct{ MessageId string }
	cli(&published, "sns", "publish", "--topic-arn", topic[1], "--message", "hello", "--message-attributes", `{"target":{"DataType":"String","StringValue":"payments"}}`)
	if published.MessageId == "" {
		t.Error("sns publish returned no MessageId")
	}
	var who struct{ Account string }
	cli(&who, "sts", "get-caller-identity")
	if who.Account != "000000000000" {
		t.Errorf("get-caller-identity account %q", who.Account)
	}
}
