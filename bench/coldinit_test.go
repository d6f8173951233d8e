package bench

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/lambdaenv"
)

// lambdaEnv is the environment the CDK stack gives a step Lambda.
var lambdaEnv = map[string]string{
	deploy.EnvSecretPrefix:    "ddrotate/",
	deploy.EnvAdminSecretID:   "ddrotate/admin",
	deploy.EnvTopicARN:        "arn:aws:sns:us-east-1:123456789012:ddrotate-notifications",
	deploy.EnvSite:            string(deploy.SiteUS1),
	deploy.EnvDefaultGrace:    "86400",
	deploy.EnvStateMachineARN: "arn:aws:states:us-east-1:123456789012:stateMachine:ddrotate-rotate-target",
	deploy.EnvLogLevel:        deploy.StepLogLevel,
}

// BenchmarkColdInit is a step Lambda's init phase minus the process start
// and package initialisation: its settings from the environment
// (lambdaenv.SettingsFromEnv) and the steps with their Secrets Manager, SNS
// and Step Functions clients (lambdaenv.NewSteps) from a ready aws.Config.
func BenchmarkColdInit(b *testing.B) {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLEEXAMPLE00", "secret", "session"),
	}
	getenv := func(k string) string { return lambdaEnv[k] }
	b.ReportAllocs()
	for b.Loop() {
		settings, err := lambdaenv.SettingsFromEnv(getenv)
		if err != nil {
			b.Fatal(err)
		}
		logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: settings.LogLevel}))
		if _, err := lambdaenv.NewSteps(settings, cfg, datadog.Options{}, logger); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdInitDefaultConfig is the whole of lambdaenv.Steps, as a
// step's main calls it: the same, plus config.LoadDefaultConfig reading the
// Lambda runtime's environment (region and credentials from variables, no
// shared config files).
func BenchmarkColdInitDefaultConfig(b *testing.B) {
	for k, v := range lambdaEnv {
		b.Setenv(k, v)
	}
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "session",
		"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "",
	} {
		b.Setenv(k, v)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lambdaenv.Steps(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDatadogClient is the Datadog client each step invocation makes
// from the admin secret's current value (the admin credential rotates, so
// it is not made at init).
func BenchmarkDatadogClient(b *testing.B) {
	apiKey := credential.NewSecret(strings.Repeat("a", 32))
	appKey := credential.NewSecret(strings.Repeat("b", 40))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := datadog.New(deploy.SiteUS1, apiKey, appKey, datadog.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
