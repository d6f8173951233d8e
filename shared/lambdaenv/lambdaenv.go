// Package lambdaenv wires a step Lambda: it reads the deployment's settings
// from the environment the CDK stack sets, makes the AWS and Datadog
// clients, and returns the rotation steps. Each functions/<step>/main.go is
// then three lines, and the local runner wires the very same way.
package lambdaenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// Environment variables a step Lambda reads. The CDK stack sets all but the
// last, which only local runs use.
const (
	EnvSecretPrefix     = "DDROTATE_SECRET_PREFIX"
	EnvAdminSecretID    = "DDROTATE_ADMIN_SECRET_ID"
	EnvTopicARN         = "DDROTATE_TOPIC_ARN"
	EnvSite             = "DDROTATE_SITE"
	EnvDefaultGrace     = "DDROTATE_DEFAULT_GRACE_SECONDS"
	EnvLogLevel         = "LOG_LEVEL"
	EnvDatadogEndpoint  = "DDROTATE_DATADOG_ENDPOINT" // local emulator only; must be loopback
	defaultSecretPrefix = "ddrotate/"
)

// Settings is everything a step needs from its environment.
type Settings struct {
	Rotation rotation.Config
	// DatadogEndpoint overrides the site's API URL with a local emulator.
	DatadogEndpoint string
	LogLevel        slog.Level
}

// SettingsFromEnv reads Settings with getenv (os.Getenv in a Lambda),
// naming the variable in any error.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	var s Settings
	s.Rotation.SecretPrefix = getenv(EnvSecretPrefix)
	if s.Rotation.SecretPrefix == "" {
		s.Rotation.SecretPrefix = defaultSecretPrefix
	}
	s.Rotation.AdminSecretID = getenv(EnvAdminSecretID)
	s.Rotation.TopicARN = getenv(EnvTopicARN)
	site, err := credential.ParseSite(getenv(EnvSite))
	if err != nil {
		return s, fmt.Errorf("%s: %w", EnvSite, err)
	}
	s.Rotation.Site = site
	if v := getenv(EnvDefaultGrace); v != "" {
		secs, err := strconv.Atoi(v)
		if err != nil || secs < 0 {
			return s, fmt.Errorf("%s: must be a whole number of seconds, got %q", EnvDefaultGrace, v)
		}
		s.Rotation.DefaultGrace = time.Duration(secs) * time.Second
	} else {
		s.Rotation.DefaultGrace = 24 * time.Hour
	}
	if err := s.Rotation.Validate(); err != nil {
		return s, fmt.Errorf("environment (%s, %s, %s): %w", EnvSecretPrefix, EnvAdminSecretID, EnvTopicARN, err)
	}
	s.DatadogEndpoint = getenv(EnvDatadogEndpoint)
	if err := s.LogLevel.UnmarshalText([]byte(strings.ToUpper(orDefault(getenv(EnvLogLevel), "info")))); err != nil {
		return s, fmt.Errorf("%s: %w", EnvLogLevel, err)
	}
	return s, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// NewSteps makes the rotation steps over clients built from awsCfg, with
// Datadog clients for the site (or the local endpoint) in settings.
func NewSteps(settings Settings, awsCfg aws.Config, httpOpts datadog.Options, logger *slog.Logger) (*rotation.Steps, error) {
	httpOpts.Endpoint = settings.DatadogEndpoint
	keys := func(admin credential.Admin) (rotation.KeysAPI, error) {
		return datadog.New(admin.Site, admin.APIKey, admin.AppKey, httpOpts)
	}
	return rotation.NewSteps(settings.Rotation,
		secretsmanager.NewFromConfig(awsCfg),
		sns.NewFromConfig(awsCfg),
		sfn.NewFromConfig(awsCfg),
		keys, logger)
}

// Steps wires the steps from the process environment, as a Lambda's main
// does. AWS settings (region, credentials, AWS_ENDPOINT_URL for local runs)
// come from the SDK's default chain.
func Steps(ctx context.Context) (*rotation.Steps, error) {
	settings, err := SettingsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: settings.LogLevel}))
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return NewSteps(settings, awsCfg, datadog.Options{}, logger)
}

// MustSteps is Steps for a main function: on error it logs why and exits,
// so a misconfigured Lambda fails its init phase with a clear message.
func MustSteps() *rotation.Steps {
	steps, err := Steps(context.Background())
	if err != nil {
		slog.Error("ddrotate step cannot start", "error", err)
		os.Exit(1)
	}
	return steps
}
