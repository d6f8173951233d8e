// Package lambdaenv wires a step Lambda: it reads the deployment's settings
// from the environment the CDK stack sets (deploy.Config.StepEnvironment),
// makes the AWS and Datadog clients, and returns the rotation steps and
// their handlers. Each functions/<step>/main.go is then one line, and the
// local runner wires the very same way.
package lambdaenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
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
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// deployedEnv are the variables SettingsFromEnv reads that a deployment
// sets; it also reads deploy.EnvDatadogEndpoint, which only local runs set.
var deployedEnv = [...]string{
	deploy.EnvSecretPrefix,
	deploy.EnvAdminSecretID,
	deploy.EnvTopicARN,
	deploy.EnvSite,
	deploy.EnvDefaultGrace,
	deploy.EnvOldKeyUsageLag,
	deploy.EnvStateMachineARN,
	deploy.EnvLogLevel,
	deploy.EnvDeployment,
	deploy.EnvFleetMaxConcurrency,
	deploy.EnvFleetToleratedFailurePercentage,
}

// DeployedEnv lists the variables that SettingsFromEnv reads and the CDK
// stack must set: every one but the local-only deploy.EnvDatadogEndpoint.
// The slice is the caller's own.
func DeployedEnv() []string { return slices.Clone(deployedEnv[:]) }

// Settings is everything a step needs from its environment.
type Settings struct {
	Rotation rotation.Config
	// Fleet is the listtargets step's deployment tag and fleet settings.
	Fleet rotation.FleetSettings
	// DatadogEndpoint overrides the site's API URL with a local emulator.
	DatadogEndpoint string
	LogLevel        slog.Level
}

// SettingsFromEnv reads Settings with getenv (os.Getenv in a Lambda),
// naming the variable in any error.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	var s Settings
	s.Rotation.SecretPrefix = orDefault(getenv(deploy.EnvSecretPrefix), deploy.DefaultPrefix+"/")
	s.Rotation.AdminSecretID = getenv(deploy.EnvAdminSecretID)
	s.Rotation.TopicARN = getenv(deploy.EnvTopicARN)
	site, err := credential.ParseSite(getenv(deploy.EnvSite))
	if err != nil {
		return s, fmt.Errorf("%s: %w", deploy.EnvSite, err)
	}
	s.Rotation.Site = site
	if s.Rotation.DefaultGrace, err = secondsFromEnv(getenv, deploy.EnvDefaultGrace, deploy.DefaultGracePeriod); err != nil {
		return s, err
	}
	if s.Rotation.OldKeyUsageLag, err = secondsFromEnv(getenv, deploy.EnvOldKeyUsageLag, deploy.DefaultOldKeyUsageLag); err != nil {
		return s, err
	}
	s.Rotation.StateMachineARN = getenv(deploy.EnvStateMachineARN)
	if err := s.Rotation.Validate(); err != nil {
		return s, fmt.Errorf("environment (%s, %s, %s, %s): %w", deploy.EnvSecretPrefix, deploy.EnvAdminSecretID, deploy.EnvTopicARN, deploy.EnvStateMachineARN, err)
	}
	if s.Fleet, err = fleetFromEnv(getenv); err != nil {
		return s, err
	}
	s.DatadogEndpoint = getenv(deploy.EnvDatadogEndpoint)
	if err := s.LogLevel.UnmarshalText([]byte(strings.ToUpper(orDefault(getenv(deploy.EnvLogLevel), deploy.StepLogLevel)))); err != nil {
		return s, fmt.Errorf("%s: %w", deploy.EnvLogLevel, err)
	}
	return s, nil
}

// secondsFromEnv reads a duration given in whole seconds, or fallback when
// the variable is unset, naming the variable in its error.
func secondsFromEnv(getenv func(string) string, name string, fallback time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return fallback, nil
	}
	secs, err := strconv.Atoi(v)
	if err != nil || secs < 0 {
		return 0, fmt.Errorf("%s: must be a whole number of seconds, got %q", name, v)
	}
	return time.Duration(secs) * time.Second, nil
}

// fleetFromEnv reads the fleet settings, with the config's defaults for
// those the environment does not set.
func fleetFromEnv(getenv func(string) string) (rotation.FleetSettings, error) {
	fleet := rotation.FleetSettings{
		Deployment:                 getenv(deploy.EnvDeployment),
		MaxConcurrency:             deploy.DefaultFleetMaxConcurrency,
		ToleratedFailurePercentage: deploy.DefaultFleetToleratedFailurePercentage,
	}
	if v := getenv(deploy.EnvFleetMaxConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > deploy.DistributedMapMaxConcurrency {
			return fleet, fmt.Errorf("%s: must be a whole number from 1 to %d, got %q", deploy.EnvFleetMaxConcurrency, deploy.DistributedMapMaxConcurrency, v)
		}
		fleet.MaxConcurrency = n
	}
	if v := getenv(deploy.EnvFleetToleratedFailurePercentage); v != "" {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 100 {
			return fleet, fmt.Errorf("%s: must be a percentage from 0 to 100, got %q", deploy.EnvFleetToleratedFailurePercentage, v)
		}
		fleet.ToleratedFailurePercentage = p
	}
	return fleet, nil
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
	steps, err := rotation.NewSteps(settings.Rotation,
		secretsmanager.NewFromConfig(awsCfg),
		sns.NewFromConfig(awsCfg),
		sfn.NewFromConfig(awsCfg),
		keys, logger)
	if err != nil {
		return nil, err
	}
	steps.Fleet = settings.Fleet
	return steps, nil
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

// Handlers is the one table from each step to its handler, a method of
// steps with the signature aws-lambda-go expects. The Lambdas' mains and the
// local runner both take their handlers from it.
func Handlers(steps *rotation.Steps) map[deploy.Step]any {
	return map[deploy.Step]any{
		deploy.StepCreate:      steps.Create,
		deploy.StepVerify:      steps.Verify,
		deploy.StepStore:       steps.Store,
		deploy.StepNotify:      steps.Notify,
		deploy.StepDeleteOld:   steps.DeleteOld,
		deploy.StepRollback:    steps.Rollback,
		deploy.StepListTargets: steps.ListTargets,
	}
}

// Handler returns step's handler from [Handlers], or an error if the table
// has none, so that a step left out fails at start-up, not at first invoke.
func Handler(steps *rotation.Steps, step deploy.Step) (any, error) {
	handler, ok := Handlers(steps)[step]
	if !ok {
		return nil, fmt.Errorf("step %q has no handler in lambdaenv.Handlers", step)
	}
	return handler, nil
}

// MustHandler wires the steps from the process environment, as [Steps]
// does, and returns step's handler for lambda.Start. On error it logs why
// and exits, so a misconfigured Lambda fails its init phase with a clear
// message.
func MustHandler(step deploy.Step) any {
	handler, err := handlerFromEnv(context.Background(), step)
	if err != nil {
		slog.Error("ddrotate step cannot start", "step", string(step), "error", err)
		os.Exit(1)
	}
	return handler
}

func handlerFromEnv(ctx context.Context, step deploy.Step) (any, error) {
	steps, err := Steps(ctx)
	if err != nil {
		return nil, err
	}
	return Handler(steps, step)
}
